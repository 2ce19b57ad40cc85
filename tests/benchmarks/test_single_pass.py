"""`make bench`'s single pass measures the job's own row work: it must publish exactly the job's rows.

If it published fewer rows or other values, job / single pass would not be the
price of gating before publishing.
"""

from __future__ import annotations

from benchmarks.benchmark import single_pass_job
from etl.config import build_config
from etl.contract import TRACKS_TABLE_DIR
from etl.job import run


def published(spark, target: str) -> list[tuple]:
    frame = spark.read.parquet(f"{target}/{TRACKS_TABLE_DIR}")
    return sorted((tuple(row) for row in frame.select(*sorted(frame.columns)).collect()), key=repr)


def test_the_single_pass_publishes_exactly_the_jobs_rows(spark, fixture_source, tmp_path):
    job_target, single_target = str(tmp_path / "job"), str(tmp_path / "single")
    config = build_config(
        {"JOB_NAME": "bench-test", "SOURCE_PATH": fixture_source, "TARGET_PATH": job_target,
         "QUARANTINE_PATH": str(tmp_path / "quarantine")}
    )
    summary = run(spark, config)
    single_pass_job(spark, fixture_source, single_target)

    job_rows, single_rows = published(spark, job_target), published(spark, single_target)
    assert len(job_rows) == summary["output_rows"] > 0
    # The messy input quarantines and removes rows: the single pass must drop the same ones.
    assert summary["input_rows"] > summary["output_rows"]
    assert single_rows == job_rows
