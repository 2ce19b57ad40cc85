"""`status` and the stack lookup, as a participant holding only docs/participant-policy.json."""

from __future__ import annotations

import json
import os
import re

import boto3

from etl.history import RUNS_TABLE
from tests.cloud_pipeline.conftest import REGION, Participant, deploy, render_policy, run_cli

SUMMARY = {"run_id": "20261122T010203Z-abcdef12", "status": "succeeded",
           "accounting": "4437 input = 4380 output + 12 quarantined + 45 duplicates", "files": {}, "gates": []}


def test_status_reports_stack_workflow_job_crawler_table_and_summary(aws, capsys):
    outputs = deploy("alice")
    glue = boto3.client("glue", region_name=REGION)
    job_run_id = glue.start_job_run(JobName="alice-spotify-etl")["JobRunId"]
    run_id = glue.start_workflow_run(Name="alice-spotify-pipeline")["RunId"]
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=outputs["WarehouseBucket"], Key="run_summary.json", Body=json.dumps(SUMMARY).encode())

    assert run_cli(["status", "--prefix", "alice", "--region", REGION], participant=Participant("alice")) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"stack     alice-spotify-pipeline  CREATE_COMPLETE  ({REGION})"
    assert f"  {'StagingBucket':<20} {outputs['StagingBucket']}" in lines
    workflow_line = next(line for line in lines if line.startswith("workflow  "))
    assert workflow_line.startswith(f"workflow  alice-spotify-pipeline  last run {run_id} RUNNING started ")
    # moto's job runs succeed at once after 123 s; without a worker count there are no DPU-seconds to report
    assert f"job       alice-spotify-etl  SUCCEEDED  123 s, n/a DPU-s  ({job_run_id})" in lines
    assert "crawler   alice-spotify-tracks  READY, last crawl none" in lines
    assert "table     alice_spotify.tracks  3 partitions" in lines
    assert lines[-2:] == ["summary   4437 input = 4380 output + 12 quarantined + 45 duplicates",
                          "history   no run recorded yet"]


def test_status_json_before_the_first_run(aws, capsys):
    deploy("alice", partitions=())
    assert run_cli(["status", "--prefix", "alice", "--region", REGION, "--json"],
                   participant=Participant("alice")) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stack"] == "alice-spotify-pipeline"
    assert report["outputs"]["AthenaWorkGroup"] == "alice-spotify"
    assert report["last_workflow_run"] is None
    assert report["last_job_run"] is None
    assert report["table"] == {"name": "alice_spotify.tracks", "partitions": 0}
    assert report["run_summary"] is None
    assert report["recent_runs"] == []


def upload_history(outputs: dict, warehouse: str) -> list[str]:
    """The run history a real run wrote (the shared demo's three runs), as the job leaves it in the bucket."""
    s3 = boto3.client("s3", region_name=REGION)
    keys = []
    for folder, _, files in os.walk(os.path.join(warehouse, RUNS_TABLE)):
        for name in files:
            if name.endswith(".parquet"):
                key = os.path.relpath(os.path.join(folder, name), warehouse).replace(os.sep, "/")
                s3.upload_file(os.path.join(folder, name), outputs["WarehouseBucket"], key)
                keys.append(key)
    return sorted(keys)


def test_status_shows_the_newest_runs_from_the_history(aws, demo_run, capsys):
    outputs = deploy("alice")
    keys = upload_history(outputs, os.path.join(demo_run["output"], "warehouse"))
    alice = Participant("alice")
    # The newest five records (the demo folder holds three runs, or four after a rerun test), newest first.
    assert run_cli(["status", "--prefix", "alice", "--region", REGION, "--json"], participant=alice) == 0
    runs = json.loads(capsys.readouterr().out)["recent_runs"]
    assert [r["run_id"] + ".parquet" for r in runs] == sorted(
        (key.rsplit("/", 1)[-1] for key in keys), reverse=True)[:5]
    statuses = {r["run_id"]: r["status"] for r in runs}
    first, failed, last = (re.search(r"run history: run (\S+) recorded", r.stdout).group(1) for r in demo_run["runs"])
    assert (statuses[first], statuses[failed], statuses[last]) == ("succeeded", "gate_failed", "succeeded")

    assert run_cli(["status", "--prefix", "alice", "--region", REGION], participant=alice) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index(f"history   the newest {len(runs)} runs, newest first:")
    failed_line = next(i for i, line in enumerate(lines) if line.endswith(f"({failed})"))
    assert failed_line > start
    assert f" UTC  gate_failed {0:>9} published " in lines[failed_line]
    assert lines[failed_line + 1].startswith(
        "    failed gate(s) max_quarantine_rate: data-quality gate max_quarantine_rate failed: ")


def test_a_policy_without_the_history_prefixes_still_gets_the_rest_of_status(aws, demo_run, capsys):
    outputs = deploy("alice")
    upload_history(outputs, os.path.join(demo_run["output"], "warehouse"))
    alice = Participant("alice")
    # The participant policy as it was before the run history: no read of pipeline_runs/.
    policy = json.loads(render_policy("alice"))
    for statement in policy["Statement"]:
        if isinstance(statement["Resource"], list):
            statement["Resource"] = [r for r in statement["Resource"] if "/pipeline_run" not in r]
    boto3.client("iam", region_name=REGION).put_user_policy(
        UserName="participant-alice", PolicyName="participant", PolicyDocument=json.dumps(policy))

    assert run_cli(["status", "--prefix", "alice", "--region", REGION], participant=alice) == 0
    history = [line for line in capsys.readouterr().out.splitlines() if line.startswith("history   ")]
    assert len(history) == 1
    assert history[0].startswith("history   access denied to ")
    assert history[0].endswith("(a participant needs docs/participant-policy.json)")
