"""Where each stand-in keeps its files, mirroring the cloud's buckets and prefixes."""

from __future__ import annotations

import os
from dataclasses import dataclass

# The repository root, for the runner's defaults, and the Glue job's entry script it runs.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ETL_SCRIPT = os.path.join(ROOT, "glue_scripts", "spotify_etl.py")


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
    def tracks(self) -> str:  # s3://<warehouse bucket>/tracks/
        return os.path.join(self.warehouse, "tracks")

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
