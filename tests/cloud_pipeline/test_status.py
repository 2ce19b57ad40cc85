"""`status` and the stack lookup, as a participant holding only docs/participant-policy.json."""

from __future__ import annotations

import json

import boto3

from tests.cloud_pipeline.conftest import REGION, Participant, deploy, run_cli

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
    assert lines[-1] == "summary   4437 input = 4380 output + 12 quarantined + 45 duplicates"


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
