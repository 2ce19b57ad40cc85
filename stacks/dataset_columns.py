"""The tables' columns as the QuickSight datasets declare them.

Derived from the Glue job's schemas (etl.contract.TRACKS_SCHEMA for tracks, etl.history.HISTORY_TABLES
for the run history), the one place each table is written down, so no dataset can drift from its table.
"""

from __future__ import annotations

from pyspark.sql import types as T

from etl.contract import PARTITION_COLUMN, TRACKS_SCHEMA, TRACKS_TABLE_DIR
from etl.history import HISTORY_PARTITION, HISTORY_TABLES

# Spark type name -> QuickSight input column type.
QUICKSIGHT_TYPES = {
    "string": "STRING",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "double": "DECIMAL",
    "boolean": "BOOLEAN",
    "date": "DATETIME",
    "timestamp": "DATETIME",
}
# The catalog registers hive partition keys as strings, whatever the folder names look like.
PARTITION_KEY_TYPE = "STRING"


def input_columns(schema: T.StructType, partition_key: str) -> dict[str, str]:
    """Column -> QuickSight type, in the table's order, the partition key last unless the schema has it.

    QuickSight has no array type, so array columns (the tracks' genres, artist_names) are left out.
    """
    columns = {}
    for field in schema.fields:
        if field.name == partition_key:
            columns[field.name] = PARTITION_KEY_TYPE
        elif field.dataType.typeName() != "array":
            columns[field.name] = QUICKSIGHT_TYPES[field.dataType.simpleString()]
    columns.setdefault(partition_key, PARTITION_KEY_TYPE)
    return columns


# tracks: release_year is in the contract's schema (the crawler lists it among the columns, as a string).
TRACKS_INPUT_COLUMNS = input_columns(TRACKS_SCHEMA, PARTITION_COLUMN)
# Each table's columns by its name, which is also its dataset's identifier in the dashboard's Definition.
INPUT_COLUMNS = {
    TRACKS_TABLE_DIR: TRACKS_INPUT_COLUMNS,
    **{table: input_columns(schema, HISTORY_PARTITION) for table, schema in HISTORY_TABLES.items()},
}
