"""The output contract and what every module shares: the tracks schema, the audio
feature ranges, the file names of the output, and the errors a run can end with."""

from __future__ import annotations

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

# Audio feature columns: (lowest, highest) accepted value, None for no bound; a
# value outside is nulled and counted. The bounds are the values Spotify returns,
# which are wider than some documented "typical" ranges. `key` -1 means "no key
# detected" and becomes null without being counted.
AUDIO_FEATURE_RANGES = {
    "danceability": (0.0, 1.0),
    "energy": (0.0, 1.0),
    "key": (-1, 11),
    # Documented as "typically" -60 to 0 dB; real tracks are louder than 0. Any
    # finite value is kept (NaN and infinity are unparseable, see typed_columns).
    "loudness": (None, None),
    "mode": (0, 1),
    "speechiness": (0.0, 1.0),
    "acousticness": (0.0, 1.0),
    "instrumentalness": (0.0, 1.0),
    "liveness": (0.0, 1.0),
    "valence": (0.0, 1.0),
    "tempo": (0.0, None),  # beats per minute: no documented upper bound
    # Documented as 3 to 7; Spotify returns 0 and 1 where it detected no meter.
    "time_signature": (0, 7),
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


def describe_error(error: BaseException) -> str:
    """One line for a log or a record: our own errors' text, else the type and the first lines (a Py4J
    error's first line only names the JVM call; the Java exception follows it)."""
    if isinstance(error, EtlError):
        return str(error)
    lines = [line.strip() for line in str(error).splitlines() if line.strip()][:3]
    return f"{type(error).__name__}: {' '.join(lines)}" if lines else type(error).__name__
