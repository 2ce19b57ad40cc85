"""The album rows LEFT-joined to the valid artists, tracks and audio features, and
the two outputs drawn from them: the published tracks and the quarantined rows."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from etl.contract import AUDIO_FEATURES, TRACKS_SCHEMA
from etl.typed_columns import non_blank


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
    own_name = F.when(non_blank("artist_name"), F.array("artist_name")).otherwise(F.array().cast("array<string>"))
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
