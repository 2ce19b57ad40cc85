"""smoke's verdict: a named query's Athena result against the local pipeline's result
on the same files, after normalizing what legitimately differs between the engines."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from sql.queries import QueryResult

DECIMAL_PLACES = 6  # both engines round the same SQL; beyond this only float noise differs
# The run history's queries (sql/athena/pipeline_*.sql) describe a run: its id, time, length, file paths
# and the messages naming them differ between the cloud run and the local one on the same files; the
# statuses, counts, rates and gates must not.
HISTORY_QUERY_PREFIX = "pipeline_"
RUN_SPECIFIC_COLUMNS = ("started_at", "run_id", "seconds", "file", "message")


def normalize(value):
    """One comparable form per value: Athena's typed strings and DuckDB's values meet here."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("boolean", value)  # True == 1 in Python; not in SQL
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        rounded = round(number, DECIMAL_PLACES)
        return int(rounded) if rounded == int(rounded) and abs(rounded) < 2**53 else rounded
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        # Athena returns arrays as text, "[a, b]"
        return "[" + ", ".join(str(normalize(v)) for v in value) + "]"
    return str(value)


@dataclass
class Comparison:
    query_id: str
    rows: int
    difference: str | None  # None: equal

    @property
    def passed(self) -> bool:
        return self.difference is None


def compare(cloud: QueryResult, local: QueryResult) -> Comparison:
    query_id = cloud.query.query_id
    if [c.lower() for c in cloud.columns] != [c.lower() for c in local.columns]:
        return Comparison(query_id, len(cloud.rows), f"columns differ: Athena {cloud.columns}, local {local.columns}")
    if len(cloud.rows) != len(local.rows):
        return Comparison(query_id, len(cloud.rows), f"Athena returned {len(cloud.rows)} rows, local {len(local.rows)}")
    skipped = RUN_SPECIFIC_COLUMNS if query_id.startswith(HISTORY_QUERY_PREFIX) else ()
    for number, (cloud_row, local_row) in enumerate(zip(cloud.rows, local.rows), start=1):
        for column, cloud_value, local_value in zip(cloud.columns, cloud_row, local_row):
            if column.lower() in skipped:
                continue
            if normalize(cloud_value) != normalize(local_value):
                return Comparison(query_id, len(cloud.rows),
                                  f"row {number} column {column}: Athena {cloud_value!r}, local {local_value!r}")
    return Comparison(query_id, len(cloud.rows), None)
