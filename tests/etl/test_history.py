"""The run history: every run recorded (succeeded, gate_failed, error) in flat, typed tables whose
counts add up, appended and never overwritten, and a run that cannot record itself fails."""

from __future__ import annotations

import datetime as dt
import glob
import os

import pytest

from etl.contract import DataQualityError, MissingInputError
from etl.history import (
    FILES_SCHEMA,
    FILES_TABLE,
    GATES_SCHEMA,
    GATES_TABLE,
    RUNS_SCHEMA,
    RUNS_TABLE,
    HistoryWriteError,
    literal_frame,
    record_path,
    write_records,
)
from etl.job import run
from tests.etl.support import LENIENT, config_for, read_tracks, write_workshop_files


def history(spark, target: str, table: str) -> list[dict]:
    folder = f"{target}/{table}"
    if not os.path.isdir(folder):
        return []
    rows = [r.asDict() for r in spark.read.parquet(folder).collect()]
    return sorted(rows, key=lambda r: (r["started_at"], r.get("role") or "", r.get("gate") or ""))


def test_the_workshop_run_records_itself_with_exact_counts(spark, workshop_run):
    target = workshop_run["config"].target_path
    summary = workshop_run["summary"]
    (record,) = [r for r in history(spark, target, RUNS_TABLE) if r["run_id"] == summary["run_id"]]
    # The partition is the UTC day the run started (PySpark returns the time stamp in local time).
    assert record["run_date"] == record["started_at"].astimezone(dt.timezone.utc).date()
    assert {k: record[k] for k in ("status", "job_name", "glue_job_run_id", "input_rows", "output_rows",
                                   "published_rows", "quarantined_rows", "duplicate_rows", "failed_gates",
                                   "message")} == {
        "status": "succeeded", "job_name": "test", "glue_job_run_id": None, "input_rows": 14, "output_rows": 9,
        "published_rows": 9, "quarantined_rows": 4, "duplicate_rows": 1, "failed_gates": None, "message": None}
    assert record["ended_at"] >= record["started_at"] and record["seconds"] >= 0

    files = {r["role"]: r for r in history(spark, target, FILES_TABLE) if r["run_id"] == summary["run_id"]}
    counts = {role: (r["input_rows"], r["kept_rows"], r["quarantined_rows"], r["duplicate_rows"], r["malformed_rows"],
                     r["invalid_id_rows"], r["conflicting_id_rows"], r["unparseable_values"], r["orphan_rows"])
              for role, r in files.items()}
    assert counts == {"albums": (14, 9, 4, 1, 1, 2, 1, 4, None), "artists": (10, 6, 3, 1, 1, 1, 1, 1, 1),
                      "tracks": (11, 7, 3, 1, 1, 1, 1, 2, 2)}
    assert (files["artists"]["quarantine_rate"], files["tracks"]["unparseable_rate"]) == (0.3, round(2 / 7, 6))
    assert files["albums"]["file"] == summary["files"]["albums"]["file"]

    gates = {r["gate"]: (r["threshold"], r["measured"], r["passed"])
             for r in history(spark, target, GATES_TABLE) if r["run_id"] == summary["run_id"]}
    assert gates == {"min_output_rows": (1.0, 9.0, True), "max_quarantine_rate": (0.5, 0.3, True),
                     "max_orphan_artist_rate": (0.5, 0.111111, True), "max_orphan_track_rate": (0.5, 0.222222, True)}


def test_the_tables_have_the_declared_schemas_and_one_file_per_run(spark, workshop_run):
    target = workshop_run["config"].target_path
    for table, schema in ((RUNS_TABLE, RUNS_SCHEMA), (FILES_TABLE, FILES_SCHEMA), (GATES_TABLE, GATES_SCHEMA)):
        # Named after the run (a rerun of this warehouse in test_job.py adds a file of its own).
        files = glob.glob(f"{target}/{table}/run_date=*/{workshop_run['summary']['run_id']}.parquet")
        assert len(files) == 1
        read = spark.read.parquet(files[0]).schema
        assert [(f.name, f.dataType) for f in read.fields] == [(f.name, f.dataType) for f in schema.fields]
        assert os.listdir(f"{target}/{table}/_incoming") == []  # the staging folder of each record is gone


def test_three_runs_into_one_warehouse_keep_three_records_and_add_up(spark, tmp_path):
    write_workshop_files(str(tmp_path / "staging"))
    good = config_for(tmp_path, **LENIENT)
    run(spark, good)
    published = read_tracks(spark, good.target_path)
    with pytest.raises(DataQualityError):
        run(spark, config_for(tmp_path, **{**LENIENT, "MAX_QUARANTINE_RATE": "0.0001"}))
    assert read_tracks(spark, good.target_path) == published  # a failed gate publishes nothing
    run(spark, good)

    runs = history(spark, good.target_path, RUNS_TABLE)
    assert [r["status"] for r in runs] == ["succeeded", "gate_failed", "succeeded"]
    assert [r["published_rows"] for r in runs] == [9, 0, 9]
    assert runs[1]["failed_gates"] == "max_quarantine_rate"
    assert runs[1]["message"].startswith("data-quality gate max_quarantine_rate failed: ")
    assert len({r["run_id"] for r in runs}) == 3
    files = history(spark, good.target_path, FILES_TABLE)
    for record in runs:
        own = {f["role"]: f for f in files if f["run_id"] == record["run_id"]}
        assert set(own) == {"albums", "artists", "tracks"}
        assert all(f["status"] == record["status"] for f in own.values())
        for f in own.values():
            assert f["input_rows"] == f["kept_rows"] + f["quarantined_rows"] + f["duplicate_rows"]
            assert f["quarantined_rows"] == f["malformed_rows"] + f["invalid_id_rows"] + f["conflicting_id_rows"]
        albums = own["albums"]
        assert (record["input_rows"], record["output_rows"], record["quarantined_rows"], record["duplicate_rows"]) == (
            albums["input_rows"], albums["kept_rows"], albums["quarantined_rows"], albums["duplicate_rows"])
    failing = [g for g in history(spark, good.target_path, GATES_TABLE) if not g["passed"]]
    assert [(g["run_id"], g["gate"], g["threshold"], g["measured"]) for g in failing] == [
        (runs[1]["run_id"], "max_quarantine_rate", 0.0001, 0.3)]


def test_a_run_that_fails_before_counting_records_an_error_and_publishes_nothing(spark, tmp_path):
    config = config_for(tmp_path)  # no staging folder at all
    with pytest.raises(MissingInputError) as failure:
        run(spark, config)
    (record,) = history(spark, config.target_path, RUNS_TABLE)
    assert (record["status"], record["message"]) == ("error", str(failure.value))
    assert record["message"].startswith("missing input file for albums: expected albums.csv or ")
    assert [record[k] for k in ("input_rows", "output_rows", "published_rows", "failed_gates")] == [None] * 4
    assert sorted(os.listdir(config.target_path)) == [RUNS_TABLE]  # no summary, no quarantine, no tracks


def test_records_reach_spark_exactly_as_given(spark):
    started = dt.datetime(2026, 12, 5, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
    rows = [{"run_id": "r1", "started_at": started, "status": "error", "gate": 'quote " and é, ünïcode',
             "threshold": 0.1 + 0.2, "measured": 4389.0, "passed": False, "message": None}]
    (row,) = literal_frame(spark, GATES_SCHEMA, rows).collect()
    # PySpark hands time stamps back as naive datetimes in the local time zone.
    assert row.asDict() == {**rows[0], "started_at": started.astimezone().replace(tzinfo=None)}
    assert literal_frame(spark, GATES_SCHEMA, rows).schema == GATES_SCHEMA


def test_two_runs_with_the_same_id_cannot_overwrite_each_other(spark, tmp_path):
    target = str(tmp_path / "warehouse")
    facts = {"run_id": "20261205T090000Z-0000abcd", "started_at": dt.datetime(2026, 12, 5, 9, tzinfo=dt.timezone.utc),
             "ended_at": dt.datetime(2026, 12, 5, 9, 1, tzinfo=dt.timezone.utc), "job_name": "first",
             "glue_job_run_id": None, "source_path": "staging"}
    first = {f.name: None for f in RUNS_SCHEMA.fields} | {k: facts[k] for k in ("run_id", "started_at", "job_name")}
    path = write_records(spark, target, RUNS_TABLE, facts, [{**first, "status": "succeeded"}])
    assert path == record_path(target, RUNS_TABLE, facts) == (
        f"{target}/{RUNS_TABLE}/run_date=2026-12-05/20261205T090000Z-0000abcd.parquet")
    with pytest.raises(HistoryWriteError) as failure:
        write_records(spark, target, RUNS_TABLE, facts, [{**first, "job_name": "second", "status": "error"}])
    assert str(failure.value) == (f"{path} already exists: a run with id 20261205T090000Z-0000abcd was recorded "
                                  "before, and its records are kept as they are")
    (kept,) = history(spark, target, RUNS_TABLE)
    assert (kept["job_name"], kept["status"]) == ("first", "succeeded")


def test_a_record_that_cannot_be_written_fails_the_run(spark, tmp_path):
    write_workshop_files(str(tmp_path / "staging"))
    config = config_for(tmp_path, **LENIENT)
    os.makedirs(config.target_path)
    with open(f"{config.target_path}/{RUNS_TABLE}", "w", encoding="utf-8") as handle:
        handle.write("a file where the runs table's folder belongs\n")
    with pytest.raises(HistoryWriteError) as failure:
        run(spark, config)
    assert str(failure.value).startswith(f"could not write the {RUNS_TABLE} record of run ")
    assert f" to {config.target_path}/{RUNS_TABLE}/run_date=" in str(failure.value)
    # The other two records were written aside but not published: no details without their run row.
    assert glob.glob(f"{config.target_path}/pipeline_run*/run_date=*/*.parquet") == []
