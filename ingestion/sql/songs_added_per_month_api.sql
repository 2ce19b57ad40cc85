-- Songs added per month (Spotify API): how many songs of each playlist now were added to it in each month, newest month first.
SELECT
    playlist_id,
    substr(added_at, 1, 7) AS month_added,
    count(*) AS songs
FROM api_playlist_tracks_data
WHERE added_at IS NOT NULL
GROUP BY playlist_id, substr(added_at, 1, 7)
ORDER BY month_added DESC, playlist_id
LIMIT 50
