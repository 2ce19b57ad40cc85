-- Gate results over time: every data-quality gate of the last 90 days' runs with its threshold and measured value, the failed ones first, then the newest.
SELECT
    started_at,
    run_id,
    gate,
    measured,
    threshold,
    passed,
    message
FROM pipeline_run_gates
WHERE run_date >= CAST(current_date - INTERVAL '90' DAY AS VARCHAR)
ORDER BY passed, started_at DESC, gate
