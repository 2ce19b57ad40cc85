"""The named queries: one .sql file each, deployed to Athena and run locally as-is.

The first line of each file is `-- <Title>: <description>`; the file name
(without .sql) is the query's id.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

ATHENA_QUERIES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "athena")


@dataclass(frozen=True)
class NamedQuery:
    query_id: str
    title: str
    description: str
    text: str


@dataclass
class QueryResult:
    """A named query's result, typed (ints, floats, dates, lists), wherever it ran."""

    query: NamedQuery
    columns: list[str]
    rows: list[tuple]


def load_named_queries(folder: str = ATHENA_QUERIES_DIR) -> list[NamedQuery]:
    queries = []
    for file_name in sorted(os.listdir(folder)):
        if not file_name.endswith(".sql"):
            continue
        path = os.path.join(folder, file_name)
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
        first_line = text.splitlines()[0] if text else ""
        if not first_line.startswith("-- ") or ": " not in first_line:
            raise ValueError(f"{path}: the first line must be '-- <Title>: <description>'")
        title, description = first_line[3:].split(": ", 1)
        queries.append(NamedQuery(file_name[:-4], title.strip(), description.strip(), text))
    return queries
