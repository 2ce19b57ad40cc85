"""The output contract: the published Parquet's types and partitions, and the audio feature ranges."""

from __future__ import annotations

import glob
import os

import pytest

from etl.job import run
from tests.etl.support import (
    FEATURES_HEADER, LENIENT, T, config_for, feature_line, read_tracks, write_workshop_files,
)


def test_parquet_files_carry_the_contract_types(spark, workshop_run):
    target = workshop_run["config"].target_path
    one_file = glob.glob(f"{target}/tracks/release_year=2015/*.parquet")[0]
    file_schema = {f.name: f.dataType.simpleString() for f in spark.read.parquet(one_file).schema.fields}
    assert file_schema == {
        "track_id": "string", "track_name": "string", "track_number": "int", "duration_ms": "int",
        "track_popularity": "int", "explicit": "boolean", "album_id": "string", "album_name": "string",
        "album_type": "string", "total_tracks": "int", "label": "string",
        "album_popularity": "int", "release_date": "date", "release_date_precision": "string",
        "artist_id": "string", "artist_name": "string", "artist_names": "array<string>", "artist_popularity": "int",
        "followers": "bigint", "genre": "string", "genres": "array<string>",
        "danceability": "double", "energy": "double", "key": "int", "loudness": "double", "mode": "int",
        "speechiness": "double", "acousticness": "double", "instrumentalness": "double", "liveness": "double",
        "valence": "double", "tempo": "double", "time_signature": "int",
    }
    partitions = sorted(os.path.basename(p) for p in glob.glob(f"{target}/tracks/release_year=*"))
    assert partitions == ["release_year=2015", "release_year=2020", "release_year=2021",
                          "release_year=__HIVE_DEFAULT_PARTITION__"]
    # Few files: one per partition here, never one per shuffle partition.
    for partition in partitions:
        assert len(glob.glob(f"{target}/tracks/{partition}/*.parquet")) == 1
    assert all(p.endswith(".snappy.parquet") for p in glob.glob(f"{target}/tracks/*/*.parquet"))


# Values Spotify returns for real tracks: loudness above 0 dB, time signature 0 or 1 (no meter detected).
CONTRACT_FEATURE_LINES = [
    feature_line(T[1], loudness="1.5", time_signature="0"),
    feature_line(T[2], loudness="Infinity", time_signature="1"),
    feature_line(T[3], loudness="NaN", time_signature="7"),
    feature_line(T[4], loudness="-61.25", time_signature="8"),
    feature_line(T[5], loudness="-Infinity", time_signature="-1"),
    feature_line(T[6], loudness="0", time_signature="3"),
]


@pytest.fixture(scope="module")
def contract_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract")
    staging = write_workshop_files(str(folder / "staging"))
    with open(os.path.join(staging, "features.csv"), "w", encoding="utf-8", newline="") as handle:
        handle.write("\n".join([FEATURES_HEADER, *CONTRACT_FEATURE_LINES]) + "\n")
    config = config_for(folder, **LENIENT, MAX_ORPHAN_FEATURE_RATE="0.5")
    summary = run(spark, config)
    return {"summary": summary, "tracks": {r["track_id"]: r for r in read_tracks(spark, config.target_path)}}


def test_any_finite_loudness_is_kept(contract_run):
    tracks = contract_run["tracks"]
    assert [tracks[T[n]]["loudness"] for n in range(1, 7)] == [1.5, None, None, -61.25, None, 0.0]
    counts = contract_run["summary"]["files"]["features"]
    # Infinity, NaN and -Infinity are no loudness: counted as unparseable, never as out of range.
    assert counts["unparseable_values"]["loudness"] == 3
    assert counts["out_of_range_values"]["loudness"] == 0


def test_time_signatures_0_to_7_are_kept(contract_run):
    tracks = contract_run["tracks"]
    assert [tracks[T[n]]["time_signature"] for n in range(1, 7)] == [0, 1, 7, None, None, 3]
    counts = contract_run["summary"]["files"]["features"]
    assert counts["out_of_range_values"]["time_signature"] == 2  # 8 and -1
    assert counts["unparseable_values"]["time_signature"] == 0
    assert {k: v for k, v in counts["out_of_range_values"].items() if v} == {"time_signature": 2}
    assert {k: v for k, v in counts["unparseable_values"].items() if v} == {"loudness": 3}


def test_nulled_feature_values_leave_the_accounting_whole(contract_run):
    summary = contract_run["summary"]
    counts = summary["files"]["features"]
    # A nulled value keeps its row: every feature row is kept and every valid album track published.
    assert (counts["input_rows"], counts["kept_rows"], counts["quarantined_rows"],
            counts["duplicate_rows_removed"]) == (6, 6, 0, 0)
    assert summary["accounting"] == "14 input = 9 output + 4 quarantined + 1 duplicates"
    assert (summary["orphans"]["feature_rows"], summary["orphans"]["feature_rate"]) == (3, round(3 / 9, 6))
    assert summary["status"] == "succeeded"
