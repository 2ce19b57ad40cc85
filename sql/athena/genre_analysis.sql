-- Genre analysis: artists, tracks and average popularity per genre (an artist counts in each of its genres).
SELECT
    g.genre_name AS genre,
    COUNT(DISTINCT t.artist_id) AS artists,
    COUNT(*) AS tracks,
    ROUND(AVG(t.track_popularity), 1) AS avg_track_popularity
FROM tracks AS t
CROSS JOIN UNNEST(t.genres) AS g (genre_name)
GROUP BY g.genre_name
ORDER BY tracks DESC, genre
LIMIT 20
