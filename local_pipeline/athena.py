"""Stage 4 (Athena stand-in): run the deployed named queries against the local catalog.

Athena speaks Trino SQL. The very same .sql text is parsed as Trino and
transpiled to DuckDB with sqlglot, so there is no second copy of any query.
"""

from __future__ import annotations

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from local_pipeline.errors import StageError
from sql.queries import QueryResult, load_named_queries


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
            results.append(QueryResult(query, columns, rows))
    return results
