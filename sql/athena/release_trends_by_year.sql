-- Track release trends by year: tracks, albums, popularity and length per release year.
SELECT
    TRY_CAST(release_year AS INTEGER) AS release_year,
    COUNT(*) AS tracks,
    COUNT(DISTINCT album_id) AS albums,
    ROUND(AVG(track_popularity), 1) AS avg_track_popularity,
    ROUND(AVG(duration_ms) / 60000.0, 2) AS avg_duration_minutes
FROM tracks
WHERE TRY_CAST(release_year AS INTEGER) IS NOT NULL
GROUP BY TRY_CAST(release_year AS INTEGER)
ORDER BY release_year
