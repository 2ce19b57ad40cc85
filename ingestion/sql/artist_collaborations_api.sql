-- Artist collaborations (Spotify API): songs with more than one artist, with the artists' names.
SELECT
    s.song_name,
    cardinality(s.artist_ids) AS artist_count,
    array_join(array_agg(a.artist_name ORDER BY a.artist_name), ', ') AS artists
FROM api_songs_data AS s
CROSS JOIN UNNEST(s.artist_ids) AS c (artist_id)
LEFT JOIN api_artists_data AS a ON a.artist_id = c.artist_id
WHERE cardinality(s.artist_ids) > 1
GROUP BY s.song_id, s.song_name, cardinality(s.artist_ids)
ORDER BY artist_count DESC, s.song_name
LIMIT 50
