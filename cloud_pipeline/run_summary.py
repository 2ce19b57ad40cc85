"""The Glue job's run_summary.json (written beside tracks/ in the warehouse bucket), read and printed."""

from __future__ import annotations

import datetime as dt
import json

from botocore.exceptions import ClientError

RUN_SUMMARY_KEY = "run_summary.json"


def fetch(s3, warehouse_bucket: str) -> dict | None:
    try:
        body = s3.get_object(Bucket=warehouse_bucket, Key=RUN_SUMMARY_KEY)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return json.loads(body)


def written_by(summary: dict, job_run: dict) -> bool:
    """Whether the summary comes from this job run, not an earlier one: its run_id starts with the
    UTC time the script started (20261122T090000Z-…), which is never before the job run started."""
    started = job_run.get("StartedOn")
    try:
        written = dt.datetime.strptime(summary.get("run_id", "")[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return False
    return started is None or written >= started.astimezone(dt.timezone.utc).replace(microsecond=0)


def lines(summary: dict) -> list[str]:
    """Accounting, quarantine by reason per file, and each gate with its measured value."""
    out = [f"accounting: {summary['accounting']}  (run {summary.get('run_id', '?')}, {summary.get('status', '?')})"]
    for role, counts in summary.get("files", {}).items():
        reasons = ", ".join(f"{reason.split(':')[0]} {n}" for reason, n in counts.get("quarantine_reasons", {}).items())
        out.append(f"{role:<8} {counts['input_rows']:>8,} in  {counts['kept_rows']:>8,} kept  "
                   f"{counts['quarantined_rows']:>6,} quarantined  {counts['duplicate_rows_removed']:>6,} duplicates"
                   + (f"  [{reasons}]" if reasons else ""))
    for gate in summary.get("gates", []):
        out.append(f"gate {gate['name']:<24} {'PASS' if gate['passed'] else 'FAIL'}  {gate['message']}")
    return out
