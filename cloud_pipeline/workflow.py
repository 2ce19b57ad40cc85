"""Start the Glue workflow (job, then crawler on success) and follow it to the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from botocore.exceptions import ClientError

from cloud_pipeline.errors import OperatorError

ACTIVE_RUN_STATES = {"RUNNING", "STOPPING"}
JOB_FAILED = {"FAILED", "ERROR", "TIMEOUT", "STOPPED", "EXPIRED"}
CRAWL_FAILED = {"FAILED", "CANCELLED", "ERROR"}


@dataclass
class Snapshot:
    """What one poll of the workflow run shows."""

    workflow_status: str
    job_run: dict = field(default_factory=dict)  # the latest JobRun of the run's job node
    crawl: dict = field(default_factory=dict)  # the latest Crawl of the run's crawler node
    statistics: dict = field(default_factory=dict)
    error_message: str | None = None

    @property
    def job_state(self) -> str:
        return self.job_run.get("JobRunState", "WAITING")

    @property
    def crawl_state(self) -> str:
        return self.crawl.get("State", "WAITING" if self.job_state not in JOB_FAILED else "NOT RUN")

    def failed(self) -> bool:
        return (self.job_state in JOB_FAILED or self.crawl_state in CRAWL_FAILED
                or self.workflow_status in ("STOPPED", "ERROR")
                or bool(self.statistics.get("FailedActions") or self.statistics.get("TimeoutActions")))

    def finished(self) -> bool:
        return self.workflow_status not in ACTIVE_RUN_STATES


@dataclass
class Outcome:
    run_id: str
    snapshot: Snapshot
    seconds: float

    @property
    def succeeded(self) -> bool:
        return not self.snapshot.failed()


def snapshot(glue, workflow: str, run_id: str) -> Snapshot:
    run = glue.get_workflow_run(Name=workflow, RunId=run_id, IncludeGraph=True)["Run"]
    job_run: dict = {}
    crawl: dict = {}
    for node in run.get("Graph", {}).get("Nodes", []):
        if node.get("Type") == "JOB":
            runs = node.get("JobDetails", {}).get("JobRuns") or []
            job_run = max(runs, key=lambda r: r.get("StartedOn") or 0) if runs else {}
        elif node.get("Type") == "CRAWLER":
            crawls = node.get("CrawlerDetails", {}).get("Crawls") or []
            crawl = max(crawls, key=lambda c: c.get("StartedOn") or 0) if crawls else {}
    return Snapshot(run["Status"], job_run, crawl, run.get("Statistics", {}), run.get("ErrorMessage"))


def active_run(glue, workflow: str) -> dict | None:
    runs = glue.get_workflow_runs(Name=workflow, MaxResults=1, IncludeGraph=False).get("Runs", [])
    return runs[0] if runs and runs[0]["Status"] in ACTIVE_RUN_STATES else None


def start(glue, workflow: str) -> str:
    """Start a run; one already in progress is an error (the workflow allows one at a time)."""
    running = active_run(glue, workflow)
    if running is None:
        try:
            return glue.start_workflow_run(Name=workflow)["RunId"]
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConcurrentRunsExceededException":
                raise
            running = active_run(glue, workflow) or {"WorkflowRunId": "?", "StartedOn": None}
    started = running.get("StartedOn")
    since = f", started {started:%Y-%m-%d %H:%M:%S %Z}".rstrip() if started else ""
    raise OperatorError(
        f"a run of workflow {workflow} is already in progress (run {running['WorkflowRunId']}{since}): "
        "follow it with `status`, or wait for it to finish"
    )


def follow(glue, workflow: str, run_id: str, *, timeout: float, clock: Callable[[], float],
           sleep: Callable[[float], None], on_change: Callable[[float, Snapshot], None],
           on_poll: Callable[[float, Snapshot], None] | None = None, poll_seconds: float = 10.0) -> Outcome:
    """Poll until the run ends; report every change of job or crawler state (on_change) and every
    other poll (on_poll, for a ticking clock). A run still going after `timeout` seconds raises
    (it keeps running in AWS)."""
    started = clock()
    last: tuple | None = None
    while True:
        current = snapshot(glue, workflow, run_id)
        elapsed = clock() - started
        key = (current.workflow_status, current.job_state, current.crawl_state)
        if key != last:
            on_change(elapsed, current)
            last = key
        elif on_poll is not None:
            on_poll(elapsed, current)
        if current.finished():
            return Outcome(run_id, current, elapsed)
        if elapsed >= timeout:
            raise OperatorError(
                f"workflow run {run_id} still {current.workflow_status} after {timeout:.0f} s "
                f"(job {current.job_state}, crawler {current.crawl_state}); it keeps running: "
                "check it later with `status`, or raise --timeout"
            )
        sleep(poll_seconds)


def job_log_command(job_run: dict, region: str) -> str:
    """The command that shows a job run's error log in CloudWatch. The run reports the log group base
    it used (another one than /aws-glue/jobs when a security configuration encrypts the logs); the
    driver's and executors' streams start with the job run id."""
    group = (job_run.get("LogGroupName") or "/aws-glue/jobs").rstrip("/")
    if not group.endswith(("/error", "/output")):
        group += "/error"
    return f"aws logs tail {group} --log-stream-name-prefix {job_run.get('Id', '<JobRunId>')} --region {region}"
