-- Dashboard KPIs: tracks, artists, albums and average track popularity over the whole table.
SELECT
    COUNT(*) AS tracks,
    COUNT(DISTINCT artist_id) AS artists,
    COUNT(DISTINCT album_id) AS albums,
    ROUND(AVG(track_popularity), 1) AS avg_track_popularity
FROM tracks
