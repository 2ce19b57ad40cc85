-- Explicit share by release year: tracks with a known explicit flag and the percentage of them marked explicit, per release year.
SELECT
    TRY_CAST(release_year AS INTEGER) AS release_year,
    COUNT(*) AS tracks,
    COUNT_IF(explicit) AS explicit_tracks,
    ROUND(100.0 * COUNT_IF(explicit) / COUNT(*), 1) AS explicit_percent
FROM tracks
WHERE TRY_CAST(release_year AS INTEGER) IS NOT NULL AND explicit IS NOT NULL
GROUP BY TRY_CAST(release_year AS INTEGER)
ORDER BY release_year
