"""The tracks table's columns as the QuickSight dataset declares them.

Derived from the Glue job's output schema (etl.contract.TRACKS_SCHEMA), the one place
the contract is written, so the dataset cannot drift from the table.
"""

from __future__ import annotations

from etl.contract import PARTITION_COLUMN, TRACKS_SCHEMA

# Spark type name -> QuickSight input column type.
QUICKSIGHT_TYPES = {
    "string": "STRING",
    "int": "INTEGER",
    "bigint": "INTEGER",
    "double": "DECIMAL",
    "boolean": "BOOLEAN",
    "date": "DATETIME",
}


def tracks_input_columns() -> dict[str, str]:
    """Column -> QuickSight type, in the table's order.

    QuickSight has no array type, so array columns (genres, artist_names) are
    left out. The crawler registers hive partition keys as strings, hence the
    partition column (release_year) is a STRING here.
    """
    columns = {}
    for field in TRACKS_SCHEMA.fields:
        if field.name == PARTITION_COLUMN:
            columns[field.name] = "STRING"
        elif field.dataType.typeName() != "array":
            columns[field.name] = QUICKSIGHT_TYPES[field.dataType.simpleString()]
    return columns


TRACKS_INPUT_COLUMNS = tracks_input_columns()
