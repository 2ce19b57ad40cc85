"""Runs of the job that several test files read: the workshop files, and the same with audio features.

One run each per session. Tests only read their output, except test_job.py's rerun, which writes the
same rows again after that file's own check of the run summary."""

from __future__ import annotations

import pytest

from etl.job import run
from tests.etl.support import LENIENT, config_for, read_tracks, write_features, write_workshop_files


@pytest.fixture(scope="session")
def workshop_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("workshop")
    write_workshop_files(str(folder / "staging"))
    config = config_for(folder, **LENIENT)
    summary = run(spark, config)
    return {"config": config, "summary": summary, "tracks": read_tracks(spark, config.target_path), "folder": folder}


@pytest.fixture(scope="session")
def features_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("features")
    write_features(write_workshop_files(str(folder / "staging")))
    config = config_for(folder, **LENIENT, MAX_ORPHAN_FEATURE_RATE="0.6")
    summary = run(spark, config)
    return {"config": config, "summary": summary, "tracks": {r["track_id"]: r for r in
                                                            read_tracks(spark, config.target_path)}}
