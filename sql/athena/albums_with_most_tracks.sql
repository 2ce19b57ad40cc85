-- Albums with the most tracks: the 20 largest albums in the warehouse.
SELECT
    album_name,
    artist_name,
    MIN(release_date) AS release_date,
    COUNT(*) AS tracks
FROM tracks
GROUP BY album_id, album_name, artist_name
ORDER BY tracks DESC, album_name, album_id
LIMIT 20
