"""Finding the input files of one layout and reading each as raw lines (parsed later, per row)."""

from __future__ import annotations

import csv
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.contract import CORRUPT_RECORD, AmbiguousInputError, MissingInputError
from etl.layouts import IGNORED_FILES, KAGGLE_LAYOUT, OPTIONAL_ROLES, ROLES, WORKSHOP_LAYOUT, SourceSpec
from etl.storage import path_exists, read_first_line


@dataclass(frozen=True)
class SourceFrame:
    spec: SourceSpec
    path: str
    file_columns: tuple[str, ...]
    frame: DataFrame  # one row per data line: _raw_line, _row_order


def parse_header(line: str | None, path: str) -> tuple[str, ...]:
    if line is None or not line.strip():
        raise MissingInputError(f"{path} is empty: expected a CSV header line")
    # Spreadsheet re-saves prepend a UTF-8 byte-order mark to the first column name.
    header = next(csv.reader([line.lstrip("\ufeff")]))
    return tuple(name.strip() for name in header)


def resolve_sources(spark: SparkSession, source_path: str) -> dict[str, tuple[SourceSpec, str]]:
    """Per role, the file of the one layout found in source_path (optional roles may be absent).

    Files of both layouts at once is an error: picking one would silently
    publish the other's rows (the sample re-uploaded next to a real download).
    """
    found = {
        layout: {
            role: f"{source_path}/{spec.file_name}"
            for role, spec in specs.items()
            if path_exists(spark, f"{source_path}/{spec.file_name}")
        }
        for layout, specs in (("workshop", WORKSHOP_LAYOUT), ("kaggle", KAGGLE_LAYOUT))
    }
    if found["workshop"] and found["kaggle"]:
        workshop = ", ".join(WORKSHOP_LAYOUT[role].file_name for role in found["workshop"])
        kaggle = ", ".join(KAGGLE_LAYOUT[role].file_name for role in found["kaggle"])
        raise AmbiguousInputError(
            f"{source_path} holds two input layouts at once: {workshop} (workshop sample) and {kaggle} "
            "(Kaggle download). Remove one set of files, or deploy with -c deploySampleData=false so the "
            "sample is not uploaded again"
        )
    layout = KAGGLE_LAYOUT if found["kaggle"] else WORKSHOP_LAYOUT
    paths = found["kaggle"] or found["workshop"]
    resolved = {}
    for role in ROLES:
        if role in paths:
            resolved[role] = (layout[role], paths[role])
        elif role not in OPTIONAL_ROLES:
            names = " or ".join(spec[role].file_name for spec in (WORKSHOP_LAYOUT, KAGGLE_LAYOUT))
            raise MissingInputError(f"missing input file for {role}: expected {names} in {source_path}")
    return resolved


def ignored_files(spark: SparkSession, source_path: str) -> dict[str, str]:
    return {name: why for name, why in IGNORED_FILES.items() if path_exists(spark, f"{source_path}/{name}")}


def csv_options() -> dict[str, str]:
    return {
        "mode": "PERMISSIVE",
        "columnNameOfCorruptRecord": CORRUPT_RECORD,
        "quote": '"',
        # Real data doubles quotes inside quoted fields; Spark's default escape
        # (a backslash) would shift columns on such rows.
        "escape": '"',
    }


def read_source(spark: SparkSession, spec: SourceSpec, path: str) -> SourceFrame:
    """The file's data lines as text: each row keeps its raw line, parsed later with from_csv.

    Reading lines (not Spark's CSV reader) is what keeps a quarantined row byte
    for byte: re-serializing parsed fields would change quoting and white space.
    Rows are one line each (no quoted line breaks), as with the CSV reader's
    default multiLine=false.
    """
    header = parse_header(read_first_line(spark, path), path)
    required = list(spec.columns.values())
    missing = [column for column in required if column not in header]
    if missing:
        raise MissingInputError(
            f"{path} is missing required column(s) {', '.join(missing)} (header has: {', '.join(header)})"
        )
    if len(set(header)) != len(header):
        raise MissingInputError(f"{path} has duplicate column names in its header: {', '.join(header)}")
    lines = spark.read.text(path).select(
        F.col("value").alias("_raw_line"), F.monotonically_increasing_id().alias("_row_order")
    )
    # The header is the first line of the split that starts the file (the low
    # 33 bits of monotonically_increasing_id are the row's index in its split).
    is_header = (F.input_file_block_start() == 0) & (F.col("_row_order").bitwiseAND((1 << 33) - 1) == 0)
    # An empty line is skipped (as the CSV reader does). Compared with '' rather
    # than by length, which counts the characters of every line: SF5 features
    # (600 MB) 0.5 vs 1.7 s.
    frame = lines.filter(~is_header & (F.col("_raw_line") != ""))
    return SourceFrame(spec=spec, path=path, file_columns=header, frame=frame)


def _ddl_name(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def parsed_fields(source: SourceFrame) -> Column:
    """The raw line parsed as a CSV row: every column a string, plus _corrupt_record.

    Types are applied later so that an unparseable value becomes a counted
    null instead of a silently corrupted row.
    """
    ddl = ", ".join(f"{_ddl_name(name)} STRING" for name in (*source.file_columns, CORRUPT_RECORD))
    return F.from_csv(F.col("_raw_line"), ddl, csv_options())
