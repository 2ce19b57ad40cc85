-- Recent pipeline runs: the newest 20 runs of the Glue job in the last 90 days, each with how it ended, the rows it read and published, and the gates that failed.
SELECT
    started_at,
    run_id,
    status,
    input_rows,
    published_rows,
    quarantined_rows,
    duplicate_rows,
    seconds,
    failed_gates,
    message
FROM pipeline_runs
WHERE run_date >= CAST(current_date - INTERVAL '90' DAY AS VARCHAR)
ORDER BY started_at DESC, run_id DESC
LIMIT 20
