"""The run history through the local pipeline: three `make demo` runs into one folder (good, a failing
gate, good) are three runs in the history, whose counts add up to each run's accounting line, queried
by the named queries exactly as Athena would be."""

from __future__ import annotations

import os
import re

import duckdb
import pytest

from local_pipeline import athena
from local_pipeline.paths import Layout
from sql.queries import load_named_queries

RECORDED = re.compile(r"run history: run (\S+) recorded as (\w+)")
ACCOUNTING = re.compile(r"(\d+) input = (\d+) output \+ (\d+) quarantined \+ (\d+) duplicates")


@pytest.fixture(scope="module")
def demo_runs(demo_run):
    """Per demo run, in order: run id, status and the accounting line it printed."""
    runs = []
    for result in demo_run["runs"]:
        ((run_id, status),) = RECORDED.findall(result.stdout)
        runs.append({"run_id": run_id, "status": status,
                     "accounting": tuple(int(n) for n in ACCOUNTING.search(result.stdout).groups())})
    return runs


def named(demo_run, query_id: str) -> tuple[list[str], list[tuple]]:
    query = next(q for q in load_named_queries() if q.query_id == query_id)
    with duckdb.connect(Layout(demo_run["output"]).catalog, read_only=True) as connection:
        return athena.run_sql(connection, query.text)


def test_three_demo_runs_are_three_runs_with_their_statuses(demo_run, demo_runs):
    assert [r["status"] for r in demo_runs] == ["succeeded", "gate_failed", "succeeded"]
    columns, rows = named(demo_run, "pipeline_recent_runs")
    by_id = {row[columns.index("run_id")]: dict(zip(columns, row)) for row in rows}
    # Newest first (a later test may add runs of its own to this folder: they come before these).
    ours = [row[columns.index("run_id")] for row in rows if row[columns.index("run_id")] in
            {r["run_id"] for r in demo_runs}]
    assert ours == [r["run_id"] for r in reversed(demo_runs)]
    for run in demo_runs:
        record = by_id[run["run_id"]]
        input_rows, output_rows, quarantined, duplicates = run["accounting"]
        assert record["status"] == run["status"]
        assert (record["input_rows"], record["quarantined_rows"], record["duplicate_rows"]) == (
            input_rows, quarantined, duplicates)
        assert record["published_rows"] == (output_rows if run["status"] == "succeeded" else 0)
    failed = by_id[demo_runs[1]["run_id"]]
    assert failed["failed_gates"] == "max_quarantine_rate"
    assert failed["message"].startswith("data-quality gate max_quarantine_rate failed: ")


def test_per_file_counts_add_up_to_each_runs_accounting_line(demo_run, demo_runs):
    with duckdb.connect(Layout(demo_run["output"]).catalog, read_only=True) as connection:
        for run in demo_runs:
            files = connection.execute(
                "SELECT role, input_rows, kept_rows, quarantined_rows, duplicate_rows, malformed_rows + "
                "invalid_id_rows + conflicting_id_rows FROM pipeline_run_files WHERE run_id = ? ORDER BY role",
                [run["run_id"]]).fetchall()
            assert [f[0] for f in files] == ["albums", "artists", "features", "tracks"]
            for _, input_rows, kept, quarantined, duplicates, by_reason in files:
                assert input_rows == kept + quarantined + duplicates and by_reason == quarantined
            albums = files[0]
            assert (albums[1], albums[2], albums[3], albums[4]) == run["accounting"]


def test_the_failing_gate_is_first_with_its_measured_value(demo_run, demo_runs):
    columns, rows = named(demo_run, "pipeline_gate_results")
    first = dict(zip(columns, rows[0]))
    assert (first["run_id"], first["gate"], first["passed"], first["threshold"]) == (
        demo_runs[1]["run_id"], "max_quarantine_rate", False, 0.0001)
    with duckdb.connect(Layout(demo_run["output"]).catalog, read_only=True) as connection:
        worst = connection.execute("SELECT max(quarantine_rate) FROM pipeline_run_files WHERE run_id = ?",
                                   [demo_runs[1]["run_id"]]).fetchone()[0]
    assert first["measured"] == worst > 0.0001
    assert all(passed for passed in (dict(zip(columns, row))["passed"] for row in rows[1:]))


def test_quarantine_rates_per_file_are_in_time_order(demo_run, demo_runs):
    columns, rows = named(demo_run, "pipeline_quarantine_rates")
    ours = [dict(zip(columns, row)) for row in rows if row[columns.index("run_id")] in
            {r["run_id"] for r in demo_runs}]
    assert [(r["run_id"], r["role"]) for r in ours] == [
        (run["run_id"], role) for run in demo_runs for role in ("albums", "artists", "features", "tracks")]
    for record in ours:
        assert record["quarantine_rate"] == round(record["quarantined_rows"] / record["input_rows"], 6)


def test_a_failed_run_keeps_the_published_tables_and_still_draws_the_dashboard(demo_run):
    failed = demo_run["runs"][1]
    assert "error: transform failed: data-quality gate max_quarantine_rate failed: " in failed.stderr
    assert "tracks/ keeps the table published before; the dashboard's Pipeline health shows this run" in (
        failed.stdout)
    assert "== 3/5 Crawl" in failed.stdout and "== 5/5 Visualize" in failed.stdout
    # The crawl after the failure found the first run's table, set aside during the run and put back.
    assert "Table tracks  (" in failed.stdout
    assert not os.path.exists(os.path.join(demo_run["output"], "warehouse", ".tracks-previous"))


def test_history_tables_are_catalogued_with_their_types(demo_run):
    stdout = demo_run["stdout"]
    assert "Table pipeline_runs  (" in stdout
    assert "  started_at        timestamp" in stdout
    assert "  run_date          string  (partition key)" in stdout
