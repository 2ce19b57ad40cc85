-- Most popular songs (Spotify API): the 20 most popular songs pulled from the configured playlists (popularity is null for Development Mode apps).
SELECT
    song_name,
    popularity,
    song_added,
    playlist_id
FROM api_songs_data
ORDER BY popularity DESC NULLS LAST, song_added DESC, song_name
LIMIT 20
