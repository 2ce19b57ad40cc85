-- Most popular songs: the 20 tracks with the highest track popularity.
SELECT
    track_name,
    artist_name,
    album_name,
    track_popularity,
    release_date
FROM tracks
WHERE track_popularity IS NOT NULL
ORDER BY track_popularity DESC, track_name, track_id
LIMIT 20
