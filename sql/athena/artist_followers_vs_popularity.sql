-- Artist followers vs popularity: one point per artist for a scatter chart (the 50 most followed artists).
SELECT
    artist_name,
    MAX(followers) AS followers,
    MAX(artist_popularity) AS artist_popularity,
    COUNT(*) AS tracks
FROM tracks
WHERE followers IS NOT NULL
  AND artist_popularity IS NOT NULL
GROUP BY artist_id, artist_name
ORDER BY followers DESC, artist_name, artist_id
LIMIT 50
