"""The instructor's readiness check: deploy a throwaway prefix, run the pipeline on the sample,
compare every named query's Athena result with the local pipeline's on the same files, destroy,
confirm nothing tagged with the prefix is left, and that the prefix deploys again."""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Callable

from cloud_pipeline import athena_query, workflow
from cloud_pipeline.compare import compare
from cloud_pipeline.errors import OperatorError
from cloud_pipeline.pricing import crawler_cost_estimate, job_cost
from cloud_pipeline.stack import ROOT, find_pipeline
from sql.queries import QueryResult, load_named_queries

SAMPLE = os.path.join(ROOT, "data")
PREFIX_TAG = "resource-prefix"


@dataclass
class Step:
    name: str
    passed: bool
    seconds: float
    detail: str = ""
    cost: float | None = None


@dataclass
class SmokeReport:
    prefix: str
    steps: list[Step] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.steps) and all(step.passed for step in self.steps)

    @property
    def cost(self) -> float:
        return sum(step.cost or 0.0 for step in self.steps)


def throwaway_prefix() -> str:
    """A fresh resourcePrefix (3-20 lowercase letters, digits, hyphens) for one smoke run."""
    return f"smoke-{secrets.token_hex(3)}"


def make_command(target: str, prefix: str, *extra: str) -> list[str]:
    """`make deploy`/`make destroy` exactly as the README documents them, for the throwaway prefix."""
    args = " ".join([f"-c resourcePrefix={prefix}", "-c removeDataOnDestroy=true", *extra])
    return ["make", target, f"ARGS={args}"]


def run_make(command: list[str], log_path: str, env: dict[str, str]) -> int:
    """Run a make target with its output in log_path (printed when it fails)."""
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    with open(log_path, "w", encoding="utf-8") as log:
        return subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, check=False).returncode


def local_results(source: str = SAMPLE) -> list[QueryResult]:
    """Every named query on the local pipeline (make demo's own stages) over the same files."""
    from local_pipeline import athena, crawler, staging, transform
    from local_pipeline.errors import StageError
    from local_pipeline.paths import Layout

    with tempfile.TemporaryDirectory(prefix="smoke-local-") as folder:
        layout = Layout(folder)
        try:
            staging.stage(source, layout.staging)
            transform.transform(layout, progress=lambda line: None)
            crawler.register(layout.catalog, crawler.discover_tables(layout.warehouse))
            return athena.run_named_queries(layout.catalog)
        except StageError as error:
            raise OperatorError(f"local pipeline {error.stage} failed: {error}") from None


def leftovers(tagging, kms, prefix: str) -> list[str]:
    """ARNs still tagged resource-prefix=<prefix>; KMS keys already scheduled for deletion
    (their 7-day waiting period) do not count."""
    arns = []
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": PREFIX_TAG, "Values": [prefix]}]):
        for mapping in page["ResourceTagMappingList"]:
            arn = mapping["ResourceARN"]
            if ":kms:" in arn and kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion":
                continue
            arns.append(arn)
    return sorted(arns)


class Smoke:
    def __init__(self, *, session, prefix: str, region: str, env: dict[str, str], log_folder: str,
                 clock: Callable[[], float], sleep: Callable[[float], None], say: Callable[[str], None],
                 run_timeout: float, query_timeout: float,
                 runner: Callable[[list[str], str, dict[str, str]], int] = run_make,
                 local: Callable[[], list[QueryResult]] = local_results,
                 leftover_attempts: int = 6, leftover_wait: float = 30.0) -> None:
        self.session, self.prefix, self.region, self.env = session, prefix, region, env
        self.log_folder, self.clock, self.sleep, self.say = log_folder, clock, sleep, say
        self.run_timeout, self.query_timeout = run_timeout, query_timeout
        self.runner, self.local = runner, local
        self.leftover_attempts, self.leftover_wait = leftover_attempts, leftover_wait
        self.report = SmokeReport(prefix)

    def _record(self, step: Step) -> Step:
        self.report.steps.append(step)
        mark = "PASS" if step.passed else "FAIL"
        self.say(f"{len(self.report.steps):>2} {step.name:<40} {mark}  {step.seconds:7.1f} s  {step.detail}".rstrip())
        return step

    def _make(self, target: str, name: str, *extra: str) -> bool:
        started = self.clock()
        log = os.path.join(self.log_folder, f"smoke-{self.prefix}-{name}.log")
        code = self.runner(make_command(target, self.prefix, *extra), log, self.env)
        detail = "" if code == 0 else f"exit {code}, see {log}"
        return self._record(Step(name, code == 0, self.clock() - started, detail)).passed

    def _pipeline_run(self):
        glue = self.session.client("glue")
        started = self.clock()
        pipeline = find_pipeline(self.session.client("cloudformation"), self.prefix, self.region)
        run_id = workflow.start(glue, pipeline.output("WorkflowName"))
        outcome = workflow.follow(glue, pipeline.output("WorkflowName"), run_id, timeout=self.run_timeout,
                                  clock=self.clock, sleep=self.sleep, on_change=lambda elapsed, snap: None)
        snap = outcome.snapshot
        detail = f"job {snap.job_state}, crawler {snap.crawl_state}"
        if not outcome.succeeded:
            message = snap.job_run.get("ErrorMessage") or snap.crawl.get("ErrorMessage") or snap.error_message or ""
            detail += f": {message}  logs: {workflow.job_log_command(snap.job_run, self.region)}"
        crawl_seconds = None
        if snap.crawl.get("StartedOn") and snap.crawl.get("CompletedOn"):
            crawl_seconds = (snap.crawl["CompletedOn"] - snap.crawl["StartedOn"]).total_seconds()
        cost = (job_cost(snap.job_run) or 0.0) + (crawler_cost_estimate(crawl_seconds) or 0.0)
        self._record(Step("run the pipeline on the sample", outcome.succeeded, self.clock() - started, detail, cost))
        return pipeline if outcome.succeeded else None

    def _compare_queries(self, pipeline) -> None:
        started = self.clock()
        expected = {result.query.query_id: result for result in self.local()}
        self._record(Step("local pipeline on the same files", True, self.clock() - started,
                          f"{len(expected)} named queries"))
        athena = self.session.client("athena")
        for query in load_named_queries():
            started = self.clock()
            try:
                run = athena_query.run_query(athena, query, workgroup=pipeline.output("AthenaWorkGroup"),
                                             database=pipeline.output("DatabaseName"), timeout=self.query_timeout,
                                             clock=self.clock, sleep=self.sleep)
            except OperatorError as error:
                self._record(Step(f"query {query.query_id}", False, self.clock() - started, str(error)))
                continue
            local = expected.get(query.query_id)
            verdict = (compare(run.result, local) if local else None)
            detail = (f"{verdict.rows} rows equal" if verdict and verdict.passed
                      else verdict.difference if verdict else "no local result")
            self._record(Step(f"query {query.query_id}", bool(verdict and verdict.passed),
                              self.clock() - started, detail, run.cost))

    def _check_leftovers(self, name: str) -> None:
        started = self.clock()
        tagging, kms = self.session.client("resourcegroupstaggingapi"), self.session.client("kms")
        remaining = leftovers(tagging, kms, self.prefix)
        attempt = 1
        while remaining and attempt < self.leftover_attempts:  # the tagging index lags deletions
            self.sleep(self.leftover_wait)
            remaining = leftovers(tagging, kms, self.prefix)
            attempt += 1
        detail = "nothing tagged resource-prefix=" + self.prefix if not remaining else "left: " + ", ".join(remaining)
        self._record(Step(name, not remaining, self.clock() - started, detail))

    def run(self) -> SmokeReport:
        cloudformation = self.session.client("cloudformation")
        try:
            find_pipeline(cloudformation, self.prefix, self.region)
        except OperatorError:
            pass  # not deployed: as it must be
        else:
            raise OperatorError(f"prefix {self.prefix} is already deployed: smoke needs a throwaway prefix (--prefix)")
        deployed = self._make("deploy", "deploy", "--require-approval never")
        try:
            if deployed:
                pipeline = self._pipeline_run()
                if pipeline is not None:
                    self._compare_queries(pipeline)
        finally:
            destroyed = self._make("destroy", "destroy", "--force")
        if destroyed:
            self._check_leftovers("nothing left after destroy")
        if deployed and destroyed:
            if self._make("deploy", "deploy again", "--require-approval never"):
                if self._make("destroy", "destroy again", "--force"):
                    self._check_leftovers("nothing left after the second destroy")
        return self.report
