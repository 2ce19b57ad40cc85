"""`query` and `dashboard`: Athena through the workgroup, typed from the column metadata, printed
with make demo's table printer; paging, failures and timeouts."""

from __future__ import annotations

import datetime as dt
import html
import json
from decimal import Decimal

import boto3
import pytest

from cloud_pipeline.athena_query import typed_value
from cloud_pipeline.pricing import athena_billed_bytes, athena_cost
from sql.queries import load_named_queries
from tests.cloud_pipeline.conftest import (
    REGION, Participant, StubbedSession, deploy, queue_as_athena, queue_athena_result, run_cli, stubbed_client,
)
from view.insights import INSIGHTS
from view.tables import format_table

MB = 1024**2
MOST_POPULAR = (
    [("track_name", "varchar"), ("artist_name", "varchar"), ("album_name", "varchar"),
     ("track_popularity", "integer"), ("release_date", "date")],
    [["Flowers", "Miley Cyrus", "Endless Summer Vacation", "100", "2023-03-10"],
     ["Kill Bill", "SZA", "SOS", "98", "2022-12-09"],
     ["Anti-Hero", None, "Midnights", "97", None]],
)
TYPED_MOST_POPULAR = [
    ("Flowers", "Miley Cyrus", "Endless Summer Vacation", 100, dt.date(2023, 3, 10)),
    ("Kill Bill", "SZA", "SOS", 98, dt.date(2022, 12, 9)),
    ("Anti-Hero", None, "Midnights", 97, None),
]


def indented(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")


def test_one_named_query_prints_like_make_demo_with_its_cost(aws, capsys):
    deploy("alice")
    queue_athena_result(*MOST_POPULAR)
    assert run_cli(["query", "most_popular_songs", "--prefix", "alice", "--region", REGION],
                   participant=Participant("alice")) == 0
    out = capsys.readouterr().out
    columns = [name for name, _ in MOST_POPULAR[0]]
    assert "\n  Most popular songs (most_popular_songs.sql)\n" in out
    assert indented(format_table(columns, TYPED_MOST_POPULAR)) in out
    # moto reports 0 bytes scanned: Athena bills its 10 MB minimum
    assert "  scanned 0.00 MB, $0.000048 at $5/TB" in out
    assert out.rstrip().endswith("1 query: scanned 0.00 MB, $0.000048 at list price ($5/TB, 10 MB minimum per query)")


def test_every_named_query_in_order_and_as_json(aws, capsys):
    deploy("alice")
    queries = load_named_queries()
    for number, _ in enumerate(queries):
        queue_athena_result([("label", "varchar"), ("tracks", "bigint"), ("avg", "double")],
                            [[f"row of query {number}", str(10_000 + number), "63.5"]])
    assert run_cli(["query", "--prefix", "alice", "--region", REGION, "--json"],
                   participant=Participant("alice")) == 0
    report = json.loads(capsys.readouterr().out)
    assert [q["id"] for q in report["queries"]] == [q.query_id for q in queries]
    assert report["queries"][2]["rows"] == [["row of query 2", 10_002, 63.5]]
    assert report["cost_usd"] == round(len(queries) * 10 * MB / 1024**4 * 5, 6)


def test_ad_hoc_sql_runs_in_the_pipelines_database(aws, capsys):
    deploy("alice")
    queue_athena_result([("tracks", "bigint")], [["4380"]])
    assert run_cli(["query", "SELECT COUNT(*) AS tracks FROM tracks", "--prefix", "alice", "--region", REGION],
                   participant=Participant("alice")) == 0
    assert indented(format_table(["tracks"], [(4380,)], max_rows=100)) in capsys.readouterr().out
    execution = boto3.client("athena", region_name=REGION).list_query_executions(WorkGroup="alice-spotify")
    detail = boto3.client("athena", region_name=REGION).get_query_execution(
        QueryExecutionId=execution["QueryExecutionIds"][0])["QueryExecution"]
    assert detail["Query"] == "SELECT COUNT(*) AS tracks FROM tracks"
    assert detail["QueryExecutionContext"]["Database"] == "alice_spotify"
    assert detail["WorkGroup"] == "alice-spotify"


def stub_athena(session_participant: Participant):
    athena, stubber = stubbed_client("athena")
    factory = lambda **kw: StubbedSession(session_participant.session(**kw), {"athena": athena})  # noqa: E731
    return athena, stubber, factory


def execution(state: str, *, scanned: int = 0, reason: str | None = None) -> dict:
    status = {"State": state}
    if reason:
        status["StateChangeReason"] = reason
    return {"QueryExecution": {"QueryExecutionId": "q-1", "StatementType": "DML", "Status": status,
                               "Statistics": {"DataScannedInBytes": scanned}}}


def column(name: str, kind: str) -> dict:
    return {"Name": name, "Type": kind}


def test_results_are_read_page_by_page(aws, capsys, clock):
    deploy("alice")
    participant = Participant("alice")
    _, stubber, factory = stub_athena(participant)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", execution("QUEUED"), {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", execution("RUNNING"), {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", execution("SUCCEEDED", scanned=15 * MB + 1),
                         {"QueryExecutionId": "q-1"})
    metadata = {"ColumnInfo": [column("release_year", "integer"), column("avg_minutes", "double")]}
    stubber.add_response("get_query_results", {"ResultSet": {"ResultSetMetadata": metadata, "Rows": [
        {"Data": [{"VarCharValue": "release_year"}, {"VarCharValue": "avg_minutes"}]},
        {"Data": [{"VarCharValue": "1999"}, {"VarCharValue": "3.75"}]},
        {"Data": [{"VarCharValue": "2000"}, {}]}]}, "NextToken": "page-2"},
        {"QueryExecutionId": "q-1", "MaxResults": 1000})
    stubber.add_response("get_query_results", {"ResultSet": {"ResultSetMetadata": metadata, "Rows": [
        {"Data": [{"VarCharValue": "2001"}, {"VarCharValue": "4.5"}]}]}},
        {"QueryExecutionId": "q-1", "MaxResults": 1000, "NextToken": "page-2"})
    assert run_cli(["query", "SELECT 1", "--prefix", "alice", "--region", REGION, "--json"],
                   participant=participant, session_factory=factory, clock=clock) == 0
    stubber.assert_no_pending_responses()
    report = json.loads(capsys.readouterr().out)
    assert report["queries"][0]["rows"] == [[1999, 3.75], [2000, None], [2001, 4.5]]
    assert report["queries"][0]["bytes_scanned"] == 15 * MB + 1
    assert report["queries"][0]["cost_usd"] == round(16 * MB / 1024**4 * 5, 6)  # rounded up to the next MB
    assert clock.sleeps == [1.0, 2.0]


def test_a_failing_query_prints_athenas_reason(aws, capsys, clock):
    deploy("alice")
    participant = Participant("alice")
    _, stubber, factory = stub_athena(participant)
    reason = "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not authorized"
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    stubber.add_response("get_query_execution", execution("FAILED", reason=reason))
    assert run_cli(["query", "SELECT nope FROM tracks", "--prefix", "alice", "--region", REGION],
                   participant=participant, session_factory=factory, clock=clock) == 1
    assert capsys.readouterr().err == f"error: query ad-hoc failed: {reason} (query id q-1)\n"


def test_a_query_athena_rejects_at_once(aws, capsys, clock):
    deploy("alice")
    participant = Participant("alice")
    _, stubber, factory = stub_athena(participant)
    stubber.add_client_error("start_query_execution", service_error_code="InvalidRequestException",
                             service_message="line 1:1: mismatched input 'SELEC'")
    assert run_cli(["query", "SELEC 1", "--prefix", "alice", "--region", REGION],
                   participant=participant, session_factory=factory, clock=clock) == 1
    assert capsys.readouterr().err == "error: Athena rejected the query: line 1:1: mismatched input 'SELEC'\n"


def test_a_query_running_past_its_timeout_is_stopped(aws, capsys, clock):
    deploy("alice")
    participant = Participant("alice")
    _, stubber, factory = stub_athena(participant)
    stubber.add_response("start_query_execution", {"QueryExecutionId": "q-1"})
    for _ in range(5):
        stubber.add_response("get_query_execution", execution("RUNNING"))
    stubber.add_response("stop_query_execution", {}, {"QueryExecutionId": "q-1"})
    assert run_cli(["query", "SELECT 1", "--prefix", "alice", "--region", REGION, "--query-timeout", "10"],
                   participant=participant, session_factory=factory, clock=clock) == 1
    stubber.assert_no_pending_responses()
    assert clock.sleeps == [1.0, 2.0, 4.0, 5.0]
    assert capsys.readouterr().err == "error: query ad-hoc still RUNNING after 10 s: stopped it (query id q-1)\n"


@pytest.mark.parametrize("text, kind, expected", [
    ("42", "integer", 42), ("9007199254740993", "bigint", 9007199254740993), ("63.5", "double", 63.5),
    ("1.25", "real", 1.25), ("12.30", "decimal", Decimal("12.30")), ("true", "boolean", True),
    ("false", "boolean", False), ("2023-03-10", "date", dt.date(2023, 3, 10)),
    ("2023-03-10 12:34:56.789", "timestamp", dt.datetime(2023, 3, 10, 12, 34, 56, 789000)),
    ("2023-03-10 12:34:56.789 Europe/Paris", "timestamp with time zone", dt.datetime(2023, 3, 10, 12, 34, 56, 789000)),
    ("Miley Cyrus", "varchar", "Miley Cyrus"), ("[pop, dance pop]", "array", "[pop, dance pop]"),
    (None, "integer", None),
])
def test_athena_strings_become_python_values(text, kind, expected):
    assert typed_value(text, kind) == expected
    assert type(typed_value(text, kind)) is type(expected)


def test_list_price_has_a_10_mb_minimum_and_rounds_up_to_the_megabyte():
    assert athena_billed_bytes(0) == 10 * MB
    assert athena_billed_bytes(10 * MB + 1) == 11 * MB
    assert athena_cost(1024**4) == 5.0


def test_dashboard_is_written_from_athena_results_and_the_run_summary(aws, capsys, tmp_path, monkeypatch):
    outputs = deploy("alice")
    summary = {"run_id": "r1", "status": "succeeded", "accounting": "3 input = 3 output + 0 quarantined + 0 duplicates"}
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=outputs["WarehouseBucket"], Key="run_summary.json", Body=json.dumps(summary).encode())
    written = {}

    def record(path, results, run_summary):
        written.update(path=path, results=results, summary=run_summary)

    monkeypatch.setattr("cloud_pipeline.cli.write_dashboard", record)
    for _ in load_named_queries():
        queue_athena_result(*MOST_POPULAR)
    target = tmp_path / "dash.html"
    assert run_cli(["dashboard", "--prefix", "alice", "--region", REGION, "--output", str(target)],
                   participant=Participant("alice")) == 0
    assert written["path"] == str(target)
    assert written["summary"] == summary
    assert [r.query.query_id for r in written["results"]] == [q.query_id for q in load_named_queries()]
    assert written["results"][3].rows == TYPED_MOST_POPULAR
    assert capsys.readouterr().out.rstrip().endswith(f"dashboard: {target}")


def test_dashboard_writes_the_shared_html_page(aws, capsys, tmp_path, named_query_results):
    """Athena's answers are the local pipeline's own results, so every chart has its real columns."""
    deploy("alice")
    for result in named_query_results:
        queue_as_athena(result)
    target = tmp_path / "dashboard.html"
    assert run_cli(["dashboard", "--prefix", "alice", "--region", REGION, "--output", str(target)],
                   participant=Participant("alice")) == 0
    page = target.read_text(encoding="utf-8")
    for insight in INSIGHTS:
        assert html.escape(insight.title) in page, insight.insight_id
    songs = next(r for r in named_query_results if r.query.query_id == "most_popular_songs")
    assert html.escape(songs.rows[0][0]) in page


def test_an_unknown_query_name_lists_the_named_queries(aws, capsys):
    deploy("alice")
    assert run_cli(["query", "genre_analysys", "--prefix", "alice", "--region", REGION]) == 1
    names = ", ".join(q.query_id for q in load_named_queries())
    assert capsys.readouterr().err == (
        f"error: no named query 'genre_analysys': choose one of {names} (sql/athena/*.sql), or pass SQL in quotes\n")
