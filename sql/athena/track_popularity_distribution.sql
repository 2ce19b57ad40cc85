-- Distribution of track popularity: tracks per popularity band of 10 (0-9, 10-19, ..., 90-99, and 100).
SELECT
    CAST(FLOOR(track_popularity / 10.0) * 10 AS INTEGER) AS popularity_from,
    COUNT(*) AS tracks
FROM tracks
WHERE track_popularity IS NOT NULL
GROUP BY CAST(FLOOR(track_popularity / 10.0) * 10 AS INTEGER)
ORDER BY popularity_from
