"""The run history: every run's accounting and gates, appended as flat, typed Parquet records.

Three tables beside tracks/ in the warehouse, each partitioned by the UTC day the run started:
  <TARGET_PATH>/pipeline_runs/run_date=YYYY-MM-DD/<run_id>.parquet       one row per run
  <TARGET_PATH>/pipeline_run_files/run_date=YYYY-MM-DD/<run_id>.parquet  one row per run and input file
  <TARGET_PATH>/pipeline_run_gates/run_date=YYYY-MM-DD/<run_id>.parquet  one row per run and gate
A record is written once, under its run id, and never replaced: a second run with the same id fails
instead of overwriting the first one's records. The schemas below are the one place the tables are
written down: the stack declares its Glue tables and QuickSight datasets from them.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from etl.accounting import rate
from etl.contract import EtlError, describe_error
from etl.storage import delete_path, list_files, make_dirs, path_exists, rename_path

RUNS_TABLE, FILES_TABLE, GATES_TABLE = "pipeline_runs", "pipeline_run_files", "pipeline_run_gates"
HISTORY_PARTITION = "run_date"
# Spark writes a record here first; only its one Parquet file moves into the table. The folder starts
# with "_", so no reader (Athena, the crawler, the local catalog) takes it for data.
INCOMING_DIR = "_incoming"
SUCCEEDED, GATE_FAILED, ERROR = "succeeded", "gate_failed", "error"
RUN_STATUSES = (SUCCEEDED, GATE_FAILED, ERROR)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
MESSAGE_LIMIT = 2000  # characters of an error message kept in the record (a Java stack trace is longer)


def _fields(*specs: tuple[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(name, data_type) for name, data_type in specs])


_RUN_KEYS = (("run_id", T.StringType()), ("started_at", T.TimestampType()), ("status", T.StringType()))
RUNS_SCHEMA = _fields(
    *_RUN_KEYS,
    ("job_name", T.StringType()),
    ("glue_job_run_id", T.StringType()),  # the Glue console's jr_… id; null for a local run
    ("ended_at", T.TimestampType()),
    ("seconds", T.DoubleType()),
    ("input_rows", T.LongType()),
    ("output_rows", T.LongType()),  # rows that passed validation
    ("published_rows", T.LongType()),  # rows written to tracks/: output_rows if every gate passed, else 0
    ("quarantined_rows", T.LongType()),
    ("duplicate_rows", T.LongType()),
    ("failed_gates", T.StringType()),  # the failed gates' names, comma-separated; null when none failed
    ("message", T.StringType()),  # why the run did not succeed
    ("source_path", T.StringType()),
)
FILES_SCHEMA = _fields(
    *_RUN_KEYS,
    ("role", T.StringType()),  # albums, artists, tracks or features
    ("file", T.StringType()),
    ("input_rows", T.LongType()),
    ("kept_rows", T.LongType()),
    ("quarantined_rows", T.LongType()),
    ("duplicate_rows", T.LongType()),
    # The quarantine reasons, one column each: together they are quarantined_rows.
    ("malformed_rows", T.LongType()),
    ("invalid_id_rows", T.LongType()),
    ("conflicting_id_rows", T.LongType()),
    ("quarantine_rate", T.DoubleType()),  # quarantined_rows / input_rows
    ("unparseable_values", T.LongType()),  # values of kept rows that could not be read (now null)
    ("unparseable_rate", T.DoubleType()),  # unparseable_values per kept row
    ("out_of_range_values", T.LongType()),
    # Album rows that found no match in this file (artists, tracks, features); null for the albums file.
    ("orphan_rows", T.LongType()),
)
GATES_SCHEMA = _fields(
    *_RUN_KEYS,
    ("gate", T.StringType()),
    ("threshold", T.DoubleType()),
    ("measured", T.DoubleType()),
    ("passed", T.BooleanType()),
    ("message", T.StringType()),
)
HISTORY_TABLES = {RUNS_TABLE: RUNS_SCHEMA, FILES_TABLE: FILES_SCHEMA, GATES_TABLE: GATES_SCHEMA}
# Quarantine reason code (etl/classify.py) -> its column; invalid_ and conflicting_ end with the key's name.
REASON_COLUMNS = {
    "malformed_row": "malformed_rows",
    "invalid_": "invalid_id_rows",
    "conflicting_": "conflicting_id_rows",
}
ORPHANS_BY_ROLE = {"artists": "artist_rows", "tracks": "track_rows", "features": "feature_rows"}


class HistoryWriteError(EtlError):
    """A history record could not be written: the run fails rather than lose it."""


def _reason_column(reason: str) -> str:
    code = reason.split(":", 1)[0]
    for prefix, column in REASON_COLUMNS.items():
        if code.startswith(prefix):
            return column
    raise AssertionError(f"quarantine reason without a history column: {reason!r}")


def run_record(run: dict, summary: dict | None, status: str, message: str | None) -> dict:
    """The pipeline_runs row. `run` holds run_id, started_at, ended_at, job_name, glue_job_run_id, source_path;
    `summary` is the run summary, or None when the run ended before anything was counted."""
    counted = summary or {}
    failed = [g["name"] for g in counted.get("gates", []) if not g["passed"]]
    return {
        "run_id": run["run_id"],
        "started_at": run["started_at"],
        "status": status,
        "job_name": run["job_name"],
        "glue_job_run_id": run.get("glue_job_run_id"),
        "ended_at": run["ended_at"],
        "seconds": round((run["ended_at"] - run["started_at"]).total_seconds(), 1),
        "input_rows": counted.get("input_rows"),
        "output_rows": counted.get("output_rows"),
        "published_rows": (counted["output_rows"] if status == SUCCEEDED else 0) if summary else None,
        "quarantined_rows": counted.get("quarantined_rows"),
        "duplicate_rows": counted.get("duplicate_rows_removed"),
        "failed_gates": ",".join(failed) or None,
        "message": message[:MESSAGE_LIMIT] if message else None,
        "source_path": run["source_path"],
    }


def file_records(run: dict, summary: dict, status: str) -> list[dict]:
    keys = {"run_id": run["run_id"], "started_at": run["started_at"], "status": status}
    records = []
    for role, counts in summary["files"].items():
        reasons = dict.fromkeys(REASON_COLUMNS.values(), 0)
        for reason, rows in counts["quarantine_reasons"].items():
            reasons[_reason_column(reason)] += rows
        unparseable = sum(counts["unparseable_values"].values())
        orphans = summary["orphans"].get(ORPHANS_BY_ROLE.get(role, ""))
        records.append({
            **keys,
            "role": role,
            "file": counts["file"],
            "input_rows": counts["input_rows"],
            "kept_rows": counts["kept_rows"],
            "quarantined_rows": counts["quarantined_rows"],
            "duplicate_rows": counts["duplicate_rows_removed"],
            **reasons,
            "quarantine_rate": rate(counts["quarantined_rows"], counts["input_rows"]),
            "unparseable_values": unparseable,
            "unparseable_rate": rate(unparseable, counts["kept_rows"]),
            "out_of_range_values": sum(counts.get("out_of_range_values", {}).values()),
            "orphan_rows": orphans,
        })
    return records


def gate_records(run: dict, summary: dict, status: str) -> list[dict]:
    keys = {"run_id": run["run_id"], "started_at": run["started_at"], "status": status}
    return [
        {**keys, "gate": g["name"], "threshold": float(g["threshold"]), "measured": float(g["measured"]),
         "passed": g["passed"], "message": g["message"]}
        for g in summary.get("gates", [])
    ]


def record_path(target_path: str, table: str, run: dict) -> str:
    run_date = run["started_at"].astimezone(dt.timezone.utc).strftime("%Y-%m-%d")
    return f"{target_path}/{table}/{HISTORY_PARTITION}={run_date}/{run['run_id']}.parquet"


def _wire_value(value):
    if isinstance(value, dt.datetime):  # JSON has no time stamp: microseconds since the epoch, exactly
        return (value - EPOCH) // dt.timedelta(microseconds=1)
    return value


def literal_frame(spark: SparkSession, schema: T.StructType, rows: list[dict]) -> DataFrame:
    """The rows as a DataFrame, built in the JVM from one JSON literal.

    spark.createDataFrame would start Python worker processes to unpickle the rows, which nothing
    else in the job needs (measured locally: its first write 0.87 s, this frame's 0.1 to 0.2 s).
    """
    timestamps = {f.name for f in schema.fields if isinstance(f.dataType, T.TimestampType)}
    wire = T.StructType([T.StructField(f.name, T.LongType() if f.name in timestamps else f.dataType)
                         for f in schema.fields])
    payload = json.dumps([{f.name: _wire_value(row[f.name]) for f in schema.fields} for row in rows])
    # FAILFAST: a value that does not fit its column stops the write instead of becoming a silent null.
    record = F.explode(F.from_json(F.lit(payload), T.ArrayType(wire), {"mode": "FAILFAST"})).alias("record")
    columns = [
        (F.expr(f"timestamp_micros(record.`{f.name}`)") if f.name in timestamps else F.col(f"record.`{f.name}`"))
        .cast(f.dataType).alias(f.name)
        for f in schema.fields
    ]
    # A one-row SELECT, not spark.range(1): the first range of a session costs 0.7 s locally.
    return spark.sql("SELECT 1").select(record).select(*columns)


def _staged(spark: SparkSession, target_path: str, table: str, run: dict, rows: list[dict]) -> tuple[str, str]:
    """Spark writes the rows into <table>/_incoming/<run_id>/ (it cannot name its file); returns the one
    part file and the record's final path."""
    final = record_path(target_path, table, run)
    if path_exists(spark, final):
        raise HistoryWriteError(
            f"{final} already exists: a run with id {run['run_id']} was recorded before, and its records are "
            "kept as they are")
    incoming = f"{target_path}/{table}/{INCOMING_DIR}/{run['run_id']}"
    schema = HISTORY_TABLES[table]
    try:
        frame = literal_frame(spark, schema, rows)
        # errorifexists: a second writer of this run id stops here instead of mixing files.
        frame.coalesce(1).write.mode("errorifexists").option("compression", "snappy").parquet(incoming)
        (part,) = [p for p in list_files(spark, incoming) if p.rsplit("/", 1)[-1].startswith("part-")]
    except Exception as error:  # Py4J and Spark errors: say which record could not be written
        raise _write_error(table, run, final, error) from error
    return part, final


def _published(spark: SparkSession, table: str, run: dict, part: str, final: str) -> str:
    """Move the part file into its partition under the run's name, then drop the incoming folder."""
    try:
        make_dirs(spark, final.rsplit("/", 1)[0])
        moved = rename_path(spark, part, final)
    except Exception as error:
        raise _write_error(table, run, final, error) from error
    if not moved:
        raise HistoryWriteError(f"could not move {part} to {final} (does it exist already?)")
    delete_path(spark, part.rsplit("/", 1)[0])
    return final


def _write_error(table: str, run: dict, final: str, error: Exception) -> HistoryWriteError:
    return HistoryWriteError(
        f"could not write the {table} record of run {run['run_id']} to {final}: {describe_error(error)}")


def write_records(spark: SparkSession, target_path: str, table: str, run: dict, rows: list[dict]) -> str | None:
    """Write one run's rows of one table as one Parquet file named after the run; never replace one.
    Returns the file's path (None for no rows)."""
    if not rows:
        return None
    return _published(spark, table, run, *_staged(spark, target_path, table, run, rows))


def record_run(spark: SparkSession, target_path: str, run: dict, summary: dict | None, status: str,
               message: str | None) -> list[str]:
    """Append the run's records. The three Spark writes run at once (each is mostly a commit's fixed
    cost); the files then move into their tables files and gates first, the run last, so a run row
    always has its details, and no record is published if any of them could not be written."""
    if status not in RUN_STATUSES:
        raise AssertionError(f"unknown run status {status!r}")
    records = {RUNS_TABLE: [run_record(run, summary, status, message)]}
    if summary is not None:
        records = {FILES_TABLE: file_records(run, summary, status), GATES_TABLE: gate_records(run, summary, status),
                   **records}
    records = {table: rows for table, rows in records.items() if rows}
    with ThreadPoolExecutor(max_workers=len(records)) as pool:
        staging = {table: pool.submit(_staged, spark, target_path, table, run, rows) for table, rows in records.items()}
        staged = {table: future.result() for table, future in staging.items()}
    return [_published(spark, table, run, *staged[table]) for table in records]
