"""The run: session settings sized to the input, the run summary, reruns."""

from __future__ import annotations

import glob
import json

from etl import job
from etl.job import run
from tests.etl.support import EXPECTED_TRACKS, LENIENT, config_for, read_tracks, write_workshop_files


def test_compiled_and_interpreted_evaluation_publish_the_same_rows(spark, workshop_run, tmp_path, monkeypatch):
    # The sample is evaluated interpreted (no code generation); the real data compiled.
    assert spark.conf.get("spark.sql.codegen.factoryMode") == "NO_CODEGEN"
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "false"
    monkeypatch.setattr(job, "SMALL_INPUT_BYTES", 0)  # read by configure_session
    write_workshop_files(str(tmp_path / "staging"))
    config = config_for(tmp_path, **LENIENT)
    summary = run(spark, config)
    assert spark.conf.get("spark.sql.codegen.factoryMode") == "FALLBACK"
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "true"
    assert read_tracks(spark, config.target_path) == workshop_run["tracks"]
    assert summary["files"] == json.loads(json.dumps(workshop_run["summary"]["files"]).replace(
        str(workshop_run["folder"]), str(tmp_path)))


def test_run_summary_is_written_beside_the_table_and_printed(workshop_run, capsys):
    target = workshop_run["config"].target_path
    with open(f"{target}/run_summary.json", encoding="utf-8") as handle:
        written = json.load(handle)
    assert written == workshop_run["summary"]
    assert not glob.glob(f"{target}/tracks/*.json")


def test_rerun_is_idempotent(spark, workshop_run):
    target = workshop_run["config"].target_path
    files_before = sorted(glob.glob(f"{target}/tracks/*/*.parquet"))
    run(spark, workshop_run["config"])
    assert read_tracks(spark, target) == EXPECTED_TRACKS
    assert len(glob.glob(f"{target}/tracks/*/*.parquet")) == len(files_before)
    assert spark.read.parquet(workshop_run["config"].quarantine_path).count() == 10
