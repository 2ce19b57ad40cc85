"""Stage 1 (S3 staging stand-in): copy the input CSVs into <output>/staging/."""

from __future__ import annotations

import os
import shutil

from etl.layouts import accepted_files
from local_pipeline.errors import StageError


def stage(source: str, staging: str) -> list[tuple[str, int]]:
    """Copy every CSV of source into a fresh staging folder; returns (file, bytes)."""
    if not os.path.isdir(source):
        raise StageError("staging", f"source folder {source} does not exist")
    csv_files = sorted(name for name in os.listdir(source) if name.lower().endswith(".csv"))
    if not csv_files:
        raise StageError("staging", f"source folder {source} holds no .csv files")
    for role, names in accepted_files().items():
        if not any(name in csv_files for name in names):
            raise StageError(
                "staging", f"source folder {source} has no {role} file: expected {' or '.join(names)}"
            )
    for name in csv_files:
        if os.path.getsize(os.path.join(source, name)) == 0:
            raise StageError("staging", f"{os.path.join(source, name)} is empty")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    copied = []
    for name in csv_files:
        shutil.copyfile(os.path.join(source, name), os.path.join(staging, name))
        copied.append((name, os.path.getsize(os.path.join(staging, name))))
    return copied
