-- Top artists by followers: the 20 most followed artists, with their popularity and tracks.
SELECT
    artist_name,
    MAX(followers) AS followers,
    MAX(artist_popularity) AS artist_popularity,
    COUNT(*) AS tracks
FROM tracks
WHERE followers IS NOT NULL
GROUP BY artist_id, artist_name
ORDER BY followers DESC, artist_name, artist_id
LIMIT 20
