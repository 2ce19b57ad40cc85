-- Albums with the most tracks (Spotify API): albums of the ingested songs by their total track count.
SELECT
    name AS album_name,
    release_date,
    total_tracks
FROM api_albums_data
ORDER BY total_tracks DESC, album_name
LIMIT 20
