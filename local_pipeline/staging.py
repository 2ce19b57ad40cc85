"""Stage 1 (S3 staging stand-in): copy the input CSVs into <output>/staging/."""

from __future__ import annotations

import os
import shutil

from local_pipeline.errors import StageError
from local_pipeline.paths import glue_script


def accepted_files() -> dict[str, tuple[str, ...]]:
    """Per required input role, the file names the Glue job accepts (workshop layout first, then Kaggle's).

    Optional roles (the audio features) may be absent; the job itself rejects
    two layouts at once, so staging copies what it is given, as an upload would.
    """
    etl = glue_script()
    return {
        role: (etl.WORKSHOP_LAYOUT[role].file_name, etl.KAGGLE_LAYOUT[role].file_name)
        for role in etl.ROLES
        if role not in etl.OPTIONAL_ROLES
    }


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
