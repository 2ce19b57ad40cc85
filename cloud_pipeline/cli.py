"""Operate a deployed pipeline: `python -m cloud_pipeline <command> [--prefix P] [--profile X] [--region R]`.

Every command finds the stack `<prefix>-spotify-pipeline` (spotify-login: `<prefix>-spotify-ingestion`)
and takes every name it needs from the stack's outputs."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
import webbrowser
from typing import Callable

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from cloud_pipeline import athena_query, run_history, run_summary, spotify_login, upload, workflow
from cloud_pipeline.errors import DENIED_CODES, OperatorError, translate
from cloud_pipeline.pricing import job_dpu_seconds, usd
from cloud_pipeline.smoke import Smoke, throwaway_prefix
from cloud_pipeline.stack import ROOT, Pipeline, default_prefix, find_pipeline
from sql.queries import QueryResult, load_named_queries
from view.dashboard_html import write_dashboard
from view.tables import format_table, format_value


def say(message: str = "") -> None:
    print(message, flush=True)


def say_aside(message: str = "") -> None:
    """--json keeps stdout for the JSON document; what the user must still read goes to stderr."""
    print(message, file=sys.stderr, flush=True)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def ask(question: str) -> bool:
    if not sys.stdin.isatty():
        return False  # never remove files on a question nobody can answer: --yes says so
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


class Operator:
    """One command's AWS session, pipeline and output."""

    def __init__(self, args: argparse.Namespace, *, session_factory, clock: Callable[[], float],
                 sleep: Callable[[float], None], confirm: Callable[[str], bool],
                 smoke_options: dict | None = None, browser: Callable[[str], object] = webbrowser.open,
                 now: Callable[[], dt.datetime] = utc_now) -> None:
        self.args, self.clock, self.sleep, self.confirm = args, clock, sleep, confirm
        self.browser, self.now = browser, now
        self.smoke_options = smoke_options or {}
        self.session = session_factory(profile_name=args.profile, region_name=args.region)
        self.region = self.session.region_name
        args.region = args.region or self.region  # the region error messages name
        if not self.region:
            raise OperatorError("no AWS region: pass --region (e.g. --region eu-west-1) or set AWS_REGION")
        self.say = (lambda message="": None) if args.json else say
        self._pipeline: Pipeline | None = None

    def client(self, service: str):
        return self.session.client(service)

    @property
    def pipeline(self) -> Pipeline:
        if self._pipeline is None:
            self._pipeline = find_pipeline(self.client("cloudformation"), self.args.prefix, self.region)
        return self._pipeline

    # status ------------------------------------------------------------------------------
    def status(self) -> dict:
        p = self.pipeline
        glue = self.client("glue")
        self.say(f"stack     {p.stack_name}  {p.status}  ({self.region})")
        for key, value in p.outputs.items():
            self.say(f"  {key:<20} {value}")
        report: dict = {"stack": p.stack_name, "status": p.status, "region": self.region, "outputs": p.outputs}

        runs = glue.get_workflow_runs(Name=p.output("WorkflowName"), MaxResults=1).get("Runs", [])
        last = runs[0] if runs else None
        report["last_workflow_run"] = last and {"id": last["WorkflowRunId"], "status": last["Status"],
                                                "started": _iso(last.get("StartedOn"))}
        self.say(f"workflow  {p.output('WorkflowName')}  " + (
            f"last run {last['WorkflowRunId']} {last['Status']} started {_iso(last.get('StartedOn'))}" if last
            else "never run: start it with `run`"))

        job_runs = glue.get_job_runs(JobName=p.output("GlueJobName"), MaxResults=1).get("JobRuns", [])
        job_run = job_runs[0] if job_runs else None
        if job_run:
            dpu = job_dpu_seconds(job_run)
            report["last_job_run"] = {"id": job_run["Id"], "state": job_run["JobRunState"],
                                      "seconds": job_run.get("ExecutionTime"), "dpu_seconds": dpu,
                                      "error": job_run.get("ErrorMessage")}
            line = (f"job       {p.output('GlueJobName')}  {job_run['JobRunState']}  "
                    f"{job_run.get('ExecutionTime', 0)} s, {dpu if dpu is not None else 'n/a'} DPU-s  "
                    f"({job_run['Id']})")
            self.say(line)
            if job_run.get("ErrorMessage"):
                self.say(f"  error: {job_run['ErrorMessage']}")
                self.say(f"  logs:  {workflow.job_log_command(job_run, self.region)}")
        else:
            report["last_job_run"] = None
            self.say(f"job       {p.output('GlueJobName')}  never run")

        crawler = glue.get_crawler(Name=p.output("CrawlerName"))["Crawler"]
        last_crawl = crawler.get("LastCrawl") or {}
        report["crawler"] = {"state": crawler.get("State"), "last_crawl": last_crawl.get("Status"),
                             "error": last_crawl.get("ErrorMessage")}
        crawl_error = f": {last_crawl['ErrorMessage']}" if last_crawl.get("ErrorMessage") else ""
        self.say(f"crawler   {p.output('CrawlerName')}  {crawler.get('State')}, last crawl "
                 f"{last_crawl.get('Status', 'none')}{crawl_error}")

        database, table = p.output("TracksTable").split(".", 1)
        try:
            glue.get_table(DatabaseName=database, Name=table)
            partitions = sum(len(page["Partitions"]) for page in glue.get_paginator("get_partitions").paginate(
                DatabaseName=database, TableName=table, ExcludeColumnSchema=True))
            report["table"] = {"name": p.output("TracksTable"), "partitions": partitions}
            self.say(f"table     {p.output('TracksTable')}  {partitions} partitions")
        except ClientError as error:
            if error.response["Error"]["Code"] != "EntityNotFoundException":
                raise
            report["table"] = None
            self.say(f"table     {p.output('TracksTable')}  not created yet: the crawler creates it after a run")

        summary = run_summary.fetch(self.client("s3"), p.output("WarehouseBucket"))
        report["run_summary"] = summary and summary.get("accounting")
        self.say("summary   " + (summary["accounting"] if summary else "no run_summary.json yet"))

        try:
            runs = run_history.recent_runs(self.client("s3"), p.output("WarehouseBucket"))
        except ClientError as error:
            # A policy from before the run history still gets the rest of status, and the reason for this part.
            if error.response.get("Error", {}).get("Code") not in DENIED_CODES | {"403"}:
                raise
            report["recent_runs"] = None
            self.say(f"history   {translate(error, profile=self.args.profile, region=self.region)}")
        else:
            report["recent_runs"] = [{key: _iso(value) for key, value in run.items()} for run in runs]
            self.say(f"history   the newest {len(runs)} runs, newest first:" if runs
                     else "history   no run recorded yet")
            for line in run_history.lines(runs):
                self.say(f"  {line}")

        ingestion = spotify_login.find_ingestion(self.client("cloudformation"), self.args.prefix)
        report["spotify_consent"] = None
        if ingestion:
            line, report["spotify_consent"] = spotify_login.consent_status(
                ingestion, self.client("secretsmanager"), self.args.prefix, self.now())
            self.say(f"spotify   {line}")
        return report

    # spotify-login -----------------------------------------------------------------------
    def spotify_login(self) -> dict:
        return spotify_login.login(
            cloudformation=self.client("cloudformation"), secretsmanager=self.client("secretsmanager"),
            prefix=self.args.prefix, region=self.region, port=self.args.port, timeout=self.args.timeout,
            list_playlists=self.args.list_playlists, open_browser=None if self.args.no_browser else self.browser,
            now=self.now, env=os.environ, say=say_aside if self.args.json else say)

    # run ---------------------------------------------------------------------------------
    def run(self) -> tuple[dict, bool]:
        p = self.pipeline
        glue = self.client("glue")
        name = p.output("WorkflowName")
        run_id = workflow.start(glue, name)
        self.say(f"started workflow {name} run {run_id} (timeout {self.args.timeout:.0f} s)")

        def progress(elapsed: float, snap: workflow.Snapshot) -> str:
            return (f"  [{elapsed:6.0f} s] workflow {snap.workflow_status:<9} job {snap.job_state:<10} "
                    f"crawler {snap.crawl_state}")

        # In a terminal the latest line keeps ticking; in a log, one line per change.
        live = sys.stdout.isatty() and not self.args.json
        shown: list[str] = []

        def on_change(elapsed: float, snap: workflow.Snapshot) -> None:
            if live and shown:
                print(flush=True)
            line = progress(elapsed, snap)
            shown.append(line)
            if live:
                print(f"\r{line}", end="", flush=True)
            else:
                self.say(line)

        def on_poll(elapsed: float, snap: workflow.Snapshot) -> None:
            if live:
                print(f"\r{progress(elapsed, snap)}", end="", flush=True)

        try:
            outcome = workflow.follow(glue, name, run_id, timeout=self.args.timeout, clock=self.clock,
                                      sleep=self.sleep, on_change=on_change, on_poll=on_poll,
                                      poll_seconds=self.args.poll)
        finally:
            if live and shown:
                print(flush=True)
        snap = outcome.snapshot
        job_run, crawl = snap.job_run, snap.crawl
        job_ok = snap.job_state == "SUCCEEDED"
        crawl_ok = snap.crawl_state == "COMPLETED"
        self.say("")
        self.say(f"  job      {p.output('GlueJobName'):<32} {snap.job_state:<10} {job_run.get('ExecutionTime', 0):>6} s"
                 f"  {job_dpu_seconds(job_run) or 0:.0f} DPU-s")
        crawl_seconds = _seconds(crawl.get("StartedOn"), crawl.get("CompletedOn"))
        self.say(f"  crawler  {p.output('CrawlerName'):<32} {snap.crawl_state:<10} "
                 f"{crawl_seconds if crawl_seconds is not None else 0:>6.0f} s")
        report = {"run_id": run_id, "workflow_status": snap.workflow_status, "seconds": round(outcome.seconds, 1),
                  "job": {"id": job_run.get("Id"), "state": snap.job_state, "error": job_run.get("ErrorMessage")},
                  "crawler": {"state": snap.crawl_state, "error": crawl.get("ErrorMessage")}}
        summary = run_summary.fetch(self.client("s3"), p.output("WarehouseBucket"))
        if summary and job_run and run_summary.written_by(summary, job_run):
            for line in run_summary.lines(summary):
                self.say(f"  {line}")
            report["run_summary"] = summary
        if not outcome.succeeded:
            if job_run.get("ErrorMessage"):
                self.say(f"\n  job error: {job_run['ErrorMessage']}")
                command = workflow.job_log_command(job_run, self.region)
                self.say(f"  its log:   {command}")
                report["job"]["log_command"] = command
            elif crawl.get("ErrorMessage"):
                self.say(f"\n  crawler error: {crawl['ErrorMessage']}")
            elif snap.error_message:
                self.say(f"\n  workflow error: {snap.error_message}")
        passed = sum([job_ok, crawl_ok])
        verdict = "Completed successfully" if outcome.succeeded else "Failed"
        self.say(f"\n{verdict}: PASS={passed} FAIL={2 - passed} in {outcome.seconds:.0f} s")
        return report, outcome.succeeded

    # query / dashboard -------------------------------------------------------------------
    def _queries(self) -> list:
        if self.args.command == "query" and self.args.query:
            named = {q.query_id: q for q in load_named_queries()}
            if self.args.query in named:
                return [named[self.args.query]]
            if " " not in self.args.query.strip():  # a name, not SQL
                raise OperatorError(f"no named query {self.args.query!r}: choose one of {', '.join(named)} "
                                    "(sql/athena/*.sql), or pass SQL in quotes")
            return [athena_query.ad_hoc(self.args.query)]
        return load_named_queries()

    def query(self) -> tuple[list[athena_query.AthenaRun], dict]:
        p = self.pipeline
        athena = self.client("athena")
        runs = []
        for query in self._queries():
            run = athena_query.run_query(athena, query, workgroup=p.output("AthenaWorkGroup"),
                                         database=p.output("DatabaseName"), timeout=self.args.query_timeout,
                                         clock=self.clock, sleep=self.sleep)
            runs.append(run)
            self.say(f"\n  {query.title} ({query.query_id}" + (".sql)" if query.query_id != "ad-hoc" else ")"))
            self.say("  " + format_table(run.result.columns, run.result.rows,
                                         max_rows=100 if query.query_id == "ad-hoc" else 20).replace("\n", "\n  "))
            self.say(f"  scanned {_megabytes(run.bytes_scanned)}, {usd(run.cost)} at $5/TB, {run.seconds:.1f} s")
        scanned = sum(r.bytes_scanned for r in runs)
        cost = sum(r.cost for r in runs)
        self.say(f"\n{len(runs)} quer{'y' if len(runs) == 1 else 'ies'}: scanned {_megabytes(scanned)}, "
                 f"{usd(cost)} at list price ($5/TB, 10 MB minimum per query)")
        report = {"queries": [{"id": r.result.query.query_id, "execution_id": r.execution_id,
                               "columns": r.result.columns,
                               "rows": [[_jsonable(v) for v in row] for row in r.result.rows],
                               "bytes_scanned": r.bytes_scanned, "cost_usd": round(r.cost, 6)} for r in runs],
                  "bytes_scanned": scanned, "cost_usd": round(cost, 6)}
        return runs, report

    def dashboard(self) -> dict:
        runs, report = self.query()
        summary = run_summary.fetch(self.client("s3"), self.pipeline.output("WarehouseBucket"))
        path = os.path.abspath(self.args.output or os.path.join(ROOT, "local", f"{self.args.prefix}-dashboard.html"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        results: list[QueryResult] = [run.result for run in runs]
        write_dashboard(path, results, summary)
        self.say(f"\ndashboard: {path}")
        return {**report, "dashboard": path}

    # upload ------------------------------------------------------------------------------
    def upload(self) -> dict:
        bucket = self.pipeline.output("StagingBucket")
        done = upload.upload(self.client("s3"), bucket, os.path.abspath(self.args.source),
                             confirm=(lambda question: True) if self.args.yes else self.confirm, say=self.say)
        self.say(f"\nstaged {len(done.files)} files; removed {len(done.to_remove)}. Next: run")
        return {"uploaded": [name for name, _ in done.files], "removed": done.to_remove}

    # smoke -------------------------------------------------------------------------------
    def smoke(self) -> tuple[dict, bool]:
        env = {**os.environ, "AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        if self.args.profile:
            env["AWS_PROFILE"] = self.args.profile
        self.say(f"smoke test with the throwaway prefix {self.args.prefix} in {self.region}")
        options = {"log_folder": os.path.join(ROOT, "local"), **self.smoke_options}
        smoke = Smoke(session=self.session, prefix=self.args.prefix, region=self.region, env=env,
                      clock=self.clock, sleep=self.sleep, say=self.say,
                      run_timeout=self.args.timeout, query_timeout=self.args.query_timeout, **options)
        report = smoke.run()
        failed = sum(not step.passed for step in report.steps)
        total = sum(step.seconds for step in report.steps)
        self.say(f"\n{'PASS' if report.passed else 'FAIL'}: {len(report.steps) - failed} passed, {failed} failed "
                 f"in {total:.0f} s; the run cost about {usd(report.cost)} at list price")
        return ({"prefix": report.prefix, "passed": report.passed, "cost_usd": round(report.cost, 4),
                 "steps": [{"name": s.name, "passed": s.passed, "seconds": round(s.seconds, 1), "detail": s.detail}
                           for s in report.steps]}, report.passed)


def _iso(value) -> str | None:
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else value


def _seconds(start, end) -> float | None:
    return (end - start).total_seconds() if start and end else None


def _megabytes(count: int) -> str:
    return f"{count / 1024**2:,.2f} MB"


def _jsonable(value):
    return value if isinstance(value, (int, float, str, bool)) or value is None else format_value(value)


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--prefix", default=None, help="the resourcePrefix of the deployment (default: cdk.json's)")
    common.add_argument("--profile", default=None, help="AWS named profile, as in the AWS CLI")
    common.add_argument("--region", default=None, help="AWS region, as in the AWS CLI")
    common.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    waits = argparse.ArgumentParser(add_help=False)
    waits.add_argument("--timeout", type=float, default=1800,
                       help="seconds to wait for the workflow run (default 1800)")
    waits.add_argument("--poll", type=float, default=10, help="seconds between progress checks (default 10)")
    queries = argparse.ArgumentParser(add_help=False)
    queries.add_argument("--query-timeout", type=float, default=300,
                         help="seconds to wait for each query (default 300)")

    root = argparse.ArgumentParser(prog="python -m cloud_pipeline", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("status", parents=[common],
                        help="the stack, last run, job, crawler, table, run summary and the newest runs")
    commands.add_parser("run", parents=[common, waits], help="start the workflow and follow it to the end")
    query = commands.add_parser("query", parents=[common, queries],
                                help="the named queries, one of them by name, or ad-hoc SQL, through the workgroup")
    query.add_argument("query", nargs="?", help="a named query's id (e.g. genre_analysis) or SQL; omit for all")
    dashboard = commands.add_parser("dashboard", parents=[common, queries],
                                    help="the offline HTML dashboard from Athena")
    dashboard.add_argument("--output", help="where to write it (default: local/<prefix>-dashboard.html)")
    up = commands.add_parser("upload", parents=[common], help="stage a folder of CSVs under staging/")
    up.add_argument("--source", required=True,
                    help="folder with the CSVs (the sample's or the Kaggle download's names)")
    up.add_argument("--yes", action="store_true", help="remove the other staging files without asking")
    commands.add_parser("smoke", parents=[common, waits, queries],
                        help="deploy a throwaway prefix, run, compare with the local pipeline, destroy, "
                             "check leftovers")
    login = commands.add_parser("spotify-login", parents=[common],
                                help="give the ingestion's extractor your Spotify consent (once, from a browser) "
                                     "and store it in the ingestion stack's secret")
    login.add_argument("--port", type=_port, default=8888,
                       help="port of the redirect URI http://127.0.0.1:<port>/callback (default 8888)")
    login.add_argument("--timeout", type=float, default=300, help="seconds to wait for the consent (default 300)")
    login.add_argument("--list-playlists", action="store_true",
                       help="then list your playlists and which ones the extractor can read")
    login.add_argument("--no-browser", action="store_true", help="only print the URL to open")
    return root


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text} is not a port (1-65535)")
    return value


def main(argv: list[str], *, session_factory=boto3.Session, clock: Callable[[], float] = time.monotonic,
         sleep: Callable[[float], None] = time.sleep, confirm: Callable[[str], bool] = ask,
         smoke_options: dict | None = None, browser: Callable[[str], object] = webbrowser.open,
         now: Callable[[], dt.datetime] = utc_now) -> int:
    """smoke_options: keyword arguments for Smoke (tests replace `make` and the local pipeline);
    browser opens spotify-login's authorize URL; now is the wall clock of the Spotify consent."""
    args = parser().parse_args(argv)
    if args.prefix is None:
        args.prefix = throwaway_prefix() if args.command == "smoke" else default_prefix()
    try:
        operator = Operator(args, session_factory=session_factory, clock=clock, sleep=sleep, confirm=confirm,
                            smoke_options=smoke_options, browser=browser, now=now)
        ok = True
        if args.command == "status":
            report = operator.status()
        elif args.command == "run":
            report, ok = operator.run()
        elif args.command == "query":
            report = operator.query()[1]
        elif args.command == "dashboard":
            report = operator.dashboard()
        elif args.command == "upload":
            report = operator.upload()
        elif args.command == "spotify-login":
            report = operator.spotify_login()
        else:
            report, ok = operator.smoke()
    except OperatorError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    except (BotoCoreError, ClientError) as error:
        print(f"error: {translate(error, profile=args.profile, region=args.region)}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    return 0 if ok else 1
