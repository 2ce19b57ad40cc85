-- Albums with the most tracks (Spotify API): albums of the songs in the playlists now, by their total track count (label is null for a Development Mode app).
SELECT
    name AS album_name,
    release_date,
    total_tracks,
    label
FROM api_albums_data
ORDER BY total_tracks DESC, album_name
LIMIT 20
