-- Most popular songs (Spotify API): the 20 most popular songs of the playlists now, with the playlists each is in; empty for a Development Mode app, whose answers carry no popularity (an Extended Quota app's do).
SELECT
    song_name,
    popularity,
    song_added,
    array_join(playlist_ids, ', ') AS playlists
FROM api_songs_data
WHERE popularity IS NOT NULL
ORDER BY popularity DESC, song_added DESC, song_name
LIMIT 20
