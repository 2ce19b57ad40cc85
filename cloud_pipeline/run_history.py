"""The newest runs of the Glue job, read from the run history it appends to the warehouse bucket.

`status` reads the pipeline_runs files themselves (a few KB each): no Athena query, no cost, and no
table needed, so it works before the first crawl too. The newest day partitions are listed first
and only as many files are fetched as there are runs to show.
"""

from __future__ import annotations

import os
import tempfile

import duckdb

from etl.history import HISTORY_PARTITION, RUNS_TABLE

SHOWN_RUNS = 5
COLUMNS = ("run_id", "started_at", "status", "published_rows", "quarantined_rows", "seconds", "failed_gates",
           "message")


def _prefixes(s3, bucket: str, prefix: str) -> list[str]:
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        found += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return found


def _keys(s3, bucket: str, prefix: str) -> list[str]:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", []) if o["Key"].endswith(".parquet")]
    return keys


def newest_run_keys(s3, bucket: str, count: int = SHOWN_RUNS) -> list[str]:
    """The keys of the newest `count` run records: file names start with the run's UTC start time."""
    days = sorted(_prefixes(s3, bucket, f"{RUNS_TABLE}/{HISTORY_PARTITION}="), reverse=True)
    keys: list[str] = []
    for day in days:
        keys += sorted(_keys(s3, bucket, day), key=lambda key: key.rsplit("/", 1)[-1], reverse=True)
        if len(keys) >= count:
            break
    return keys[:count]


def recent_runs(s3, bucket: str, count: int = SHOWN_RUNS) -> list[dict]:
    """The newest runs, newest first, each a dict of COLUMNS."""
    keys = newest_run_keys(s3, bucket, count)
    if not keys:
        return []
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, key in enumerate(keys):
            path = os.path.join(folder, f"{number}.parquet")
            s3.download_file(bucket, key, path)
            paths.append(path)
        with duckdb.connect() as connection:
            rows = connection.execute(
                f"SELECT {', '.join(COLUMNS)} FROM read_parquet(?) ORDER BY started_at DESC, run_id DESC",
                [paths]).fetchall()
    return [dict(zip(COLUMNS, row)) for row in rows]


def lines(runs: list[dict]) -> list[str]:
    """One line per run; a run that did not succeed says why on the next line."""
    out = []
    for run in runs:
        published = "-" if run["published_rows"] is None else f"{run['published_rows']:,}"
        quarantined = "-" if run["quarantined_rows"] is None else f"{run['quarantined_rows']:,}"
        out.append(f"{run['started_at']:%Y-%m-%d %H:%M:%S} UTC  {run['status']:<11} {published:>9} published  "
                   f"{quarantined:>6} quarantined  {run['seconds']:>7.1f} s  ({run['run_id']})")
        if run["failed_gates"]:
            out.append(f"  failed gate(s) {run['failed_gates']}: {run['message']}")
        elif run["message"]:
            out.append(f"  error: {run['message']}")
    return out
