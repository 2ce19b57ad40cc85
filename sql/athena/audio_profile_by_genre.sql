-- Audio profile by genre: average danceability, energy, valence and tempo of the tracks with audio features, the 20 most danceable genres (an artist's track counts in each of its genres).
SELECT
    g.genre_name AS genre,
    COUNT(*) AS tracks,
    ROUND(AVG(t.danceability), 3) AS avg_danceability,
    ROUND(AVG(t.energy), 3) AS avg_energy,
    ROUND(AVG(t.valence), 3) AS avg_valence,
    ROUND(AVG(t.tempo), 1) AS avg_tempo
FROM tracks AS t
CROSS JOIN UNNEST(t.genres) AS g (genre_name)
WHERE t.danceability IS NOT NULL OR t.energy IS NOT NULL OR t.valence IS NOT NULL OR t.tempo IS NOT NULL
GROUP BY g.genre_name
ORDER BY avg_danceability DESC, genre
LIMIT 20
