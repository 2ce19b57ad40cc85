"""Spotify ETL: albums + artists + tracks (+ audio features) CSVs -> typed, partitioned Parquet.

The same file runs as the AWS Glue 5.1 job (Spark 3.5.6) and on local Spark:
`awsglue` is imported only inside the Glue entry point, so the transform can be
tested with plain pytest and run on a laptop.

Contract (the crawler, the Athena queries and the local runner rely on it):
  <TARGET_PATH>/tracks/release_year=YYYY/*.snappy.parquet  one row per valid track
  <TARGET_PATH>/run_summary.json                            the last run's counts
  <QUARANTINE_PATH>/source=<albums|artists|tracks|features>/ rejected raw lines + reason
Every input row is output, quarantined or a removed exact duplicate, and the
job checks that identity before it publishes anything.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import math
import os
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Sequence

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

SPOTIFY_ID_PATTERN = "^[0-9A-Za-z]{22}$"
TRACKS_TABLE_DIR = "tracks"
RUN_SUMMARY_FILE = "run_summary.json"
CORRUPT_RECORD = "_corrupt_record"

# Output contract: column -> Spark type. The one place the contract is written:
# the crawler reads these types from the Parquet footers, and the QuickSight
# dataset (stacks/dataset_columns.py), the local tests and the README follow
# it. release_year is the hive partition (a folder, not a column in the files).
TRACKS_SCHEMA = T.StructType(
    [
        T.StructField("track_id", T.StringType(), False),
        T.StructField("track_name", T.StringType()),
        T.StructField("track_number", T.IntegerType()),
        T.StructField("duration_ms", T.IntegerType()),
        T.StructField("track_popularity", T.IntegerType()),
        T.StructField("explicit", T.BooleanType()),
        T.StructField("album_id", T.StringType()),
        T.StructField("album_name", T.StringType()),
        T.StructField("album_type", T.StringType()),
        T.StructField("total_tracks", T.IntegerType()),
        T.StructField("label", T.StringType()),
        T.StructField("album_popularity", T.IntegerType()),
        T.StructField("release_date", T.DateType()),
        T.StructField("release_date_precision", T.StringType()),
        T.StructField("artist_id", T.StringType()),
        T.StructField("artist_name", T.StringType()),
        T.StructField("artist_names", T.ArrayType(T.StringType())),
        T.StructField("artist_popularity", T.IntegerType()),
        T.StructField("followers", T.LongType()),
        T.StructField("genre", T.StringType()),
        T.StructField("genres", T.ArrayType(T.StringType())),
        # Audio features (optional input file): null when the file is not given.
        T.StructField("danceability", T.DoubleType()),
        T.StructField("energy", T.DoubleType()),
        T.StructField("key", T.IntegerType()),
        T.StructField("loudness", T.DoubleType()),
        T.StructField("mode", T.IntegerType()),
        T.StructField("speechiness", T.DoubleType()),
        T.StructField("acousticness", T.DoubleType()),
        T.StructField("instrumentalness", T.DoubleType()),
        T.StructField("liveness", T.DoubleType()),
        T.StructField("valence", T.DoubleType()),
        T.StructField("tempo", T.DoubleType()),
        T.StructField("time_signature", T.IntegerType()),
        T.StructField("release_year", T.IntegerType()),
    ]
)
PARTITION_COLUMN = "release_year"

# Audio feature columns: (lowest, highest) accepted value as Spotify documents
# them; a value outside is nulled and counted. `key` -1 means "no key detected"
# and becomes null without being counted.
AUDIO_FEATURE_RANGES = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "key": (-1, 11),
    "loudness": (-60.0, 0.0),
    "mode": (0, 1),
    "speechiness": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "tempo": (0.0, None),  # beats per minute: no documented upper bound
    "time_signature": (3, 7),
}
AUDIO_FEATURES = tuple(AUDIO_FEATURE_RANGES)

QUARANTINE_COLUMNS = ("source", "source_file", "reason", "raw_record", "run_id")


class EtlError(Exception):
    """An expected failure: bad input or a failed gate. Printed without a traceback."""


class MissingInputError(EtlError):
    pass


class AmbiguousInputError(EtlError):
    """Files of both input layouts in one staging folder."""


class DataQualityError(EtlError):
    pass


class ConfigurationError(EtlError):
    pass


# ---------------------------------------------------------------------------
# Input layouts
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceSpec:
    """One input role (albums, artists, tracks, features) in one file layout.

    `columns` maps our canonical name to the file's column name; every one of
    them must be in the header. `optional_columns` are read when present (null
    otherwise); `genre_columns` and `artist_name_columns` (Kaggle layout) are
    lists spread over numbered columns, empty cells meaning "none".
    """

    role: str
    file_name: str
    key: str
    columns: dict[str, str]
    optional_columns: dict[str, str] = field(default_factory=dict)
    genre_columns: tuple[str, ...] = ()
    artist_name_columns: tuple[str, ...] = ()


_ALBUM_COLUMNS = {
    name: name
    for name in (
        "track_name",
        "track_id",
        "duration_ms",
        "album_name",
        "release_date",
        "label",
        "album_popularity",
        "album_id",
        "artist_id",
    )
}
_ALBUM_DETAIL_COLUMNS = {name: name for name in ("album_type", "total_tracks", "track_number")}
# The audio features file has the same columns in both layouts; `id` is the track id.
_FEATURE_COLUMNS = {"track_id": "id", **{name: name for name in AUDIO_FEATURES}}

WORKSHOP_LAYOUT = {
    "albums": SourceSpec(
        "albums", "albums.csv", "track_id", _ALBUM_COLUMNS, optional_columns=_ALBUM_DETAIL_COLUMNS
    ),
    "artists": SourceSpec(
        "artists",
        "artists.csv",
        "artist_id",
        {
            "artist_id": "id",
            "artist_name": "name",
            "artist_popularity": "artist_popularity",
            "followers": "followers",
            "genre": "genre",
        },
    ),
    "tracks": SourceSpec(
        "tracks",
        "track.csv",
        "track_id",
        {"track_id": "track_id", "track_popularity": "track_popularity"},
        optional_columns={"explicit": "explicit"},
    ),
    "features": SourceSpec("features", "features.csv", "track_id", _FEATURE_COLUMNS),
}

# The unchanged Kaggle "Spotify Dataset 2023" download.
KAGGLE_LAYOUT = {
    "albums": SourceSpec(
        "albums",
        "spotify-albums_data_2023.csv",
        "track_id",
        {**_ALBUM_COLUMNS, **_ALBUM_DETAIL_COLUMNS},
        artist_name_columns=tuple(f"artist_{i}" for i in range(12)),
    ),
    "artists": SourceSpec(
        "artists",
        "spotify_artist_data_2023.csv",
        "artist_id",
        {
            "artist_id": "id",
            "artist_name": "name",
            "artist_popularity": "artist_popularity",
            "followers": "followers",
        },
        genre_columns=tuple(f"genre_{i}" for i in range(7)),
    ),
    "tracks": SourceSpec(
        "tracks",
        "spotify_tracks_data_2023.csv",
        "track_id",
        {"track_id": "id", "track_popularity": "track_popularity"},
        optional_columns={"explicit": "explicit"},
    ),
    "features": SourceSpec("features", "spotify_features_data_2023.csv", "track_id", _FEATURE_COLUMNS),
}

ROLES = ("albums", "artists", "tracks", "features")
OPTIONAL_ROLES = ("features",)
# Part of the Kaggle download, but a pre-joined copy of the other files:
# reading it as well would count every track twice.
IGNORED_FILES = {
    "spotify_data_12_20_2023.csv": "a pre-joined copy of the albums, artists, tracks and features files; not read",
}


@dataclass(frozen=True)
class EtlConfig:
    source_path: str
    target_path: str
    quarantine_path: str
    job_name: str = "local"
    min_output_rows: int = 1
    max_quarantine_rate: float = 0.05
    max_orphan_artist_rate: float = 0.10
    max_orphan_track_rate: float = 0.10
    max_orphan_feature_rate: float = 0.10


# Optional job arguments: name -> (EtlConfig field, parser, description)
THRESHOLD_ARGUMENTS = {
    "MIN_OUTPUT_ROWS": ("min_output_rows", int, "a whole number >= 0"),
    "MAX_QUARANTINE_RATE": ("max_quarantine_rate", float, "a fraction between 0 and 1"),
    "MAX_ORPHAN_ARTIST_RATE": ("max_orphan_artist_rate", float, "a fraction between 0 and 1"),
    "MAX_ORPHAN_TRACK_RATE": ("max_orphan_track_rate", float, "a fraction between 0 and 1"),
    "MAX_ORPHAN_FEATURE_RATE": ("max_orphan_feature_rate", float, "a fraction between 0 and 1"),
}
REQUIRED_ARGUMENTS = ("JOB_NAME", "SOURCE_PATH", "TARGET_PATH", "QUARANTINE_PATH")


def build_config(arguments: dict[str, str]) -> EtlConfig:
    """Validate resolved job arguments (names without the leading --)."""
    missing = [name for name in REQUIRED_ARGUMENTS if not arguments.get(name)]
    if missing:
        raise ConfigurationError("missing job argument(s): " + ", ".join(f"--{m}" for m in missing))
    values: dict[str, object] = {}
    for name, (attribute, parse, accepted) in THRESHOLD_ARGUMENTS.items():
        raw = arguments.get(name)
        if raw is None:
            continue
        try:
            value = parse(raw)
        except ValueError:
            raise ConfigurationError(f"--{name}={raw!r} is invalid: expected {accepted}") from None
        in_range = value >= 0 if parse is int else 0.0 <= value <= 1.0
        if not in_range or (isinstance(value, float) and math.isnan(value)):
            raise ConfigurationError(f"--{name}={raw!r} is invalid: expected {accepted}")
        values[attribute] = value
    return EtlConfig(
        source_path=arguments["SOURCE_PATH"].rstrip("/"),
        target_path=arguments["TARGET_PATH"].rstrip("/"),
        quarantine_path=arguments["QUARANTINE_PATH"].rstrip("/"),
        job_name=arguments["JOB_NAME"],
        **values,
    )


# ---------------------------------------------------------------------------
# File system helpers (Hadoop FS, so the same calls work on s3:// and local)
# ---------------------------------------------------------------------------


def _hadoop_path(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def path_exists(spark: SparkSession, path: str) -> bool:
    hadoop_path, fs = _hadoop_path(spark, path)
    return bool(fs.exists(hadoop_path))


def path_size(spark: SparkSession, path: str) -> int:
    hadoop_path, fs = _hadoop_path(spark, path)
    return int(fs.getContentSummary(hadoop_path).getLength())


def read_first_line(spark: SparkSession, path: str) -> str | None:
    hadoop_path, fs = _hadoop_path(spark, path)
    jvm = spark.sparkContext._jvm
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(fs.open(hadoop_path), "UTF-8"))
    try:
        return reader.readLine()
    finally:
        reader.close()


def write_text(spark: SparkSession, path: str, text: str) -> None:
    hadoop_path, fs = _hadoop_path(spark, path)
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------
# Pure transforms
# ---------------------------------------------------------------------------


def classify_rows(source: SourceFrame) -> DataFrame:
    """Tag every input row: valid, duplicate (exact copy of an earlier row) or quarantined.

    Adds `_status`, `_reason` and `_raw_record` (the raw line, only for
    quarantined rows) and the canonical columns of the spec. Keeps the first
    row per key in file order.
    """
    spec = source.spec
    key_column = spec.columns[spec.key]
    field_names = [name for name in source.file_columns]
    field = lambda name: F.col("_fields").getField(name)  # noqa: E731
    malformed = field(CORRUPT_RECORD).isNotNull()
    bad_key = ~F.coalesce(field(key_column).rlike(SPOTIFY_ID_PATTERN), F.lit(False))
    key_reason = f"invalid_{spec.key}: not a 22-character base62 Spotify id"
    field_reason = f"malformed_row: field count differs from the header ({len(source.file_columns)} fields)"
    reason = F.when(malformed, F.lit(field_reason)).when(bad_key, F.lit(key_reason))

    # The parsed fields cross the shuffle beside the raw line: parsing each
    # line once and shuffling more bytes costs less than parsing it again
    # after the shuffle (SF5 event logs, task time: 126.5-130.9 vs 135.2-136.8 s).
    # One shuffle and one sort serve both windows: rows sorted by (key, content
    # hash, file order) give each exact copy its rank, and, being clustered by
    # key, the first row of each key without sorting again. Rows are compared
    # by a 64-bit hash of all their fields, which sorts far faster than the fields.
    by_content = Window.partitionBy("_key", "_content_hash").orderBy("_row_order")
    # Ordered like by_content (with a whole-partition frame) so that both
    # windows need the same single sort, in whichever order Spark plans them.
    by_key = (
        Window.partitionBy("_key")
        .orderBy("_content_hash", "_row_order")
        .rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    )
    ranked = (
        source.frame.withColumn("_fields", parsed_fields(source))
        .select(
            "_raw_line",
            "_row_order",
            "_fields",
            reason.alias("_reason"),
            F.when(reason.isNull(), field(key_column)).alias("_key"),
            F.xxhash64(*[field(name) for name in field_names]).alias("_content_hash"),
        )
        .repartition("_key")
        .withColumns(
            {
                "_copy_rank": F.row_number().over(by_content),
                "_first_of_key": F.min("_row_order").over(by_key),
            }
        )
    )
    later_row_of_key = F.col("_row_order") != F.col("_first_of_key")
    status = (
        F.when(F.col("_reason").isNotNull(), F.lit("quarantined"))
        .when(F.col("_copy_rank") > 1, F.lit("duplicate"))
        .when(later_row_of_key, F.lit("quarantined"))
        .otherwise(F.lit("valid"))
    )
    final_reason = F.when(
        F.col("_reason").isNull() & (F.col("_copy_rank") == 1) & later_row_of_key,
        F.lit(f"conflicting_{spec.key}: differs from an earlier row with the same {spec.key}"),
    ).otherwise(F.col("_reason"))

    def column_or_null(file_name: str) -> Column:
        return field(file_name) if file_name in source.file_columns else F.lit(None).cast("string")

    canonical = [field(file_name).alias(name) for name, file_name in spec.columns.items()]
    optional = [column_or_null(file_name).alias(name) for name, file_name in spec.optional_columns.items()]
    listed = [column_or_null(name).alias(name) for name in (*spec.genre_columns, *spec.artist_name_columns)]
    # Both read the ranked row (withColumns sets them at once).
    classified = ranked.withColumns({"_status": status, "_reason": final_reason})
    return classified.select(
        *canonical,
        *optional,
        *listed,
        "_status",
        "_reason",
        "_row_order",
        # The shuffle key: the id of a row that passed the id check. The joins
        # use it so that they reuse this shuffle instead of adding their own.
        "_key",
        F.when(F.col("_status") == "quarantined", F.col("_raw_line")).alias("_raw_record"),
    )


# Typing: every expression below is a Spark built-in (no Python UDFs), and
# try_cast keeps results identical with spark.sql.ansi.enabled on or off.


def whole_number_sql(column: str, sql_type: str) -> str:
    """'42', ' 42 ', '42.0', '4.2e1' -> 42; 'N/A', '4.5', '' or out of range -> null.

    Plain integers take the fast path (a direct cast); only the rest pay for
    the exact decimal parse.
    """
    value = f"trim(`{column}`)"
    as_decimal = f"try_cast({value} AS DECIMAL(38, 6))"
    exact = f"CASE WHEN {as_decimal} = floor({as_decimal}) THEN try_cast({as_decimal} AS {sql_type}) END"
    return f"coalesce(try_cast({value} AS {sql_type}), {exact})"


def boolean_sql(column: str) -> str:
    value = f"lower(trim(`{column}`))"
    return (
        f"CASE WHEN {value} IN ('true', 't', '1', 'yes') THEN true "
        f"WHEN {value} IN ('false', 'f', '0', 'no') THEN false END"
    )


# 2015 | 2015-06 | 2015-06-09, optionally followed by a time of day and a zone
# ("2015-06-09 00:00:00 UTC"). No backslashes: the pattern goes into Spark SQL.
RELEASE_DATE_PATTERN = (
    "^([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?"
    "(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]+)?)?)?"
    " *(?:UTC|Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
PLAIN_DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def with_release_date(frame: DataFrame, column: str) -> DataFrame:
    """Add release_date (date), release_date_precision and release_year from a raw string column."""
    value = f"trim(`{column}`)"
    # Nearly every value is a plain yyyy-MM-dd: its parts are fixed substrings,
    # so only the rest pay for three matches of the full pattern.
    part = lambda n, start, length: (  # noqa: E731
        f"CASE WHEN _plain_date THEN substr({value}, {start}, {length}) "
        f"ELSE regexp_extract({value}, '{RELEASE_DATE_PATTERN}', {n}) END"
    )
    dated = (
        frame.withColumn("_plain_date", F.expr(f"{value} rlike '{PLAIN_DATE_PATTERN}'"))
        .withColumns(
            {
                "_date_year": F.expr(part(1, 1, 4)),
                "_date_month": F.expr(part(2, 6, 2)),
                "_date_day": F.expr(part(3, 9, 2)),
            }
        )
        .withColumn(
            "release_date",
            # A string such as 2015-02-30 matches the pattern but is no date: null, counted.
            F.expr(
                "CASE WHEN _date_year != '' THEN try_cast(concat_ws('-', _date_year, "
                "lpad(CASE WHEN _date_month = '' THEN '1' ELSE _date_month END, 2, '0'), "
                "lpad(CASE WHEN _date_day = '' THEN '1' ELSE _date_day END, 2, '0')) AS DATE) END"
            ),
        )
    )
    precision = F.expr(
        "CASE WHEN release_date IS NULL THEN NULL WHEN _date_month = '' THEN 'year' "
        "WHEN _date_day = '' THEN 'month' ELSE 'day' END"
    )
    return dated.select(
        *frame.columns,
        "release_date",
        precision.alias("release_date_precision"),
        F.year("release_date").alias("release_year"),
    )


def _present(column: str) -> Column:
    return F.col(column).isNotNull() & (F.trim(F.col(column)) != "")


def with_typed_columns(
    frame: DataFrame,
    typed: dict[str, str],
    ranges: dict[str, tuple[float | None, float | None]] | None = None,
    no_value: dict[str, int] | None = None,
    finite: Sequence[str] = (),
) -> DataFrame:
    """Replace raw string columns by typed ones; flag what could not be kept.

    typed maps column -> SQL expression over the raw column. The flag column
    `_unparseable__<column>` is 1 when the raw value was present and parsed to
    null (or, for `finite` columns, to NaN or infinity); `_out_of_range__<column>`
    is 1 when it parsed but lies outside its (lowest, highest) range, and is
    then nulled. A `no_value` marker (Spotify's key -1) becomes null without a
    flag. Each value is parsed once, in its own projection: the flags and the
    range check then read the parsed column instead of repeating the parse.
    """
    ranges, no_value = ranges or {}, no_value or {}
    parsed = frame.withColumns({f"_typed__{column}": F.expr(expression) for column, expression in typed.items()})
    flags: dict[str, Column] = {}
    values: dict[str, Column] = {}
    for column in typed:
        value = F.col(f"_typed__{column}")
        if column in finite:
            value = F.when(~F.isnan(value) & (F.abs(value) != float("inf")), value)
        flags[f"_unparseable__{column}"] = (_present(column) & value.isNull()).cast("int")
        if column in ranges:
            lowest, highest = ranges[column]
            inside = F.lit(True)
            if lowest is not None:
                inside = inside & (value >= lowest)
            if highest is not None:
                inside = inside & (value <= highest)
            flags[f"_out_of_range__{column}"] = (value.isNotNull() & ~inside).cast("int")
            value = F.when(inside, value)
        if column in no_value:
            value = F.when(value != no_value[column], value)
        values[column] = value
    # One projection (each DataFrame step is analysed again on the driver).
    kept = [values[c].alias(c) if c in values else F.col(c) for c in frame.columns]
    return parsed.select(*kept, *[flag.alias(name) for name, flag in flags.items()])


def _non_empty_list(columns: Sequence[str]) -> Column:
    """The non-empty cells of numbered columns (genre_0.., artist_0..) as an array, in order."""
    listed = ", ".join(f"`{name}`" for name in columns)
    return F.expr(f"filter(array({listed}), v -> v IS NOT NULL AND trim(v) != '')")


def type_albums(classified: DataFrame, spec: SourceSpec) -> DataFrame:
    raw = classified.withColumnRenamed("release_date", "_raw_release_date")
    dated = with_release_date(raw, "_raw_release_date")
    if spec.artist_name_columns:
        # Kaggle layout: artist_0..artist_11 are the credited artists' names.
        artist_names = _non_empty_list(spec.artist_name_columns)
    else:
        # Workshop layout: the joined artist's name alone (set after the join).
        artist_names = F.lit(None).cast("array<string>")
    dropped = {"_raw_release_date", *spec.artist_name_columns}
    unparseable_date = _present("_raw_release_date") & F.col("release_date").isNull()
    dated = dated.select(
        *[c for c in dated.columns if c not in dropped],
        unparseable_date.cast("int").alias("_unparseable__release_date"),
        artist_names.alias("artist_names"),
    )
    return with_typed_columns(
        dated,
        {
            "duration_ms": whole_number_sql("duration_ms", "INT"),
            "album_popularity": whole_number_sql("album_popularity", "INT"),
            "total_tracks": whole_number_sql("total_tracks", "INT"),
            "track_number": whole_number_sql("track_number", "INT"),
        },
        ranges={"total_tracks": (1, None), "track_number": (1, None)},
    )


def type_artists(classified: DataFrame, spec: SourceSpec) -> DataFrame:
    if spec.genre_columns:
        # Kaggle layout: genre_0..genre_6, empty cells dropped; genre is the first one.
        with_genres = classified.withColumn("genres", _non_empty_list(spec.genre_columns))
        with_genres = with_genres.withColumn("genre", F.expr("get(genres, 0)")).drop(*spec.genre_columns)
    else:
        with_genres = classified.withColumn(
            "genres",
            F.when(_present("genre"), F.array(F.col("genre"))).otherwise(F.array().cast("array<string>")),
        )
    return with_typed_columns(
        with_genres,
        {
            "artist_popularity": whole_number_sql("artist_popularity", "INT"),
            "followers": whole_number_sql("followers", "BIGINT"),
        },
    )


def type_tracks(classified: DataFrame, spec: SourceSpec) -> DataFrame:
    return with_typed_columns(
        classified,
        {
            "track_popularity": whole_number_sql("track_popularity", "INT"),
            "explicit": boolean_sql("explicit"),
        },
    )


def decimal_sql(column: str) -> str:
    """'0.52', ' 0.52 ', '5.2e-1' -> 0.52; 'N/A', '' -> null ('NaN', 'Infinity': see `finite`)."""
    return f"try_cast(trim(`{column}`) AS DOUBLE)"


INTEGER_FEATURES = ("key", "mode", "time_signature")


def type_features(classified: DataFrame, spec: SourceSpec) -> DataFrame:
    typed = {
        name: whole_number_sql(name, "INT") if name in INTEGER_FEATURES else decimal_sql(name)
        for name in AUDIO_FEATURES
    }
    decimals = [name for name in AUDIO_FEATURES if name not in INTEGER_FEATURES]
    return with_typed_columns(
        classified, typed, ranges=AUDIO_FEATURE_RANGES, no_value={"key": -1}, finite=decimals
    )


def enrich_albums(albums: DataFrame, artists: DataFrame, tracks: DataFrame, features: DataFrame | None) -> DataFrame:
    """LEFT JOIN album-track rows to the valid artists, tracks and audio features; flag orphans.

    Every album row is kept (whatever its status) so that one frame serves
    the counts and the published table. Without a
    features file the feature columns are null and no row is a feature orphan.
    """
    artist_dim = artists.filter(F.col("_status") == "valid").select(
        F.col("_key").alias("_artist_key"),
        "artist_name",
        "artist_popularity",
        "followers",
        "genre",
        "genres",
        F.lit(True).alias("_artist_found"),
    )
    # Valid rows have _key = track_id, and every classified frame is already
    # hash-partitioned by _key into the same number of partitions: joining on
    # _key needs no further shuffle of albums, tracks or features.
    track_dim = tracks.filter(F.col("_status") == "valid").select(
        F.col("_key").alias("_track_key"),
        "track_popularity",
        "explicit",
        F.lit(True).alias("_track_found"),
    )
    # The artist table is small (37k rows in the real data): broadcast it, which
    # also keeps the album rows' partitioning.
    joined = albums.join(F.broadcast(artist_dim), F.col("artist_id") == F.col("_artist_key"), "left").join(
        track_dim, F.col("_key") == F.col("_track_key"), "left"
    )
    if features is not None:
        feature_dim = features.filter(F.col("_status") == "valid").select(
            F.col("_key").alias("_feature_key"), *AUDIO_FEATURES, F.lit(True).alias("_feature_found")
        )
        joined = joined.join(feature_dim, F.col("_key") == F.col("_feature_key"), "left")
        orphan_feature = F.col("_feature_found").isNull().cast("int")
    else:
        field_types = {f.name: f.dataType for f in TRACKS_SCHEMA.fields}
        joined = joined.withColumns({name: F.lit(None).cast(field_types[name]) for name in AUDIO_FEATURES})
        orphan_feature = F.lit(0)
    # Workshop layout: the album file names no artists, so the list is the joined artist's name.
    own_name = F.when(_present("artist_name"), F.array("artist_name")).otherwise(F.array().cast("array<string>"))
    return joined.withColumns(
        {
            "artist_names": F.coalesce(F.col("artist_names"), own_name),
            "_orphan_artist": F.col("_artist_found").isNull().cast("int"),
            "_orphan_track": F.col("_track_found").isNull().cast("int"),
            "_orphan_feature": orphan_feature,
        }
    ).drop("_artist_key", "_track_key", "_feature_key", "_artist_found", "_track_found", "_feature_found")


def published_tracks(enriched: DataFrame) -> DataFrame:
    """The valid rows in the contract's column order and types."""
    return enriched.filter(F.col("_status") == "valid").select(
        *[F.col(f.name).cast(f.dataType).alias(f.name) for f in TRACKS_SCHEMA.fields]
    )


def quarantined_rows(frame: DataFrame, source: str, source_file: str, run_id: str) -> DataFrame:
    return frame.filter(F.col("_status") == "quarantined").select(
        F.lit(source).alias("source"),
        F.lit(source_file).alias("source_file"),
        F.col("_reason").alias("reason"),
        F.col("_raw_record").alias("raw_record"),
        F.lit(run_id).alias("run_id"),
    )


# ---------------------------------------------------------------------------
# Counts, accounting and data-quality gates (plain Python over small results)
# ---------------------------------------------------------------------------


UNPARSEABLE_FLAG = "_unparseable__"
OUT_OF_RANGE_FLAG = "_out_of_range__"


FLAG_BITS = "_flag_bits"
ORPHAN_FLAGS = ("_orphan_artist", "_orphan_track", "_orphan_feature")


def pack_flags(frame: DataFrame) -> tuple[DataFrame, list[str]]:
    """Fold the 0/1 flag columns into one bit mask before caching.

    Caching builds and compresses every column; one long instead of up to 27
    int columns (12 features x 2 flags) makes the cache far cheaper. Returns
    the frame and the flag names in bit order.
    """
    names = [c for c in frame.columns if c.startswith((UNPARSEABLE_FLAG, OUT_OF_RANGE_FLAG)) or c in ORPHAN_FLAGS]
    if len(names) > 63:
        raise AssertionError(f"too many flags for one bit mask: {names}")
    mask = F.lit(0).cast("long")
    for bit, name in enumerate(names):
        mask = mask.bitwiseOR(F.shiftleft(F.coalesce(F.col(name), F.lit(0)).cast("long"), bit))
    return frame.select(*[F.col(c) for c in frame.columns if c not in names], mask.alias(FLAG_BITS)), names


def count_query(frame: DataFrame, role: str, flags: Sequence[str]) -> DataFrame:
    """Rows per status and reason, with each flag summed over valid rows, tagged with the role."""
    valid = F.col("_status") == "valid"

    def flag_sum(bit: int, name: str) -> Column:
        # Flags count valid rows only: a quarantined row's values are not published.
        return F.sum(F.when(valid, F.shiftright(FLAG_BITS, bit).bitwiseAND(1)).otherwise(0)).alias(name)

    return frame.groupBy("_status", "_reason").agg(
        F.count(F.lit(1)).alias("rows"),
        F.to_json(F.struct(*[flag_sum(bit, name) for bit, name in enumerate(flags)])).alias("flags"),
    ).select(F.lit(role).alias("role"), "_status", "_reason", "rows", "flags")


def file_counts(rows: Sequence, spec: SourceSpec, path: str) -> dict:
    """The per-file accounting from the rows of count_query."""
    by_status = {"valid": 0, "duplicate": 0, "quarantined": 0}
    reasons: dict[str, int] = {}
    flag_totals: dict[str, int] = {}
    for row in rows:
        by_status[row["_status"]] += row["rows"]
        if row["_status"] == "quarantined":
            reasons[row["_reason"]] = reasons.get(row["_reason"], 0) + row["rows"]
        for name, value in json.loads(row["flags"]).items():
            flag_totals[name] = flag_totals.get(name, 0) + (value or 0)
    input_rows = sum(by_status.values())
    counts = {
        "file": path,
        "layout_file_name": spec.file_name,
        "input_rows": input_rows,
        "kept_rows": by_status["valid"],
        "quarantined_rows": by_status["quarantined"],
        "duplicate_rows_removed": by_status["duplicate"],
        "quarantine_reasons": dict(sorted(reasons.items())),
        "unparseable_values": {
            c.removeprefix(UNPARSEABLE_FLAG): n for c, n in flag_totals.items() if c.startswith(UNPARSEABLE_FLAG)
        },
    }
    out_of_range = {
        c.removeprefix(OUT_OF_RANGE_FLAG): n for c, n in flag_totals.items() if c.startswith(OUT_OF_RANGE_FLAG)
    }
    if out_of_range:
        counts["out_of_range_values"] = out_of_range
    counts["_flags"] = {c: n for c, n in flag_totals.items() if not c.startswith((UNPARSEABLE_FLAG, OUT_OF_RANGE_FLAG))}
    return counts


def _rate(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 6) if denominator else 0.0


def build_summary(
    config: EtlConfig, run_id: str, files: dict[str, dict], not_given: dict[str, str], ignored: dict[str, str]
) -> dict:
    albums = files["albums"]
    output_rows = albums["kept_rows"]
    flags = albums["_flags"]
    for counts in files.values():
        counts.pop("_flags", None)
        total = counts["kept_rows"] + counts["quarantined_rows"] + counts["duplicate_rows_removed"]
        if total != counts["input_rows"]:  # an internal bug, never bad data
            raise AssertionError(f"accounting broken for {counts['file']}: {counts}")
    orphans = {}
    for kind in ("artist", "track", "feature"):
        if kind == "feature" and "features" not in files:
            continue
        orphans[f"{kind}_rows"] = flags[f"_orphan_{kind}"]
        orphans[f"{kind}_rate"] = _rate(flags[f"_orphan_{kind}"], output_rows)
    return {
        "job": "spotify_etl",
        "job_name": config.job_name,
        "run_id": run_id,
        "source_path": config.source_path,
        "target_path": config.target_path,
        "quarantine_path": config.quarantine_path,
        "input_rows": albums["input_rows"],
        "output_rows": output_rows,
        "quarantined_rows": albums["quarantined_rows"],
        "duplicate_rows_removed": albums["duplicate_rows_removed"],
        "accounting": (
            f"{albums['input_rows']} input = {output_rows} output + {albums['quarantined_rows']} quarantined"
            f" + {albums['duplicate_rows_removed']} duplicates"
        ),
        "orphans": orphans,
        "files": files,
        "files_not_given": not_given,
        "files_ignored": ignored,
    }


def evaluate_gates(summary: dict, config: EtlConfig) -> list[dict]:
    """Each gate: name, threshold, measured value, passed, and a message naming both."""
    gates = []
    output_rows = summary["output_rows"]
    gates.append(
        {
            "name": "min_output_rows",
            "threshold": config.min_output_rows,
            "measured": output_rows,
            "passed": output_rows >= config.min_output_rows,
            "message": f"{output_rows} output rows (minimum {config.min_output_rows})",
        }
    )
    worst_role, worst = max(
        ((role, counts) for role, counts in summary["files"].items()),
        key=lambda item: _rate(item[1]["quarantined_rows"], item[1]["input_rows"]),
    )
    worst_rate = _rate(worst["quarantined_rows"], worst["input_rows"])
    gates.append(
        {
            "name": "max_quarantine_rate",
            "threshold": config.max_quarantine_rate,
            "measured": worst_rate,
            "passed": worst_rate <= config.max_quarantine_rate,
            "message": (
                f"{worst['file']} quarantined {worst_rate:.2%} of its rows ({worst['quarantined_rows']} of "
                f"{worst['input_rows']}; maximum {config.max_quarantine_rate:.2%})"
            ),
        }
    )
    thresholds = {
        "artist": config.max_orphan_artist_rate,
        "track": config.max_orphan_track_rate,
        "feature": config.max_orphan_feature_rate,
    }
    for kind, threshold in thresholds.items():
        if f"{kind}_rate" not in summary["orphans"]:
            continue  # no features file: nothing to match against
        rate = summary["orphans"][f"{kind}_rate"]
        gates.append(
            {
                "name": f"max_orphan_{kind}_rate",
                "threshold": threshold,
                "measured": rate,
                "passed": rate <= threshold,
                "message": (
                    f"{rate:.2%} of output rows have no matching {kind} ({summary['orphans'][f'{kind}_rows']} of "
                    f"{output_rows}; maximum {threshold:.2%})"
                ),
            }
        )
    return gates


def failed_gates_message(gates: list[dict]) -> str:
    failed = [g for g in gates if not g["passed"]]
    return "; ".join(f"data-quality gate {g['name']} failed: {g['message']}" for g in failed)


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


# HotSpot never JIT-compiles a method over 8000 bytecodes: whole-stage code
# that large (typing the wide albums and features rows) runs interpreted, 4-5x
# slower. With this limit Spark splits such stages instead (Spark's own advice
# for HotSpot; measured: typing 440k feature rows 6.1 s -> 1.1 s).
HOTSPOT_HUGE_METHOD_LIMIT = "8000"

# Below this much input (the workshop sample is 1.3 MB), compiling code costs
# more than it saves: Spark evaluates expressions interpreted (no Janino
# compiles) and a local JVM stops its JIT at C1. Measured on the sample's
# transform: 16 s -> 10 s together with the class archive below.
SMALL_INPUT_BYTES = 32 * 2**20
# Local runs only: a JVM class-data archive (AppCDS) that `make` writes once
# after installing Spark; loading Spark's classes from it saves ~1.5 s of start-up.
# JDK 17 crashes (SIGSEGV in check_shared_class_file_load_hook) when a Java
# agent or Flight Recorder runs with it: profile with the variable set empty.
CLASS_ARCHIVE_VARIABLE = "SPOTIFY_ETL_CLASS_ARCHIVE"
# Extra JVM options for local runs, e.g. Flight Recorder to profile the job.
JAVA_OPTIONS_VARIABLE = "SPOTIFY_ETL_JAVA_OPTIONS"


def shuffle_partitions_for(input_bytes: int, parallelism: int) -> int:
    """About 128 MB of CSV per shuffle partition, never fewer than the cores.

    Locally fewer, larger partitions cost less than many small ones (SF5 on 2
    cores, paired: 8 partitions 77.6-78.1 s, 16 partitions 79.2-79.3 s, 4
    partitions 85.0-87.5 s); on Glue the cores decide up to 128 MB x cores of input.
    """
    return max(parallelism, min(400, math.ceil(input_bytes / (128 * 1024 * 1024))))


def log(message: str) -> None:
    print(f"[spotify_etl] {message}", flush=True)


# The caches live on local disk, not in the JVM heap: read back through the
# OS page cache they cost no garbage collection, and a large input does not
# evict them half-built (SF5: GC 10.1 -> 3.4 CPU-s, 104 -> 96 s, peak RSS
# 2.6 -> 1.6 GB; SF1 unchanged). On Glue they go where the shuffle files go.
CACHE_LEVEL = StorageLevel.DISK_ONLY
# Building the compressed column batches (Spark tries every encoding on every
# column) cost more than reading back the larger uncompressed ones: paired SF5
# runs 119 and 127 s uncompressed vs 126 and 142 s compressed.
CACHE_COMPRESSED = False
TYPERS = {"artists": type_artists, "tracks": type_tracks, "features": type_features}


def configure_session(spark: SparkSession, sources: dict[str, tuple[SourceSpec, str]]) -> None:
    """Settings sized to these input files, set by the job itself so that they apply on Glue too."""
    input_bytes = sum(path_size(spark, path) for _, path in sources.values())
    spark.conf.set(
        "spark.sql.shuffle.partitions",
        str(shuffle_partitions_for(input_bytes, spark.sparkContext.defaultParallelism)),
    )
    spark.conf.set("spark.sql.adaptive.enabled", "true")
    # Cached plans keep their hash partitioning by _key (AQE may not re-plan
    # it away), so the joins on _key reuse the classification's shuffle.
    spark.conf.set("spark.sql.optimizer.canChangeCachedPlanOutputPartitioning", "false")
    spark.conf.set("spark.sql.codegen.hugeMethodLimit", HOTSPOT_HUGE_METHOD_LIMIT)
    spark.conf.set("spark.sql.inMemoryColumnarStorage.compressed", str(CACHE_COMPRESSED).lower())
    small_input = input_bytes < SMALL_INPUT_BYTES
    spark.conf.set("spark.sql.codegen.wholeStage", str(not small_input).lower())
    spark.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN" if small_input else "FALLBACK")


def validated_frames(
    frames: dict[str, SourceFrame], cache_level: StorageLevel | None
) -> tuple[DataFrame, dict[str, DataFrame], dict[str, list[str]]]:
    """Every input row classified and typed, and the album rows LEFT-joined to the valid dimensions.

    Returns the joined album rows (flags packed), each file's classified rows
    (persisted at cache_level when one is given: the counts, the quarantine and
    the write each read them) and each file's flag names in bit order.
    """

    def kept(frame: DataFrame) -> DataFrame:
        return frame.persist(cache_level) if cache_level is not None else frame

    # What is cached is only what the counts, the joins and the quarantine
    # read: a dimension's id lives on as its _key, file order is no longer needed.
    classified: dict[str, DataFrame] = {}
    flags: dict[str, list[str]] = {}
    for role, source in frames.items():
        if role != "albums":
            frame, flags[role] = pack_flags(TYPERS[role](classify_rows(source), source.spec))
            classified[role] = kept(frame.drop(source.spec.key, "_row_order"))
    # The album rows are cached before the joins, not after: the joined
    # columns already live in the dimension caches, and building the joined
    # cache was the job's longest stage at SF5 (event log). The joins run
    # twice (for the counts and for the write), each without a shuffle: both
    # sides are cached hash-partitioned by _key.
    albums = frames["albums"]
    classified = {"albums": kept(type_albums(classify_rows(albums), albums.spec).drop("_row_order")), **classified}
    joined, flags["albums"] = pack_flags(
        enrich_albums(classified["albums"], classified["artists"], classified["tracks"], classified.get("features"))
    )
    return joined, classified, flags


def write_tracks(published: DataFrame, target_path: str) -> None:
    """The published rows as Parquet partitioned by release year, each partition sorted for compression.

    Rows of one artist, and within it of one album, are kept together (their
    repeated columns then encode as runs): grouped by 64-bit hashes of the ids,
    which sort faster than the ids themselves and compress the same (SF5:
    156.67 vs 156.62 MB; 0.3 and 4.3 s faster in two paired runs). The hashes
    are columns, computed once per row: as sort expressions they were computed
    again in every comparison (SF5 write stage, task time: 25.5-25.8 vs 27.1-28.7 s).
    """
    (
        published.repartition(PARTITION_COLUMN)
        .withColumns({"_artist_hash": F.xxhash64("artist_id"), "_album_hash": F.xxhash64("album_id")})
        .sortWithinPartitions(PARTITION_COLUMN, "_artist_hash", "_album_hash")
        # The writer still sees the rows ordered by the partition column: no second sort.
        .drop("_artist_hash", "_album_hash")
        .write.mode("overwrite")
        # Reruns replace the partitions they write and leave the others alone.
        .option("partitionOverwriteMode", "dynamic")
        .option("compression", "snappy")
        .partitionBy(PARTITION_COLUMN)
        .parquet(f"{target_path}/{TRACKS_TABLE_DIR}")
    )


def run(spark: SparkSession, config: EtlConfig) -> dict:
    """Read, validate, join, gate, publish. Returns the run summary (also written as JSON)."""
    started = time.time()
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]
    sources = resolve_sources(spark, config.source_path)
    not_given = {
        role: (
            f"no {WORKSHOP_LAYOUT[role].file_name} or {KAGGLE_LAYOUT[role].file_name} in {config.source_path}: "
            "its columns are null"
        )
        for role in OPTIONAL_ROLES
        if role not in sources
    }
    ignored = ignored_files(spark, config.source_path)
    log("inputs: " + ", ".join(f"{role}={path}" for role, (_, path) in sources.items()))
    for role, why in not_given.items():
        log(f"{role} file not given: {why}")
    for name, why in ignored.items():
        log(f"ignoring {name}: {why}")
    frames = {role: read_source(spark, spec, path) for role, (spec, path) in sources.items()}
    configure_session(spark, sources)
    albums, cached, flags = validated_frames(frames, CACHE_LEVEL)
    everything = {**cached, "albums": albums}
    try:
        log("validating, de-duplicating and joining (one pass over each input)")
        queries = [count_query(frame, role, flags[role]) for role, frame in everything.items()]
        counted = functools.reduce(DataFrame.unionByName, queries).collect()
        files = {
            role: file_counts([r for r in counted if r["role"] == role], sources[role][0], sources[role][1])
            for role in everything
        }
        summary = build_summary(config, run_id, files, not_given, ignored)
        log(summary["accounting"])
        gates = evaluate_gates(summary, config)
        summary["gates"] = gates
        passed = all(g["passed"] for g in gates)

        # The quarantine is written even when a gate fails: it is what explains the failure.
        rejected = ", ".join(f"{counts['quarantined_rows']} {role}" for role, counts in files.items())
        log(f"writing the quarantine ({rejected} rows) to {config.quarantine_path}")
        quarantine = functools.reduce(
            DataFrame.unionByName,
            [quarantined_rows(frame, role, sources[role][1], run_id) for role, frame in cached.items()],
        )
        quarantine.coalesce(1).write.mode("overwrite").partitionBy("source").parquet(config.quarantine_path)

        if passed:
            log(f"writing {summary['output_rows']} tracks to {config.target_path}/{TRACKS_TABLE_DIR}/")
            write_tracks(published_tracks(albums), config.target_path)
        summary["status"] = "succeeded" if passed else "failed"
        summary["seconds"] = round(time.time() - started, 1)
        summary_json = json.dumps(summary, sort_keys=False, ensure_ascii=False)
        write_text(spark, f"{config.target_path}/{RUN_SUMMARY_FILE}", summary_json + "\n")
        print(json.dumps(summary, ensure_ascii=False, separators=(",", ":")), flush=True)
        if not passed:
            raise DataQualityError(failed_gates_message(gates) + " (nothing was published to tracks/)")
        return summary
    finally:
        for frame in cached.values():
            frame.unpersist()


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def run_on_glue(argv: Sequence[str]) -> None:
    """AWS Glue entry point: awsglue exists only on Glue, so it is imported here."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    optional = [name for name in THRESHOLD_ARGUMENTS if f"--{name}" in argv]
    arguments = getResolvedOptions(list(argv), [*REQUIRED_ARGUMENTS, *optional])
    config = build_config(arguments)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(config.job_name, arguments)
    run(glue_context.spark_session, config)
    job.commit()


def java_problem() -> str | None:
    """None when a usable Java is found, else a message that says what to install."""
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        where = f"JAVA_HOME={java_home} has no bin/java" if java_home else "no `java` on PATH and JAVA_HOME is unset"
        return (
            f"Java 17 is required to run Spark locally, but {where}. "
            "Install a JDK 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) "
            "or point JAVA_HOME at one."
        )
    try:
        probe = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except OSError as error:
        return f"Java at {java} cannot be started: {error}"
    if probe.returncode != 0:
        return f"Java at {java} does not run (`java -version` exited {probe.returncode}): {probe.stderr.strip()}"
    return None


def local_input_bytes(source_path: str) -> int | None:
    """Bytes of CSV in a local source folder; None for a remote (s3://) or missing one."""
    folder = source_path.removeprefix("file://").removeprefix("file:")
    if "://" in folder or not os.path.isdir(folder):
        return None
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder) if name.endswith(".csv"))


def local_java_options(input_bytes: int | None = None) -> str:
    """The local driver JVM's options: the class archive when made, C1 only for a small input."""
    options = []
    archive = os.environ.get(CLASS_ARCHIVE_VARIABLE)
    if archive and os.path.isfile(archive):
        options.append(f"-XX:SharedArchiveFile={archive}")
    if input_bytes is not None and input_bytes < SMALL_INPUT_BYTES:
        options.append("-XX:TieredStopAtLevel=1")
    options += os.environ.get(JAVA_OPTIONS_VARIABLE, "").split()
    return " ".join(options)


def local_spark_session(
    master: str = "local[*]", shuffle_partitions: int | None = None, input_bytes: int | None = None
) -> SparkSession:
    problem = java_problem()
    if problem:
        raise ConfigurationError(problem)
    builder = (
        SparkSession.builder.master(master)
        .appName("spotify-etl-local")
        .config("spark.driver.memory", os.environ.get("SPOTIFY_ETL_DRIVER_MEMORY", "2g"))
        .config("spark.driver.extraJavaOptions", local_java_options(input_bytes))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.parquet.compression.codec", "snappy")
        .config("spark.sql.codegen.hugeMethodLimit", HOTSPOT_HUGE_METHOD_LIMIT)
    )
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def parse_local_arguments(argv: Sequence[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(
        prog="spotify_etl.py",
        description="Run the Spotify Glue job on local Spark (the same code that runs on AWS Glue 5.1).",
    )
    for name in REQUIRED_ARGUMENTS:
        parser.add_argument(f"--{name}", required=True)
    for name, (_, _, accepted) in THRESHOLD_ARGUMENTS.items():
        parser.add_argument(f"--{name}", help=f"data-quality threshold: {accepted}")
    parsed = parser.parse_args(list(argv))
    return {key: value for key, value in vars(parsed).items() if value is not None}


def run_locally(argv: Sequence[str]) -> int:
    try:
        config = build_config(parse_local_arguments(argv))
        spark = local_spark_session(input_bytes=local_input_bytes(config.source_path))
        try:
            run(spark, config)
        finally:
            spark.stop()
    except EtlError as error:
        print(f"spotify_etl: error: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


def main(argv: Sequence[str]) -> int:
    try:
        import awsglue  # noqa: F401  (present only on AWS Glue)
    except ImportError:
        return run_locally(argv[1:])
    run_on_glue(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
