"""What the dashboard tests share: the chart specs of a page, and hand-made results of the three
run-history queries (sql/athena/pipeline_*.sql) in their column order and their row order, for runs
one hour apart. Each run reads two files and checks two gates; a gate_failed run fails
max_quarantine_rate, an error run records no files and no gates."""

from __future__ import annotations

import datetime as dt
import json
import re

from sql.queries import QueryResult, load_named_queries

QUERIES = {q.query_id: q for q in load_named_queries()}
RUN_COLUMNS = ["started_at", "run_id", "status", "input_rows", "published_rows", "quarantined_rows", "duplicate_rows",
               "seconds", "failed_gates", "message"]
FILE_COLUMNS = ["started_at", "run_id", "status", "role", "file", "input_rows", "quarantined_rows", "quarantine_rate",
                "unparseable_values", "unparseable_rate", "out_of_range_values", "orphan_rows"]
GATE_COLUMNS = ["started_at", "run_id", "gate", "measured", "threshold", "passed", "message"]
FIRST_START = dt.datetime(2026, 3, 1, 6, 0, 5)  # naive, as DuckDB and Athena return the UTC timestamps
QUARANTINE_MESSAGE = "albums.csv quarantined 0.81% of its rows (36 of 4442; maximum 0.01%)"


def chart_specs(page: str) -> dict:
    """Every chart's Vega-Lite spec on the page, by insight id."""
    match = re.search(r'<script type="application/json" id="chart-specs">(.*?)</script>', page, re.S)
    return json.loads(match.group(1).replace("<\\/", "</"))


def started(index: int) -> dt.datetime:
    return FIRST_START + dt.timedelta(hours=index)


def run_id(index: int) -> str:
    return f"{started(index):%Y%m%dT%H%M%SZ}-run{index}"


def _run(index: int, status: str) -> tuple:
    if status == "error":
        return (started(index), run_id(index), status, None, None, None, None, 2.5, None, "Java gateway exited")
    failed = status == "gate_failed"
    return (started(index), run_id(index), status, 4442, 0 if failed else 4389, 36, 17, 13.7 if failed else 14.0,
            "max_quarantine_rate" if failed else None, f"gate failed: {QUARANTINE_MESSAGE}" if failed else None)


def _files(index: int, status: str) -> list[tuple]:
    if status == "error":
        return []
    return [
        (started(index), run_id(index), status, "albums", "staging/albums.csv", 4442, 36, 0.008104, 230, 0.052404, 0,
         None),
        (started(index), run_id(index), status, "artists", "staging/artists.csv", 371, 1, 0.002695, 5, 0.013514, 0,
         23),
    ]


def _gates(index: int, status: str) -> list[tuple]:
    if status == "error":
        return []
    failed = status == "gate_failed"
    return [
        (started(index), run_id(index), "max_quarantine_rate", 0.008104, 0.0001 if failed else 0.05, not failed,
         QUARANTINE_MESSAGE),
        (started(index), run_id(index), "min_output_rows", 4389.0, 1.0, True, "4389 output rows (minimum 1)"),
    ]


def history_results(statuses: list[str]) -> list[QueryResult]:
    """The queries' results for runs of these statuses, the first one at FIRST_START, one an hour."""
    runs = list(enumerate(statuses))
    newest_first = sorted(runs, key=lambda run: run[0], reverse=True)
    gates = [gate for index, status in runs for gate in _gates(index, status)]
    return [
        QueryResult(QUERIES["pipeline_recent_runs"], RUN_COLUMNS, [_run(i, s) for i, s in newest_first]),
        QueryResult(QUERIES["pipeline_quarantine_rates"], FILE_COLUMNS, [f for i, s in runs for f in _files(i, s)]),
        # Failed gates first, then the newest, then by gate name: the query's ORDER BY.
        QueryResult(QUERIES["pipeline_gate_results"], GATE_COLUMNS,
                    sorted(gates, key=lambda g: (g[5], -g[0].timestamp(), g[2]))),
    ]
