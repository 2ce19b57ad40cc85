"""Stage 2 (Glue job stand-in): run glue_scripts/spotify_etl.py unchanged on local Spark."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from typing import Callable

from etl.entry import java_problem
from local_pipeline.errors import StageError
from local_pipeline.paths import ETL_SCRIPT, Layout

SUMMARY_PREFIX = '{"job":"spotify_etl"'
# Where the last published tracks table waits while a run replaces it (hidden from the catalog).
PREVIOUS_TRACKS = ".tracks-previous"


def transform(layout: Layout, progress: Callable[[str], None], thresholds: dict[str, str] | None = None) -> dict:
    """Run the job as a child process (as Glue would run it) and return its run summary."""
    # The Glue job's own Java check, so the message is the same everywhere.
    problem = java_problem()
    if problem:
        raise StageError("transform", problem)
    # A rerun replaces the table instead of leaving partitions of an older input behind; the
    # previous table is set aside and comes back if the run fails, as tracks/ stays untouched by a
    # failed run on Glue. The run history beside it is appended to, never replaced.
    tracks, previous = layout.tracks, os.path.join(layout.warehouse, PREVIOUS_TRACKS)
    if os.path.isdir(previous) and not os.path.isdir(tracks):  # an interrupted run's leftover: the table
        os.rename(previous, tracks)
    shutil.rmtree(previous, ignore_errors=True)
    if os.path.isdir(tracks):
        os.rename(tracks, previous)
    try:
        summary = _run_job(layout, progress, thresholds)
    except BaseException:
        if os.path.isdir(previous):
            shutil.rmtree(tracks, ignore_errors=True)
            os.rename(previous, tracks)
        raise
    shutil.rmtree(previous, ignore_errors=True)
    return summary


def _run_job(layout: Layout, progress: Callable[[str], None], thresholds: dict[str, str] | None) -> dict:
    command = [
        sys.executable, ETL_SCRIPT, "--JOB_NAME", "local",
        "--SOURCE_PATH", layout.staging, "--TARGET_PATH", layout.warehouse, "--QUARANTINE_PATH", layout.quarantine,
    ]
    for name, value in (thresholds or {}).items():
        command += [f"--{name}", str(value)]
    env = {**os.environ, "SPARK_LOCAL_IP": os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"), "PYTHONUNBUFFERED": "1"}
    started = time.time()
    summary = None
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, encoding="utf-8"
    ) as process:
        for line in process.stdout:
            line = line.rstrip("\n")
            if line.startswith(SUMMARY_PREFIX):
                summary = json.loads(line)
            elif line.startswith("[spotify_etl] "):
                progress(f"[{time.time() - started:5.1f}s] {line.removeprefix('[spotify_etl] ')}")
        stderr = process.stderr.read()
    if process.returncode != 0:
        errors = [line for line in stderr.splitlines() if line.startswith("spotify_etl: error: ")]
        message = errors[-1].removeprefix("spotify_etl: error: ") if errors else _last_lines(stderr)
        raise StageError("transform", message)
    if summary is None:
        raise StageError("transform", "the Glue script finished without printing its run summary")
    return summary


def _last_lines(text: str, count: int = 15) -> str:
    return "the Glue script failed:\n" + "\n".join(text.strip().splitlines()[-count:])
