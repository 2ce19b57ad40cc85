"""Typing each file's raw string columns: numbers, booleans, release dates and audio
features, with a counted flag for every value that could not be kept."""

from __future__ import annotations

from typing import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.contract import AUDIO_FEATURE_RANGES, AUDIO_FEATURES
from etl.layouts import SourceSpec


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


def non_blank(column: str) -> Column:
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
        flags[f"_unparseable__{column}"] = (non_blank(column) & value.isNull()).cast("int")
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
    unparseable_date = non_blank("_raw_release_date") & F.col("release_date").isNull()
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
            F.when(non_blank("genre"), F.array(F.col("genre"))).otherwise(F.array().cast("array<string>")),
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
