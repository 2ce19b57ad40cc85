"""Command line: `python -m local_pipeline demo` runs every stage; each stage
also has its own subcommand, and `query` runs ad-hoc SQL like the Athena console."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from local_pipeline import athena, crawler, staging, transform
from local_pipeline.errors import StageError
from local_pipeline.paths import ROOT, Layout
from view.dashboard_html import write_dashboard
from view.tables import format_table


def say(message: str = "") -> None:
    print(message, flush=True)


def heading(number: int, title: str) -> None:
    say(f"\n== {number}/5 {title}")


def run_stage(layout: Layout, source: str) -> None:
    heading(1, f"Stage: {source} -> {layout.staging}  (S3 staging bucket, prefix staging/)")
    for name, size in staging.stage(source, layout.staging):
        say(f"  {name:<34} {size:>12,} bytes")


def run_transform(layout: Layout, gates: dict[str, str] | None = None) -> dict:
    heading(2, "Transform: glue_scripts/spotify_etl.py on local Spark  (Glue job)")
    summary = transform.transform(layout, progress=lambda line: say(f"  {line}"), thresholds=gates)
    say(f"  {summary['accounting']}")
    for role, counts in summary["files"].items():
        reasons = ", ".join(f"{reason.split(':')[0]} {n}" for reason, n in counts["quarantine_reasons"].items())
        unparseable = ", ".join(f"{c} {n}" for c, n in counts["unparseable_values"].items() if n)
        say(f"  {role:<8} {counts['input_rows']:>8,} in  {counts['kept_rows']:>8,} kept  "
            f"{counts['quarantined_rows']:>6,} quarantined  {counts['duplicate_rows_removed']:>6,} duplicates"
            + (f"  [{reasons}]" if reasons else "") + (f"  unparseable: {unparseable}" if unparseable else ""))
    orphans = summary["orphans"]
    say(f"  orphans: {orphans['artist_rows']} rows without artist ({orphans['artist_rate']:.2%}), "
        f"{orphans['track_rows']} without track popularity ({orphans['track_rate']:.2%})")
    say(f"  run summary: {layout.run_summary}")
    return summary


def run_crawl(layout: Layout) -> list[crawler.CatalogTable]:
    heading(3, f"Crawl: {layout.warehouse} -> {layout.catalog}  (Glue crawler + Data Catalog)")
    tables = crawler.discover_tables(layout.warehouse)
    crawler.register(layout.catalog, tables)
    for table in tables:
        say("  " + crawler.describe(table).replace("\n", "\n  "))
    return tables


def run_queries(layout: Layout) -> list[athena.QueryResult]:
    heading(4, "Query: sql/athena/*.sql, the named queries deployed to Athena (Trino SQL -> DuckDB)")
    if not os.path.exists(layout.catalog):
        raise StageError("query", f"no catalog at {layout.catalog}: run the crawl stage first")
    results = athena.run_named_queries(layout.catalog)
    for result in results:
        say(f"\n  {result.query.title} ({result.query.query_id}.sql)")
        say("  " + format_table(result.columns, result.rows).replace("\n", "\n  "))
    return results


def run_dashboard(layout: Layout, results: list[athena.QueryResult] | None = None) -> str:
    heading(5, "Visualize: the insights of view/insights.py, one offline HTML page  (QuickSight dashboard)")
    if results is None:
        if not os.path.exists(layout.catalog):
            raise StageError("dashboard", f"no catalog at {layout.catalog}: run the crawl stage first")
        results = athena.run_named_queries(layout.catalog)
    summary = None
    if os.path.exists(layout.run_summary):
        with open(layout.run_summary, encoding="utf-8") as handle:
            summary = json.load(handle)
    write_dashboard(layout.dashboard, results, summary)
    say(f"  dashboard: {os.path.abspath(layout.dashboard)}")
    return layout.dashboard


def timed(label: str, function, *args):
    started = time.time()
    value = function(*args)
    say(f"  ({label} took {time.time() - started:.1f} s)")
    return value


def demo(layout: Layout, source: str, gates: dict[str, str]) -> None:
    started = time.time()
    timed("stage", run_stage, layout, source)
    try:
        timed("transform", run_transform, layout, gates)
    except StageError as error:
        if not os.path.isdir(layout.tracks):
            raise
        # The failed run is in the run history: the dashboard shows it beside the table still published.
        say(f"\n  transform failed: {error}")
        say("  tracks/ keeps the table published before; the dashboard's Pipeline health shows this run")
        try:
            run_crawl(layout)
            run_dashboard(layout, run_queries(layout))
        except StageError as later:
            say(f"  (the dashboard was not updated: {later.stage} failed: {later})")
        raise
    timed("crawl", run_crawl, layout)
    results = timed("query", run_queries, layout)
    path = timed("dashboard", run_dashboard, layout, results)
    say(f"\nDone in {time.time() - started:.1f} s. Open {os.path.abspath(path)} in a browser; explore with:")
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    say(f'  {python} -m local_pipeline query --output {layout.output} "SELECT * FROM tracks LIMIT 5"')


def ad_hoc_query(layout: Layout, sql: str, dialect: str) -> None:
    import duckdb

    if not os.path.exists(layout.catalog):
        raise StageError("query", f"no catalog at {layout.catalog}: run `python -m local_pipeline demo` first")
    try:
        with duckdb.connect(layout.catalog, read_only=True) as connection:
            columns, rows = athena.run_sql(connection, sql, dialect=dialect)
    except Exception as error:  # sqlglot and DuckDB errors: say what the SQL got wrong
        raise StageError("query", f"{type(error).__name__}: {error}") from None
    say(format_table(columns, rows, max_rows=100))


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--output", default=os.path.join(ROOT, "local"),
                        help="folder for staging/, warehouse/, catalog.duckdb and dashboard.html (default: local/)")
    gate_options = argparse.ArgumentParser(add_help=False)
    gate_options.add_argument("--gate", action="append", default=[], metavar="NAME=VALUE",
                              help="a data-quality threshold passed to the Glue job, e.g. MAX_QUARANTINE_RATE=0.1")
    root = argparse.ArgumentParser(prog="python -m local_pipeline", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("demo", "run all five stages"),
        ("stage", "copy the input CSVs into the local staging folder"),
    ):
        sub = commands.add_parser(name, parents=[common, gate_options] if name == "demo" else [common],
                                  help=help_text)
        sub.add_argument("--source", default=os.path.join(ROOT, "data"),
                         help="folder with the CSVs: the sample (default data/) or the real Kaggle download")
    commands.add_parser("transform", parents=[common, gate_options], help="run the Glue script on local Spark")
    commands.add_parser("crawl", parents=[common], help="catalog the warehouse's Parquet tables in DuckDB")
    commands.add_parser("dashboard", parents=[common], help="write the HTML dashboard")
    query = commands.add_parser("query", parents=[common],
                                help="run the named queries, or ad-hoc SQL against the local catalog")
    query.add_argument("sql", nargs="?", help="SQL to run (Trino dialect, as in Athena); omit for the named queries")
    query.add_argument("--dialect", choices=["trino", "duckdb"], default="trino")
    return root


def main(argv: list[str]) -> int:
    command_line = parser()
    args = command_line.parse_args(argv)
    layout = Layout(os.path.abspath(args.output))
    gates = {}
    for item in getattr(args, "gate", []):
        name, _, value = item.partition("=")
        if not value:
            command_line.error(f"--gate {item!r}: expected NAME=VALUE, e.g. MAX_QUARANTINE_RATE=0.1")
        gates[name.upper()] = value
    try:
        if args.command == "demo":
            demo(layout, os.path.abspath(args.source), gates)
        elif args.command == "stage":
            run_stage(layout, os.path.abspath(args.source))
        elif args.command == "transform":
            run_transform(layout, gates)
        elif args.command == "crawl":
            run_crawl(layout)
        elif args.command == "query" and args.sql:
            ad_hoc_query(layout, args.sql, args.dialect)
        elif args.command == "query":
            run_queries(layout)
        elif args.command == "dashboard":
            run_dashboard(layout)
    except StageError as error:
        print(f"\nerror: {error.stage} failed: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0
