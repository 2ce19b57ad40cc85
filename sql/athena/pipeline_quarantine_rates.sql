-- Quarantine and unparseable rates per file: for every run of the last 90 days and each input file, the share of rows quarantined and the unparseable values per kept row.
SELECT
    started_at,
    run_id,
    status,
    role,
    file,
    input_rows,
    quarantined_rows,
    quarantine_rate,
    unparseable_values,
    unparseable_rate,
    out_of_range_values,
    orphan_rows
FROM pipeline_run_files
WHERE run_date >= CAST(current_date - INTERVAL '90' DAY AS VARCHAR)
ORDER BY started_at, run_id, role
