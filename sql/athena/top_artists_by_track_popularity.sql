-- Top artists by track popularity: the 20 artists whose tracks are the most popular on average (at least 3 rated tracks).
SELECT
    artist_name,
    COUNT(*) AS rated_tracks,
    ROUND(AVG(track_popularity), 1) AS avg_track_popularity,
    MAX(track_popularity) AS max_track_popularity
FROM tracks
WHERE artist_name IS NOT NULL
  AND track_popularity IS NOT NULL
GROUP BY artist_id, artist_name
HAVING COUNT(*) >= 3
ORDER BY AVG(track_popularity) DESC, rated_tracks DESC, artist_name, artist_id
LIMIT 20
