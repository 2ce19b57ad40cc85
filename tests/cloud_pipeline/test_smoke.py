"""`smoke`: its comparison of Athena's results with the local pipeline's, and the whole sequence
(deploy, run, compare, destroy, leftover check, deploy again) with `make` replaced by a fake that
deploys into moto and the local pipeline's results given."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from decimal import Decimal

import boto3

from cloud_pipeline.compare import compare, normalize
from cloud_pipeline.smoke import local_results as pipeline_results
from cloud_pipeline.smoke import make_command, run_make, throwaway_prefix
from sql.queries import QueryResult, load_named_queries
from tests.cloud_pipeline.conftest import REGION, StubbedSession, deploy, queue_as_athena, run_cli, stubbed_client
from tests.cloud_pipeline.test_run import RUN_ID, crawl, job_run, workflow_run

PREFIX = "smoke-0a1b2c"
QUERIES = {q.query_id: q for q in load_named_queries()}


def result(query_id: str, columns: list[str], rows: list[tuple]) -> QueryResult:
    return QueryResult(QUERIES[query_id], columns, rows)


# --- the comparison ------------------------------------------------------------------------

def test_engine_differences_normalize_away():
    columns = ["release_year", "tracks", "avg_track_popularity", "first_release", "last_seen"]
    athena = result("release_trends_by_year", columns, [
        (2023, 250, 57.5, dt.date(2023, 1, 6), dt.datetime(2023, 5, 1, 12, 0)),
        (2022, 200, Decimal("55.10"), None, None)])
    local = result("release_trends_by_year", [c.upper() for c in columns], [
        (2023, 250.0, 57.50000000000001, dt.date(2023, 1, 6), dt.datetime(2023, 5, 1, 12, 0, tzinfo=dt.timezone.utc)),
        (2022, 200, 55.1, None, None)])
    verdict = compare(athena, local)
    assert verdict.passed and verdict.rows == 2 and verdict.difference is None


def test_a_different_value_fails_naming_row_and_column():
    athena = result("genre_analysis", ["genre", "tracks"], [("pop", 120), ("rock", 80)])
    local = result("genre_analysis", ["genre", "tracks"], [("pop", 120), ("rock", 81)])
    verdict = compare(athena, local)
    assert not verdict.passed
    assert verdict.difference == "row 2 column tracks: Athena 80, local 81"


def test_a_rounding_difference_beyond_the_sql_s_own_rounding_fails():
    athena = result("genre_analysis", ["avg"], [(61.4,)])
    assert compare(athena, result("genre_analysis", ["avg"], [(61.5,)])).difference == (
        "row 1 column avg: Athena 61.4, local 61.5")


def test_row_order_count_and_columns_must_match():
    rows = [("pop", 1), ("rock", 2)]
    athena = result("genre_analysis", ["genre", "tracks"], rows)
    assert compare(athena, result("genre_analysis", ["genre", "tracks"], rows[::-1])).difference == (
        "row 1 column genre: Athena 'pop', local 'rock'")
    assert compare(athena, result("genre_analysis", ["genre", "tracks"], rows[:1])).difference == (
        "Athena returned 2 rows, local 1")
    assert compare(athena, result("genre_analysis", ["genre", "artists"], rows)).difference == (
        "columns differ: Athena ['genre', 'tracks'], local ['genre', 'artists']")


def test_history_queries_compare_what_a_run_measured_not_when_or_where_it_ran():
    columns = ["started_at", "run_id", "status", "role", "file", "quarantine_rate"]
    athena = result("pipeline_quarantine_rates", columns, [
        (dt.datetime(2026, 12, 5, 9, 30), "20261205T093000Z-aaaa0000", "succeeded", "albums",
         "s3://bucket/staging/albums.csv", 0.008104)])
    local = result("pipeline_quarantine_rates", columns, [
        (dt.datetime(2026, 12, 5, 9, 2), "20261205T090200Z-bbbb1111", "succeeded", "albums",
         "/tmp/smoke-local-x/staging/albums.csv", 0.008104)])
    assert compare(athena, local).passed
    local.rows[0] = (*local.rows[0][:2], "gate_failed", *local.rows[0][3:])
    assert compare(athena, local).difference == "row 1 column status: Athena 'succeeded', local 'gate_failed'"
    # Elsewhere a column of that name is compared like any other.
    genres = result("genre_analysis", ["file"], [("a",)])
    assert not compare(genres, result("genre_analysis", ["file"], [("b",)])).passed


def test_a_null_is_not_a_zero_or_an_empty_string():
    assert normalize(None) != normalize(0)
    assert normalize(None) != normalize("")
    assert normalize(True) != normalize(1)


# --- the whole sequence -----------------------------------------------------------------

def queue_athena(local: list[QueryResult], *, changed: str | None = None) -> None:
    """Athena answers every named query with the local pipeline's own result, in the order smoke runs
    them; `changed` answers with one value that differs (the first row's last column)."""
    by_id = {r.query.query_id: r for r in local}
    for query in load_named_queries():
        queue_as_athena(by_id[query.query_id], change_first_value_of_last_column=query.query_id == changed)


class FakeMake:
    """`make deploy` / `make destroy` into moto. leak: a resource destroy forgets."""

    def __init__(self, *, leak: str | None = None, fail: str | None = None) -> None:
        self.commands: list[list[str]] = []
        self.leak, self.fail = leak, fail
        self.key_ids: list[str] = []

    def __call__(self, command: list[str], log_path: str, env: dict[str, str]) -> int:
        self.commands.append(command)
        assert env["AWS_REGION"] == REGION
        prefix = command[2].split("resourcePrefix=")[1].split()[0]
        target = command[1]
        if target == self.fail:
            with open(log_path, "w", encoding="utf-8") as log:
                log.write("CREATE_FAILED\n")
            return 2
        if target == "deploy":
            try:
                deploy(prefix)
            except Exception as error:  # a name still taken: the prefix cannot be deployed again
                with open(log_path, "w", encoding="utf-8") as log:
                    log.write(f"{error}\n")
                return 1
            key = boto3.client("kms", region_name=REGION).create_key(
                Tags=[{"TagKey": "resource-prefix", "TagValue": prefix}])["KeyMetadata"]["KeyId"]
            self.key_ids.append(key)
            return 0
        self.destroy(prefix)
        return 0

    def destroy(self, prefix: str) -> None:
        s3 = boto3.resource("s3", region_name=REGION)
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        live = [s["StackName"] for s in cloudformation.list_stacks()["StackSummaries"]
                if s["StackStatus"] != "DELETE_COMPLETE"]
        if f"{prefix}-spotify-pipeline" not in live:
            return  # cdk destroy of a stack that was never created succeeds
        outputs = {o["OutputKey"]: o["OutputValue"] for o in
                   cloudformation.describe_stacks(StackName=f"{prefix}-spotify-pipeline")["Stacks"][0]["Outputs"]}
        for key in ("StagingBucket", "WarehouseBucket", "AthenaResultsBucket"):
            s3.Bucket(outputs[key]).objects.all().delete()  # the stack's deletion deletes the emptied buckets
        cloudformation.delete_stack(StackName=f"{prefix}-spotify-pipeline")
        glue = boto3.client("glue", region_name=REGION)
        for kind, name in (("job", outputs["GlueJobName"]), ("crawler", outputs["CrawlerName"])):
            # moto keeps the tags of a deleted job or crawler; AWS deletes them with it
            glue.untag_resource(ResourceArn=f"arn:aws:glue:{REGION}:123456789012:{kind}/{name}",
                                TagsToRemove=["resource-prefix", "project"])
        glue.delete_job(JobName=outputs["GlueJobName"])
        glue.delete_crawler(Name=outputs["CrawlerName"])
        glue.delete_workflow(Name=outputs["WorkflowName"])
        glue.delete_database(Name=outputs["DatabaseName"])
        if self.leak != "workgroup":
            boto3.client("athena", region_name=REGION).delete_work_group(
                WorkGroup=outputs["AthenaWorkGroup"], RecursiveDeleteOption=True)
        kms = boto3.client("kms", region_name=REGION)
        for key in self.key_ids:
            if kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] != "PendingDeletion":
                kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)


def glue_run_stub():
    glue, stubber = stubbed_client("glue")
    stubber.add_response("get_workflow_runs", {})
    stubber.add_response("start_workflow_run", {"RunId": RUN_ID})
    stubber.add_response("get_workflow_run", workflow_run("RUNNING", job_run("RUNNING")))
    stubber.add_response("get_workflow_run", workflow_run(
        "COMPLETED", job_run("SUCCEEDED", seconds=142), crawl("COMPLETED", seconds=61)))
    return glue


def smoke(make: FakeMake, tmp_path, clock, local: list[QueryResult], *extra: str) -> int:
    glue = glue_run_stub()
    return run_cli(["smoke", "--prefix", PREFIX, "--region", REGION, *extra], clock=clock,
                   session_factory=lambda **kw: StubbedSession(boto3.Session(region_name=REGION), {"glue": glue}),
                   smoke_options={"runner": make, "local": lambda: local, "log_folder": str(tmp_path),
                                  "leftover_attempts": 2, "leftover_wait": 30})


def test_smoke_passes_when_every_query_matches_and_nothing_is_left(aws, capsys, tmp_path, clock,
                                                                  named_query_results):
    queue_athena(named_query_results)
    make = FakeMake()
    assert smoke(make, tmp_path, clock, named_query_results) == 0
    assert make.commands == [
        make_command("deploy", PREFIX, "--require-approval never"),
        make_command("destroy", PREFIX, "--force"),
        make_command("deploy", PREFIX, "--require-approval never"),
        make_command("destroy", PREFIX, "--force"),
    ]
    assert make.commands[0] == ["make", "deploy",
                                f"ARGS=-c resourcePrefix={PREFIX} -c removeDataOnDestroy=true --require-approval never"]
    lines = capsys.readouterr().out.splitlines()
    steps = [line[:50].rstrip() for line in lines[1:-2]]
    names = ["deploy", "run the pipeline on the sample", "local pipeline on the same files",
             *(f"query {q.query_id}" for q in load_named_queries()), "destroy", "nothing left after destroy",
             "deploy again", "destroy again", "nothing left after the second destroy"]
    assert steps == [f"{number:>2} {name:<40} PASS" for number, name in enumerate(names, start=1)]
    albums = next(r for r in named_query_results if r.query.query_id == "albums_with_most_tracks")
    assert lines[4].endswith(f"{len(albums.rows)} rows equal")
    leftover_line = 3 + len(load_named_queries()) + 2
    assert lines[leftover_line].endswith(f"nothing tagged resource-prefix={PREFIX}")
    # job 284 DPU-s ($0.0347) + crawler estimate at its 10-minute minimum ($0.1467) + 10 MB of Athena a query
    assert lines[-1].startswith(f"PASS: {len(names)} passed, 0 failed in ")
    assert lines[-1].endswith("; the run cost about $0.18 at list price")


def test_a_deliberately_different_result_fails_smoke(aws, capsys, tmp_path, clock, named_query_results):
    queue_athena(named_query_results, changed="genre_analysis")
    assert smoke(FakeMake(), tmp_path, clock, named_query_results, "--json") == 1
    report = json.loads(capsys.readouterr().out)
    failed = [step for step in report["steps"] if not step["passed"]]
    genres = next(r for r in named_query_results if r.query.query_id == "genre_analysis")
    assert failed == [{"name": "query genre_analysis", "passed": False, "seconds": 0.0,
                       "detail": f"row 1 column avg_track_popularity: Athena 99.0, local {genres.rows[0][-1]}"}]
    assert report["passed"] is False
    # destroyed all the same
    assert [s["name"] for s in report["steps"]][-5:] == [
        "destroy", "nothing left after destroy", "deploy again", "destroy again",
        "nothing left after the second destroy"]


def test_a_leftover_tagged_resource_fails_smoke_and_is_named(aws, capsys, tmp_path, clock, named_query_results):
    queue_athena(named_query_results)
    assert smoke(FakeMake(leak="workgroup"), tmp_path, clock, named_query_results) == 1
    lines = capsys.readouterr().out.splitlines()
    leftover = next(line for line in lines if "nothing left after destroy" in line)
    assert " FAIL " in leftover
    assert leftover.endswith(f"left: arn:aws:athena:{REGION}:123456789012:workgroup/{PREFIX}-spotify")
    assert clock.sleeps.count(30) == 1  # asked the tagging index again once before failing
    again = next(line for line in lines if line[3:].startswith("deploy again"))
    assert " FAIL " in again and again.endswith(f"see {tmp_path}/smoke-{PREFIX}-deploy again.log")


def test_a_failed_deploy_still_destroys_and_reports_the_log(aws, capsys, tmp_path, clock):
    make = FakeMake(fail="deploy")
    glue = glue_run_stub()
    code = run_cli(["smoke", "--prefix", PREFIX, "--region", REGION], clock=clock,
                   session_factory=lambda **kw: StubbedSession(boto3.Session(region_name=REGION), {"glue": glue}),
                   smoke_options={"runner": make, "local": list, "log_folder": str(tmp_path)})
    assert code == 1
    assert [c[1] for c in make.commands] == ["deploy", "destroy"]
    out = capsys.readouterr().out
    assert (f" 1 deploy                                   FAIL      0.0 s  "
            f"exit 2, see {tmp_path}/smoke-{PREFIX}-deploy.log") in out


def test_smoke_refuses_a_prefix_that_is_already_deployed(aws, capsys, tmp_path, clock):
    deploy(PREFIX)
    make = FakeMake()
    assert smoke(make, tmp_path, clock, []) == 1
    assert make.commands == []
    assert capsys.readouterr().err == (
        f"error: prefix {PREFIX} is already deployed: smoke needs a throwaway prefix (--prefix)\n")


def test_the_default_throwaway_prefix_is_a_valid_resource_prefix():
    from stacks.settings import PREFIX as VALID_PREFIX

    prefixes = {throwaway_prefix() for _ in range(20)}
    assert len(prefixes) == 20
    assert all(VALID_PREFIX.match(prefix) and prefix.startswith("smoke-") for prefix in prefixes)


def test_make_output_goes_to_the_log_and_its_exit_status_is_returned(tmp_path):
    log = tmp_path / "logs" / "deploy.log"
    code = run_make([sys.executable, "-c",
                     "import os; print('deploying', os.environ['AWS_REGION']); raise SystemExit(3)"],
                    str(log), {**os.environ, "AWS_REGION": "eu-west-1"})
    assert code == 3
    assert log.read_text(encoding="utf-8") == "deploying eu-west-1\n"


def test_the_expected_results_come_from_make_demos_own_stages_on_the_sample():
    """Real local Spark on data/: what smoke compares Athena's answers with."""
    results = pipeline_results()
    assert [r.query.query_id for r in results] == [q.query_id for q in load_named_queries()]
    by_id = {r.query.query_id: r for r in results}
    assert by_id["most_popular_songs"].columns == [
        "track_name", "artist_name", "album_name", "track_popularity", "release_date"]
    assert len(by_id["most_popular_songs"].rows) == 20
    assert all(isinstance(row[4], dt.date) or row[4] is None for row in by_id["most_popular_songs"].rows)
    assert all(compare(r, r).passed for r in results)
