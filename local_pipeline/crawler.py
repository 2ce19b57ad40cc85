"""Stage 3 (Glue crawler stand-in): discover Parquet tables and hive partitions
under the warehouse, read their schemas from the files, and register them as
views in an on-disk DuckDB catalog."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

import duckdb

from local_pipeline.errors import StageError

HIVE_DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
PARTITION_FOLDER = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")
INTEGER = re.compile(r"^-?\d{1,9}$")


@dataclass
class CatalogTable:
    name: str
    location: str
    columns: list[tuple[str, str]]  # data columns, from the Parquet footers
    partition_keys: list[tuple[str, str]]
    partitions: list[tuple[str, ...]] = field(default_factory=list)  # values per partition, as in the folders
    files: int = 0


def _is_data_file(name: str) -> bool:
    # Spark's markers (_SUCCESS), hidden files and checksums are not data: the
    # cloud crawler's exclusions say the same.
    return name.endswith(".parquet") and not name.startswith(("_", "."))


def discover_table(name: str, location: str) -> CatalogTable | None:
    """One table per top-level folder; its partition keys from key=value folder names."""
    partitions: dict[tuple[str, ...], int] = {}
    keys: list[str] | None = None
    sample_file = None
    for folder, subfolders, files in os.walk(location):
        subfolders[:] = sorted(d for d in subfolders if not d.startswith(("_", ".")))
        data_files = sorted(f for f in files if _is_data_file(f))
        if not data_files:
            continue
        relative = os.path.relpath(folder, location)
        parts = [] if relative == "." else relative.split(os.sep)
        matches = [PARTITION_FOLDER.match(part) for part in parts]
        if not all(matches):
            raise StageError("crawl", f"{folder} is not a key=value partition folder of table {name}")
        folder_keys = [m.group(1) for m in matches]
        if keys is None:
            keys = folder_keys
        elif keys != folder_keys:
            raise StageError("crawl", f"table {name} mixes partition layouts: {keys} and {folder_keys}")
        values = tuple(m.group(2) for m in matches)
        partitions[values] = partitions.get(values, 0) + len(data_files)
        sample_file = sample_file or os.path.join(folder, data_files[0])
    if sample_file is None:
        return None
    keys = keys or []
    # The Glue crawler registers every hive partition key as a string (even
    # release_year=2015), so a query that forgets TRY_CAST must fail here too.
    key_types = [(key, "VARCHAR") for key in keys]
    with duckdb.connect() as connection:
        described = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [sample_file]).fetchall()
    columns = [(row[0], row[1]) for row in described if row[0] not in keys]
    return CatalogTable(
        name=name,
        location=location,
        columns=columns,
        partition_keys=key_types,
        partitions=sorted(partitions, key=_partition_sort_key),
        files=sum(partitions.values()),
    )


def _partition_sort_key(values: tuple[str, ...]):
    return tuple((v == HIVE_DEFAULT_PARTITION, int(v) if INTEGER.match(v) else 0, v) for v in values)


def discover_tables(warehouse: str) -> list[CatalogTable]:
    if not os.path.isdir(warehouse):
        raise StageError("crawl", f"warehouse folder {warehouse} does not exist: run the transform stage first")
    tables = []
    for name in sorted(os.listdir(warehouse)):
        location = os.path.join(warehouse, name)
        if os.path.isdir(location) and not name.startswith(("_", ".")):
            table = discover_table(name, location)
            if table:
                tables.append(table)
    if not any(t.name == "tracks" for t in tables):
        raise StageError("crawl", f"no tracks table under {warehouse}: the transform stage wrote nothing")
    return tables


def register(catalog_path: str, tables: list[CatalogTable]) -> None:
    """(Re)create one view per table; partition values come from the folder names."""
    os.makedirs(os.path.dirname(os.path.abspath(catalog_path)), exist_ok=True)
    with duckdb.connect(catalog_path) as connection:
        for table in tables:
            glob_path = os.path.join(os.path.abspath(table.location), *(["*"] * len(table.partition_keys)), "*.parquet")
            hive_types = ", ".join(f"'{key}': {key_type}" for key, key_type in table.partition_keys)
            options = f", hive_partitioning = true, hive_types = {{{hive_types}}}" if table.partition_keys else ""
            connection.execute(
                f'CREATE OR REPLACE VIEW "{table.name}" AS SELECT * '
                f'FROM read_parquet(\'{_quoted(glob_path)}\'{options})'
            )


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def glue_type(duckdb_type: str) -> str:
    """DuckDB's type names in the Glue console's (Hive) spelling."""
    if duckdb_type.endswith("[]"):
        return f"array<{glue_type(duckdb_type[:-2])}>"
    names = {"VARCHAR": "string", "INTEGER": "int", "BIGINT": "bigint", "BOOLEAN": "boolean", "DATE": "date",
             "DOUBLE": "double", "FLOAT": "float", "SMALLINT": "smallint", "TIMESTAMP": "timestamp"}
    return names.get(duckdb_type, duckdb_type.lower())


def describe(table: CatalogTable) -> str:
    """The table as the Glue console shows it: columns, partition keys, partitions."""
    lines = [f"Table {table.name}  ({table.location}, {table.files} Parquet files)"]
    width = max(len(name) for name, _ in table.columns + table.partition_keys)
    for name, column_type in table.columns:
        lines.append(f"  {name.ljust(width)}  {glue_type(column_type)}")
    for name, column_type in table.partition_keys:
        lines.append(f"  {name.ljust(width)}  {glue_type(column_type)}  (partition key)")
    if table.partition_keys:
        shown = ["/".join(values) for values in table.partitions]
        listing = ", ".join(shown) if len(shown) <= 12 else ", ".join(shown[:6] + ["..."] + shown[-5:])
        lines.append(f"  {len(table.partitions)} partitions: {listing}")
    return "\n".join(lines)
