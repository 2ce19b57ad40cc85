"""`run`: start the workflow, follow job then crawler, print the run summary; the waiting loop's
timeout and failure paths. moto's workflow runs stay RUNNING with no graph (its timeout test uses
that); the state transitions come from botocore's Stubber."""

from __future__ import annotations

import datetime as dt
import json

import boto3

from tests.cloud_pipeline.conftest import (
    REGION, FakeClock, Participant, StubbedSession, deploy, run_cli, stubbed_client,
)

T0 = dt.datetime(2026, 11, 22, 9, 0, 0, tzinfo=dt.timezone.utc)
WORKFLOW = "alice-spotify-pipeline"
RUN_ID = "wr_0123456789abcdef"
JOB_RUN_ID = "jr_fedcba9876543210"
SUMMARY = {
    "run_id": "20261122T090000Z-abcdef12", "status": "succeeded",
    "accounting": "4437 input = 4380 output + 12 quarantined + 45 duplicates",
    "files": {"albums": {"input_rows": 4437, "kept_rows": 4380, "quarantined_rows": 12, "duplicate_rows_removed": 45,
                         "quarantine_reasons": {"invalid album_id: not a 22-character base62 Spotify id": 12}},
              "artists": {"input_rows": 1200, "kept_rows": 1200, "quarantined_rows": 0, "duplicate_rows_removed": 0,
                          "quarantine_reasons": {}}},
    "gates": [{"name": "max_quarantine_rate", "passed": True,
               "message": "albums.csv quarantined 0.27% of its rows (12 of 4437; maximum 5.00%)"}],
}


def job_run(state: str, *, seconds: int = 0, error: str | None = None) -> dict:
    run = {"Id": JOB_RUN_ID, "JobName": "alice-spotify-etl", "JobRunState": state, "StartedOn": T0,
           "ExecutionTime": seconds, "NumberOfWorkers": 2, "WorkerType": "G.1X"}
    if error:
        run["ErrorMessage"] = error
    return run


def crawl(state: str, *, seconds: int = 0, error: str | None = None) -> dict:
    value = {"State": state, "StartedOn": T0 + dt.timedelta(seconds=150)}
    if state != "RUNNING":
        value["CompletedOn"] = value["StartedOn"] + dt.timedelta(seconds=seconds)
    if error:
        value["ErrorMessage"] = error
    return value


def workflow_run(status: str, job: dict | None = None, crawler: dict | None = None, failed: int = 0) -> dict:
    nodes = [{"Type": "TRIGGER", "Name": "alice-spotify-start", "UniqueId": "t1"}]
    nodes.append({"Type": "JOB", "Name": "alice-spotify-etl", "UniqueId": "j1",
                  "JobDetails": {"JobRuns": [job] if job else []}})
    nodes.append({"Type": "CRAWLER", "Name": "alice-spotify-tracks", "UniqueId": "c1",
                  "CrawlerDetails": {"Crawls": [crawler] if crawler else []}})
    return {"Run": {"Name": WORKFLOW, "WorkflowRunId": RUN_ID, "Status": status, "StartedOn": T0,
                    "Statistics": {"TotalActions": 2, "FailedActions": failed},
                    "Graph": {"Nodes": nodes, "Edges": []}}}


def stub_run(*runs: dict):
    glue, stubber = stubbed_client("glue")
    stubber.add_response("get_workflow_runs", {},
                         {"Name": WORKFLOW, "MaxResults": 1, "IncludeGraph": False})
    stubber.add_response("start_workflow_run", {"RunId": RUN_ID}, {"Name": WORKFLOW})
    for run in runs:
        stubber.add_response("get_workflow_run", run, {"Name": WORKFLOW, "RunId": RUN_ID, "IncludeGraph": True})
    return glue, stubber


def run_as_alice(glue, clock: FakeClock, *extra: str) -> int:
    participant = Participant("alice")
    return run_cli(["run", "--prefix", "alice", "--region", REGION, "--poll", "10", *extra], participant=participant,
                   session_factory=lambda **kw: StubbedSession(participant.session(**kw), {"glue": glue}), clock=clock)


def put_summary(outputs: dict, summary: dict) -> None:
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=outputs["WarehouseBucket"], Key="run_summary.json", Body=json.dumps(summary).encode())


def test_a_successful_run_shows_each_state_change_then_the_summary(aws, capsys, clock):
    put_summary(deploy("alice"), SUMMARY)
    glue, stubber = stub_run(
        workflow_run("RUNNING"),
        workflow_run("RUNNING", job_run("RUNNING")),
        workflow_run("RUNNING", job_run("RUNNING")),  # unchanged: no new line
        workflow_run("RUNNING", job_run("SUCCEEDED", seconds=142), crawl("RUNNING")),
        workflow_run("COMPLETED", job_run("SUCCEEDED", seconds=142), crawl("COMPLETED", seconds=61)),
    )
    assert run_as_alice(glue, clock) == 0
    stubber.assert_no_pending_responses()
    assert clock.sleeps == [10, 10, 10, 10]
    assert capsys.readouterr().out.splitlines() == [
        f"started workflow {WORKFLOW} run {RUN_ID} (timeout 1800 s)",
        "  [     0 s] workflow RUNNING   job WAITING    crawler WAITING",
        "  [    10 s] workflow RUNNING   job RUNNING    crawler WAITING",
        "  [    30 s] workflow RUNNING   job SUCCEEDED  crawler RUNNING",
        "  [    40 s] workflow COMPLETED job SUCCEEDED  crawler COMPLETED",
        "",
        "  job      alice-spotify-etl                SUCCEEDED     142 s  284 DPU-s",
        "  crawler  alice-spotify-tracks             COMPLETED      61 s",
        "  accounting: 4437 input = 4380 output + 12 quarantined + 45 duplicates  "
        "(run 20261122T090000Z-abcdef12, succeeded)",
        "  albums      4,437 in     4,380 kept      12 quarantined      45 duplicates  [invalid album_id 12]",
        "  artists     1,200 in     1,200 kept       0 quarantined       0 duplicates",
        "  gate max_quarantine_rate      PASS  albums.csv quarantined 0.27% of its rows (12 of 4437; maximum 5.00%)",
        "",
        "Completed successfully: PASS=2 FAIL=0 in 40 s",
    ]


def test_a_failed_job_prints_its_error_and_the_log_command(aws, capsys, clock):
    gate_failure = ("data-quality gate max_quarantine_rate failed: albums.csv quarantined 12.00% of its rows "
                    "(120 of 1000; maximum 5.00%) (nothing was published to tracks/)")
    failed_summary = {**SUMMARY, "status": "failed", "gates": [
        {"name": "max_quarantine_rate", "passed": False,
         "message": "albums.csv quarantined 12.00% of its rows (120 of 1000; maximum 5.00%)"}]}
    put_summary(deploy("alice"), failed_summary)
    glue, _ = stub_run(
        workflow_run("RUNNING", job_run("RUNNING")),
        workflow_run("COMPLETED", job_run("FAILED", seconds=95, error=gate_failure), failed=1),
    )
    assert run_as_alice(glue, clock, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    assert report["job"] == {
        "id": JOB_RUN_ID, "state": "FAILED", "error": gate_failure,
        "log_command": f"aws logs tail /aws-glue/jobs/error --log-stream-name-prefix {JOB_RUN_ID} --region {REGION}"}
    assert report["crawler"] == {"state": "NOT RUN", "error": None}
    assert report["run_summary"]["gates"][0]["passed"] is False


def test_a_failed_job_in_text(aws, capsys, clock):
    deploy("alice")
    glue, _ = stub_run(workflow_run("COMPLETED", job_run("FAILED", seconds=31, error="missing input file"),
                                    failed=1))
    assert run_as_alice(glue, clock) == 1
    out = capsys.readouterr().out.splitlines()
    assert "  job error: missing input file" in out
    assert (f"  its log:   aws logs tail /aws-glue/jobs/error --log-stream-name-prefix {JOB_RUN_ID} "
            f"--region {REGION}") in out
    assert out[-1] == "Failed: PASS=0 FAIL=2 in 0 s"


def test_a_failed_crawler_fails_the_run(aws, capsys, clock):
    deploy("alice")
    glue, _ = stub_run(workflow_run("COMPLETED", job_run("SUCCEEDED", seconds=120),
                                    crawl("FAILED", seconds=30, error="Access denied to s3://x/tracks/"), failed=1))
    assert run_as_alice(glue, clock) == 1
    out = capsys.readouterr().out.splitlines()
    assert "  crawler error: Access denied to s3://x/tracks/" in out
    assert out[-1] == "Failed: PASS=1 FAIL=1 in 0 s"


def test_the_wait_times_out_with_one_line_and_the_run_keeps_going(aws, capsys, clock):
    """moto itself: its workflow run stays RUNNING, so the loop must give up at --timeout."""
    deploy("alice")
    code = run_cli(["run", "--prefix", "alice", "--region", REGION, "--timeout", "60", "--poll", "15"],
                   participant=Participant("alice"), clock=clock)
    assert code == 1
    captured = capsys.readouterr()
    assert clock.sleeps == [15, 15, 15, 15]
    assert captured.out.splitlines()[1] == "  [     0 s] workflow RUNNING   job WAITING    crawler WAITING"
    run_id = boto3.client("glue", region_name=REGION).get_workflow_runs(Name=WORKFLOW)["Runs"][0]["WorkflowRunId"]
    assert captured.err == (
        f"error: workflow run {run_id} still RUNNING after 60 s (job WAITING, crawler WAITING); it keeps running: "
        "check it later with `status`, or raise --timeout\n")


def test_a_run_already_in_progress_is_refused(aws, capsys, clock):
    deploy("alice")
    running = boto3.client("glue", region_name=REGION).start_workflow_run(Name=WORKFLOW)["RunId"]
    assert run_cli(["run", "--prefix", "alice", "--region", REGION], participant=Participant("alice"),
                   clock=clock) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: a run of workflow {WORKFLOW} is already in progress (run {running}, started ")
    assert err.endswith("): follow it with `status`, or wait for it to finish\n")
    assert clock.sleeps == []


def test_a_run_started_concurrently_is_refused(aws, capsys, clock):
    deploy("alice")
    glue, stubber = stubbed_client("glue")
    stubber.add_response("get_workflow_runs", {})
    stubber.add_client_error("start_workflow_run", service_error_code="ConcurrentRunsExceededException",
                             service_message="Concurrent runs exceeded for workflow")
    stubber.add_response("get_workflow_runs", {"Runs": [
        {"Name": WORKFLOW, "WorkflowRunId": "wr_other", "Status": "RUNNING", "StartedOn": T0}]})
    participant = Participant("alice")
    assert run_cli(["run", "--prefix", "alice", "--region", REGION], participant=participant, clock=clock,
                   session_factory=lambda **kw: StubbedSession(participant.session(**kw), {"glue": glue})) == 1
    assert capsys.readouterr().err == (
        f"error: a run of workflow {WORKFLOW} is already in progress (run wr_other, started 2026-11-22 09:00:00 UTC): "
        "follow it with `status`, or wait for it to finish\n")


def test_a_summary_left_by_an_earlier_run_is_not_shown_as_this_runs(aws, capsys, clock):
    put_summary(deploy("alice"), {**SUMMARY, "run_id": "20261121T170000Z-00000000"})  # yesterday's
    glue, _ = stub_run(workflow_run("COMPLETED", job_run("FAILED", seconds=12, error="missing input file for albums"),
                                    failed=1))
    assert run_as_alice(glue, clock) == 1
    out = capsys.readouterr().out
    assert "accounting:" not in out
    assert "  job error: missing input file for albums" in out


def test_in_a_terminal_the_progress_line_keeps_ticking(aws, capsys, clock, monkeypatch):
    deploy("alice")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    glue, _ = stub_run(
        workflow_run("RUNNING", job_run("RUNNING")),
        workflow_run("RUNNING", job_run("RUNNING")),
        workflow_run("COMPLETED", job_run("SUCCEEDED", seconds=20), crawl("COMPLETED", seconds=5)),
    )
    assert run_as_alice(glue, clock) == 0
    out = capsys.readouterr().out
    assert ("\r  [     0 s] workflow RUNNING   job RUNNING    crawler WAITING"
            "\r  [    10 s] workflow RUNNING   job RUNNING    crawler WAITING\n"
            "\r  [    20 s] workflow COMPLETED job SUCCEEDED  crawler COMPLETED\n") in out


def test_the_log_command_follows_the_log_group_the_run_reports():
    from cloud_pipeline.workflow import job_log_command

    assert job_log_command({"Id": "jr_1"}, "eu-west-1") == (
        "aws logs tail /aws-glue/jobs/error --log-stream-name-prefix jr_1 --region eu-west-1")
    assert job_log_command({"Id": "jr_1", "LogGroupName": "/aws-glue/jobs-etl-role-alice-spotify-glue/"},
                           "eu-west-1") == ("aws logs tail /aws-glue/jobs-etl-role-alice-spotify-glue/error "
                                            "--log-stream-name-prefix jr_1 --region eu-west-1")
