"""Stage 4 (Athena stand-in): run the deployed named queries against the local catalog.

Athena speaks Trino SQL. The very same .sql text is parsed as Trino and
transpiled to DuckDB with sqlglot, so there is no second copy of any query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from local_pipeline.errors import StageError
from sql.queries import NamedQuery, load_named_queries


@dataclass
class QueryResult:
    query: NamedQuery
    columns: list[str]
    rows: list[tuple]
    duckdb_sql: str


def to_duckdb(trino_sql: str) -> str:
    """Trino (Athena engine 3) -> DuckDB. Raises ParseError for SQL Trino would reject."""
    statements = sqlglot.transpile(trino_sql, read="trino", write="duckdb", error_level=sqlglot.ErrorLevel.RAISE)
    if len(statements) != 1:
        raise ParseError(f"expected one SQL statement, found {len(statements)}")
    return statements[0]


def run_sql(connection: duckdb.DuckDBPyConnection, trino_sql: str, *, dialect: str = "trino") -> tuple[list, list]:
    sql = to_duckdb(trino_sql) if dialect == "trino" else trino_sql
    cursor = connection.execute(sql)
    columns = [d[0] for d in cursor.description] if cursor.description else []
    return columns, cursor.fetchall()


def run_named_queries(catalog_path: str) -> list[QueryResult]:
    results = []
    with duckdb.connect(catalog_path, read_only=True) as connection:
        for query in load_named_queries():
            try:
                duckdb_sql = to_duckdb(query.text)
                columns, rows = run_sql(connection, duckdb_sql, dialect="duckdb")
            except (ParseError, duckdb.Error) as error:
                raise StageError("query", f"named query {query.query_id}.sql failed: {error}") from None
            results.append(QueryResult(query, columns, rows, duckdb_sql))
    return results


def format_value(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e15 else f"{value:.3e}"
    if isinstance(value, Decimal):
        return f"{value:,}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    return str(value)


def format_table(columns: list[str], rows: list[tuple], *, max_width: int = 32, max_rows: int = 20) -> str:
    """A plain-text table like the Athena console's results pane."""
    shown = rows[:max_rows]
    cells = [[format_value(v) for v in row] for row in shown]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(col)] + [len(row[i]) for row in cells]) for i, col in enumerate(columns)]

    def line(values):
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths)) + " |"

    separator = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    out = [separator, line(columns), separator, *(line(row) for row in cells), separator]
    if len(rows) > max_rows:
        out.append(f"({len(rows)} rows, first {max_rows} shown)")
    else:
        out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)
