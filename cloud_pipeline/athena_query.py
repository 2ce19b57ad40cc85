"""Run SQL through the pipeline's Athena workgroup: start, poll, page through the
results, and type the values from the result set's column metadata."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from botocore.exceptions import ClientError

from cloud_pipeline.errors import OperatorError
from cloud_pipeline.pricing import athena_cost
from sql.queries import NamedQuery, QueryResult

RUNNING_STATES = {"QUEUED", "RUNNING"}
INTEGER_TYPES = {"tinyint", "smallint", "integer", "int", "bigint"}
FLOAT_TYPES = {"double", "float", "real"}
PAGE_SIZE = 1000  # GetQueryResults' maximum


@dataclass
class AthenaRun:
    """One query execution: its typed result plus what Athena reports about it."""

    execution_id: str
    result: QueryResult
    bytes_scanned: int
    seconds: float

    @property
    def cost(self) -> float:
        return athena_cost(self.bytes_scanned)


def typed_value(text: str | None, athena_type: str):
    """Athena returns every value as a string; its column metadata says what it was."""
    if text is None:
        return None
    kind = athena_type.lower()
    if kind in INTEGER_TYPES:
        return int(text)
    if kind in FLOAT_TYPES:
        return float(text)
    if kind == "decimal":
        return Decimal(text)
    if kind == "boolean":
        return text == "true"
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind.startswith("timestamp"):
        try:  # "2023-03-10 12:34:56.789", with time zone "… UTC" or "… Europe/Paris": the zone stays out
            return dt.datetime.fromisoformat(" ".join(text.split(" ")[:2]))
        except ValueError:
            return text
    # varchar, char, json; arrays, maps and rows arrive as text whose element types
    # the metadata does not give, so they stay text.
    return text


def _cell(datum: dict) -> str | None:
    return datum.get("VarCharValue")  # absent: SQL NULL


def start(athena, sql: str, *, workgroup: str, database: str) -> str:
    try:
        response = athena.start_query_execution(
            QueryString=sql, WorkGroup=workgroup, QueryExecutionContext={"Database": database}
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "InvalidRequestException":
            raise OperatorError(f"Athena rejected the query: {error.response['Error']['Message']}") from None
        raise
    return response["QueryExecutionId"]


def wait(athena, execution_id: str, *, label: str, timeout: float, clock: Callable[[], float],
         sleep: Callable[[float], None], poll_seconds: float = 1.0) -> dict:
    """Poll until the query leaves QUEUED/RUNNING; a failure raises with Athena's reason."""
    started = clock()
    delay = poll_seconds
    while True:
        execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        state = execution["Status"]["State"]
        if state == "SUCCEEDED":
            return execution
        if state in ("FAILED", "CANCELLED"):
            reason = execution["Status"].get("StateChangeReason") or "no reason given"
            raise OperatorError(f"query {label} {state.lower()}: {reason} (query id {execution_id})")
        if clock() - started >= timeout:
            athena.stop_query_execution(QueryExecutionId=execution_id)
            raise OperatorError(
                f"query {label} still {state} after {timeout:.0f} s: stopped it (query id {execution_id})")
        sleep(delay)
        delay = min(delay * 2, 5.0)


def fetch(athena, execution_id: str, *, header_row: bool) -> tuple[list[str], list[tuple]]:
    """Every page of the result; for a SELECT the first row of the first page repeats the column names."""
    columns: list[str] = []
    types: list[str] = []
    rows: list[tuple] = []
    first_page = True
    for page in athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=execution_id, PaginationConfig={"PageSize": PAGE_SIZE}
    ):
        result_set = page["ResultSet"]
        if first_page:
            info = result_set["ResultSetMetadata"]["ColumnInfo"]
            columns = [c["Name"] for c in info]
            types = [c["Type"] for c in info]
        data_rows = result_set["Rows"]
        if first_page and header_row:
            data_rows = data_rows[1:]
        first_page = False
        for row in data_rows:
            rows.append(tuple(typed_value(_cell(d), t) for d, t in zip(row["Data"], types)))
    return columns, rows


def run_query(athena, query: NamedQuery, *, workgroup: str, database: str, timeout: float,
              clock: Callable[[], float], sleep: Callable[[float], None]) -> AthenaRun:
    started = clock()
    execution_id = start(athena, query.text, workgroup=workgroup, database=database)
    execution = wait(athena, execution_id, label=query.query_id, timeout=timeout, clock=clock, sleep=sleep)
    columns, rows = fetch(athena, execution_id, header_row=execution.get("StatementType", "DML") == "DML")
    scanned = execution.get("Statistics", {}).get("DataScannedInBytes", 0)
    return AthenaRun(execution_id, QueryResult(query, columns, rows), scanned, clock() - started)


def ad_hoc(sql: str) -> NamedQuery:
    return NamedQuery("ad-hoc", "Ad-hoc query", sql.strip().splitlines()[0][:60] if sql.strip() else "", sql)
