"""Spotify ETL: albums + artists + tracks (+ audio features) CSVs -> typed, partitioned Parquet.

The same package runs as the AWS Glue 5.1 job (Spark 3.5.6; glue_scripts/spotify_etl.py
is the entry script, this package ships beside it as --extra-py-files) and on local
Spark: `awsglue` is imported only inside the Glue entry point (etl.entry), so the
transform can be tested with plain pytest and run on a laptop.

Contract (the crawler, the Athena queries and the local runner rely on it):
  <TARGET_PATH>/tracks/release_year=YYYY/*.snappy.parquet  one row per valid track
  <TARGET_PATH>/run_summary.json                            the last run's counts
  <TARGET_PATH>/pipeline_run{s,_files,_gates}/run_date=…/    every run's counts and gates (history)
  <QUARANTINE_PATH>/source=<albums|artists|tracks|features>/ rejected raw lines + reason
Every input row is output, quarantined or a removed exact duplicate, and the
job checks that identity before it publishes anything.

Modules, in the order a run uses them: contract (output schema, constants, errors),
layouts (the accepted input files), config (job arguments), storage (Hadoop file
system), reading, classify (valid / duplicate / quarantined), typed_columns,
joining, accounting (counts, summary, gates), history (the run history), job (the run),
entry (Glue and local).
"""
