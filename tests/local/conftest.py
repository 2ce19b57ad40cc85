"""The local runner's end-to-end run, shared by the pipeline and dashboard tests (one Spark run)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.local import oracle
from tools.generate_data import generate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def fixture_source(tmp_path_factory):
    """A small messy input from the generator (its own seed, not the shipped sample)."""
    folder = str(tmp_path_factory.mktemp("source"))
    generate(scale=0.002, seed=12, layout="workshop", output=folder)  # a seed with unknown release dates
    return folder


@pytest.fixture(scope="session")
def demo_run(fixture_source, tmp_path_factory):
    output = str(tmp_path_factory.mktemp("local"))
    result = subprocess.run(
        [sys.executable, "-m", "local_pipeline", "demo", "--source", fixture_source, "--output", output],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"output": output, "stdout": result.stdout, "expected_rows": oracle.tracks(fixture_source)}
