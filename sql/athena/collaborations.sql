-- Collaborations: tracks credited to more than one artist per release year, their share of all tracks and their average popularity.
SELECT
    TRY_CAST(release_year AS INTEGER) AS release_year,
    COUNT(*) AS tracks,
    COUNT_IF(cardinality(artist_names) > 1) AS collaborations,
    ROUND(100.0 * COUNT_IF(cardinality(artist_names) > 1) / COUNT(*), 1) AS collaboration_percent,
    ROUND(AVG(CASE WHEN cardinality(artist_names) > 1 THEN track_popularity END), 1) AS avg_collaboration_popularity
FROM tracks
WHERE TRY_CAST(release_year AS INTEGER) IS NOT NULL
GROUP BY TRY_CAST(release_year AS INTEGER)
ORDER BY release_year
