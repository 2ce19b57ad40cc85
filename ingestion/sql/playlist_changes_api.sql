-- Playlist changes (Spotify API): every run in which a playlist's songs differ from the run before (the first run included), with the songs added and removed; runs over an unchanged playlist add no row.
WITH runs AS (
    SELECT playlist_id, run_at, array_sort(array_agg(song_id)) AS songs
    FROM api_playlist_tracks_history
    GROUP BY playlist_id, run_at
), compared AS (
    SELECT
        playlist_id,
        run_at,
        songs,
        lag(songs) OVER (PARTITION BY playlist_id ORDER BY run_at) AS previous_songs
    FROM runs
)
SELECT
    playlist_id,
    run_at,
    cardinality(songs) AS songs,
    cardinality(array_except(songs, coalesce(previous_songs, CAST(ARRAY[] AS ARRAY(VARCHAR))))) AS added,
    cardinality(array_except(coalesce(previous_songs, CAST(ARRAY[] AS ARRAY(VARCHAR))), songs)) AS removed
FROM compared
WHERE previous_songs IS NULL OR songs <> previous_songs
ORDER BY run_at DESC, playlist_id
LIMIT 50
