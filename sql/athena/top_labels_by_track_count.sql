-- Top labels by track count: the 20 record labels with the most tracks, and their albums.
SELECT
    label,
    COUNT(*) AS tracks,
    COUNT(DISTINCT album_id) AS albums
FROM tracks
WHERE label IS NOT NULL
GROUP BY label
ORDER BY tracks DESC, label
LIMIT 20
