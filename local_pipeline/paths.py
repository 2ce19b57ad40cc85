"""Where each stand-in keeps its files, mirroring the cloud's buckets and prefixes."""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from dataclasses import dataclass
from types import ModuleType

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ETL_SCRIPT = os.path.join(ROOT, "glue_scripts", "spotify_etl.py")


@functools.cache
def glue_script() -> ModuleType:
    """The Glue script as a module, for what the runner must agree with it on
    (accepted input files, the Java check); the job itself runs as a process."""
    if "spotify_etl" in sys.modules:
        return sys.modules["spotify_etl"]
    spec = importlib.util.spec_from_file_location("spotify_etl", ETL_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["spotify_etl"] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Layout:
    output: str

    @property
    def staging(self) -> str:  # s3://<staging bucket>/staging/
        return os.path.join(self.output, "staging")

    @property
    def warehouse(self) -> str:  # s3://<warehouse bucket>/
        return os.path.join(self.output, "warehouse")

    @property
    def quarantine(self) -> str:  # s3://<warehouse bucket>/quarantine/
        return os.path.join(self.warehouse, "quarantine")

    @property
    def run_summary(self) -> str:
        return os.path.join(self.warehouse, "run_summary.json")

    @property
    def catalog(self) -> str:  # the Glue Data Catalog + Athena stand-in
        return os.path.join(self.output, "catalog.duckdb")

    @property
    def dashboard(self) -> str:  # the QuickSight stand-in
        return os.path.join(self.output, "dashboard.html")
