-- Explicit vs clean: tracks and their share by explicit flag (unknown where the source has no flag).
SELECT
    CASE WHEN explicit THEN 'explicit' WHEN NOT explicit THEN 'clean' ELSE 'unknown' END AS content,
    COUNT(*) AS tracks,
    ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER (), 1) AS share_percent
FROM tracks
GROUP BY CASE WHEN explicit THEN 'explicit' WHEN NOT explicit THEN 'clean' ELSE 'unknown' END
ORDER BY tracks DESC, content
