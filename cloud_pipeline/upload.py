"""Stage a folder of CSVs under staging/ in the staging bucket, checking first that the
Glue job will accept them (the names come from the job's own layouts)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable

from cloud_pipeline.errors import OperatorError
from etl.layouts import accepted_files

STAGING_PREFIX = "staging/"


@dataclass
class UploadPlan:
    files: list[tuple[str, int]]  # (name, bytes) to upload
    to_remove: list[str]  # keys under staging/ the upload does not replace (the sample files, say)


def check_source(source: str) -> list[tuple[str, int]]:
    """The CSVs of source, once every role has a file the job accepts and none is empty."""
    if not os.path.isdir(source):
        raise OperatorError(f"source folder {source} does not exist")
    names = sorted(n for n in os.listdir(source) if n.lower().endswith(".csv"))
    for role, accepted in accepted_files().items():
        if not any(name in names for name in accepted):
            found = ", ".join(names) or "no .csv files"
            raise OperatorError(
                f"{source} has no {role} file: the Glue job accepts {' or '.join(accepted)} (found {found})")
    files = [(name, os.path.getsize(os.path.join(source, name))) for name in names]
    for name, size in files:
        if size == 0:
            raise OperatorError(f"{os.path.join(source, name)} is empty")
    return files


def plan(s3, bucket: str, source: str) -> UploadPlan:
    files = check_source(source)
    uploading = {STAGING_PREFIX + name for name, _ in files}
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=STAGING_PREFIX)
    existing = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    return UploadPlan(files, sorted(key for key in existing if key not in uploading and key != STAGING_PREFIX))


def upload(s3, bucket: str, source: str, *, confirm: Callable[[str], bool], say: Callable[[str], None]) -> UploadPlan:
    """Ask before anything is removed: leftover files of the other layout (the sample beside a Kaggle
    download, say) make the job stop with a two-layouts error, and leftovers of the same layout would be read."""
    upload_plan = plan(s3, bucket, source)
    if upload_plan.to_remove and not confirm(
        f"remove {len(upload_plan.to_remove)} other file(s) from s3://{bucket}/{STAGING_PREFIX}: "
        f"{', '.join(k.removeprefix(STAGING_PREFIX) for k in upload_plan.to_remove)}?"
    ):
        raise OperatorError(
            "nothing uploaded: the other staging files would be read too (rerun with --yes to remove them)")
    for name, size in upload_plan.files:
        s3.upload_file(os.path.join(source, name), bucket, STAGING_PREFIX + name)
        say(f"uploaded  s3://{bucket}/{STAGING_PREFIX}{name}  {size:>12,} bytes")
    for key in upload_plan.to_remove:
        s3.delete_object(Bucket=bucket, Key=key)
        say(f"removed   s3://{bucket}/{key}")
    return upload_plan
