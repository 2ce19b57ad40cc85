"""The Glue ETL script on real local Spark over hand-written messy files."""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import subprocess
import sys
import types

import pytest

import spotify_etl
from tests.etl.fixtures import (
    A, AL, T, write_features, write_kaggle_files, write_workshop_files,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "glue_scripts", "spotify_etl.py")
LENIENT = {"MAX_QUARANTINE_RATE": "0.5", "MAX_ORPHAN_ARTIST_RATE": "0.5", "MAX_ORPHAN_TRACK_RATE": "0.5"}


def config_for(folder, **thresholds) -> spotify_etl.EtlConfig:
    arguments = {
        "JOB_NAME": "test",
        "SOURCE_PATH": str(folder / "staging"),
        "TARGET_PATH": str(folder / "warehouse"),
        "QUARANTINE_PATH": str(folder / "warehouse" / "quarantine"),
        **thresholds,
    }
    return spotify_etl.build_config(arguments)


def read_tracks(spark, target_path) -> list[dict]:
    rows = spark.read.parquet(f"{target_path}/tracks").collect()
    return sorted((row.asDict() for row in rows), key=lambda row: row["track_id"])


@pytest.fixture(scope="module")
def workshop_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("workshop")
    write_workshop_files(str(folder / "staging"))
    config = config_for(folder, **LENIENT)
    summary = spotify_etl.run(spark, config)
    return {"config": config, "summary": summary, "tracks": read_tracks(spark, config.target_path), "folder": folder}


AUDIO_FEATURES = ("danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
                  "instrumentalness", "liveness", "valence", "tempo", "time_signature")


def row(track, name, duration, popularity, album, album_name, label, album_pop, date, precision, artist, artist_name,
        artist_pop, followers, genre, genres, year):
    return {
        "track_id": T[track], "track_name": name, "track_number": None, "duration_ms": duration,
        "track_popularity": popularity, "explicit": None, "album_id": AL[album], "album_name": album_name,
        "album_type": None, "total_tracks": None, "label": label,
        "album_popularity": album_pop, "release_date": date, "release_date_precision": precision,
        "artist_id": A[artist], "artist_name": artist_name,
        # Workshop layout: the joined artist's name alone (none for an unnamed or unknown artist).
        "artist_names": [artist_name] if artist_name else [], "artist_popularity": artist_pop,
        "followers": followers, "genre": genre, "genres": genres,
        **{name: None for name in AUDIO_FEATURES}, "release_year": year,
    }


D = dt.date
EXPECTED_TRACKS = [
    row(1, 'Song "Untitled", Pt. 2', 200000, 55, 1, "Album, One", 'Label "X"', 60, D(2015, 6, 9), "day",
        1, "Кино", 71, 1500000, "russian rock", ["russian rock"], 2015),
    row(2, "Привет", 180000, None, 1, "Album One", "Sony", 60, D(2015, 6, 9), "day",
        2, "米津玄師", 80, 2500000, "j-pop", ["j-pop"], 2015),
    row(3, "夜に駆ける", None, None, 2, "Album Two", None, None, D(2015, 6, 1), "month",
        3, "🔥 Fire Emoji Club 🔥", None, None, None, [], 2015),
    row(4, "Happy 🎉 Birthday", 210000, 70, 3, "Album Three", "Label", 45, D(2015, 1, 1), "year",
        4, None, 10, 20, "pop", ["pop"], 2015),
    row(5, "Date Named", 1000, 12, 4, "Album Four", "Label", None, None, None,
        5, "2026-11-01 00:00:00", 50, 1000, "edm", ["edm"], None),
    row(6, "Feb 30", 1000, None, 5, "Album Five", "Label", 10, None, None,
        6, "Earth, Wind & Fire", 65, 300, "soul", ["soul"], None),
    row(7, "Orphan Artist", 1000, None, 6, "Album Six", "Label", 10, D(2020, 1, 1), "day",
        99, None, None, None, None, None, 2020),
    row(8, 'Name "quoted"', 1000, 40, 7, "Album Seven", "Label", 10, D(2021, 3, 4), "day",
        1, "Кино", 71, 1500000, "russian rock", ["russian rock"], 2021),
    row(10, "  padded  ", 1000, None, 8, "Album Eight", "Label", 10, D(2021, 3, 4), "day",
        5, "2026-11-01 00:00:00", 50, 1000, "edm", ["edm"], 2021),
]


def test_compiled_and_interpreted_evaluation_publish_the_same_rows(spark, workshop_run, tmp_path, monkeypatch):
    # The sample is evaluated interpreted (no code generation); the real data compiled.
    assert spark.conf.get("spark.sql.codegen.factoryMode") == "NO_CODEGEN"
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "false"
    monkeypatch.setattr(spotify_etl, "SMALL_INPUT_BYTES", 0)
    write_workshop_files(str(tmp_path / "staging"))
    config = config_for(tmp_path, **LENIENT)
    summary = spotify_etl.run(spark, config)
    assert spark.conf.get("spark.sql.codegen.factoryMode") == "FALLBACK"
    assert spark.conf.get("spark.sql.codegen.wholeStage") == "true"
    assert read_tracks(spark, config.target_path) == workshop_run["tracks"]
    assert summary["files"] == json.loads(json.dumps(workshop_run["summary"]["files"]).replace(
        str(workshop_run["folder"]), str(tmp_path)))


def test_local_jvm_options(tmp_path, monkeypatch):
    (tmp_path / "albums.csv").write_bytes(b"x" * 1000)
    (tmp_path / "notes.txt").write_bytes(b"x" * 5000)
    assert spotify_etl.local_input_bytes(str(tmp_path)) == 1000
    assert spotify_etl.local_input_bytes(f"file://{tmp_path}") == 1000
    assert spotify_etl.local_input_bytes("s3://bucket/staging") is None
    assert spotify_etl.local_input_bytes(str(tmp_path / "missing")) is None

    archive = tmp_path / "spark-classes.jsa"
    monkeypatch.setenv(spotify_etl.CLASS_ARCHIVE_VARIABLE, str(archive))
    monkeypatch.delenv(spotify_etl.JAVA_OPTIONS_VARIABLE, raising=False)
    assert spotify_etl.local_java_options(None) == ""  # not made yet: plain start-up
    archive.write_bytes(b"archive")
    assert spotify_etl.local_java_options(None) == f"-XX:SharedArchiveFile={archive}"
    assert spotify_etl.local_java_options(1000) == f"-XX:SharedArchiveFile={archive} -XX:TieredStopAtLevel=1"
    assert spotify_etl.local_java_options(spotify_etl.SMALL_INPUT_BYTES) == f"-XX:SharedArchiveFile={archive}"
    monkeypatch.setenv(spotify_etl.JAVA_OPTIONS_VARIABLE, "-Xlog:gc -Xss4m")
    assert spotify_etl.local_java_options(None).endswith(" -Xlog:gc -Xss4m")


def test_published_rows_are_exactly_the_valid_distinct_tracks(workshop_run):
    assert workshop_run["tracks"] == EXPECTED_TRACKS


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


def test_every_input_row_is_accounted_for(workshop_run):
    summary = workshop_run["summary"]
    albums, artists, tracks = (summary["files"][k] for k in ("albums", "artists", "tracks"))
    assert (summary["input_rows"], summary["output_rows"], summary["quarantined_rows"],
            summary["duplicate_rows_removed"]) == (14, 9, 4, 1)
    assert summary["input_rows"] == summary["output_rows"] + summary["quarantined_rows"] + summary[
        "duplicate_rows_removed"]
    assert (artists["input_rows"], artists["kept_rows"], artists["quarantined_rows"],
            artists["duplicate_rows_removed"]) == (10, 6, 3, 1)
    assert (tracks["input_rows"], tracks["kept_rows"], tracks["quarantined_rows"],
            tracks["duplicate_rows_removed"]) == (11, 7, 3, 1)
    assert summary["orphans"] == {"artist_rows": 1, "artist_rate": round(1 / 9, 6),
                                  "track_rows": 2, "track_rate": round(2 / 9, 6)}
    assert albums["unparseable_values"] == {"release_date": 2, "duration_ms": 1, "album_popularity": 1,
                                            "total_tracks": 0, "track_number": 0}
    assert artists["unparseable_values"] == {"artist_popularity": 1, "followers": 0}
    assert tracks["unparseable_values"] == {"track_popularity": 2, "explicit": 0}
    assert summary["status"] == "succeeded"
    # No features file: said so, and no feature orphans are counted or gated.
    assert "features" not in summary["files"]
    assert summary["files_not_given"]["features"].startswith("no features.csv or spotify_features_data_2023.csv in ")
    assert [g["name"] for g in summary["gates"]] == ["min_output_rows", "max_quarantine_rate",
                                                     "max_orphan_artist_rate", "max_orphan_track_rate"]


def test_run_summary_is_written_beside_the_table_and_printed(workshop_run, capsys):
    target = workshop_run["config"].target_path
    with open(f"{target}/run_summary.json", encoding="utf-8") as handle:
        written = json.load(handle)
    assert written == workshop_run["summary"]
    assert not glob.glob(f"{target}/tracks/*.json")


def test_quarantine_keeps_raw_rows_with_reasons(spark, workshop_run):
    quarantine = spark.read.parquet(workshop_run["config"].quarantine_path).collect()
    got = sorted((r["source"], r["reason"].split(":")[0], r["raw_record"]) for r in quarantine)
    assert got == sorted([
        ("albums", "conflicting_track_id",
         f'Happy 🎉 Birthday,{T[4]},"210000",Album Three,2015,Label,46,{AL[3]},{A[4]},210'),
        ("albums", "invalid_track_id", f"Bad Id,not-a-track-id,1000,Album,2015,Label,1,{AL[7]},{A[1]},1"),
        ("albums", "invalid_track_id", f"No Id,,1000,Album,2015,Label,1,{AL[7]},{A[1]},1"),
        ("albums", "malformed_row", f"Broken,{T[12]},1000"),
        ("artists", "conflicting_artist_id", f'{A[6]},"Earth, Wind & Fire",65,301,soul'),
        ("artists", "invalid_artist_id", "bad-id,Nobody,1,1,pop"),
        ("artists", "malformed_row", f"{A[9]},Too Few"),
        ("tracks", "conflicting_track_id", f"{T[8]},41"),
        ("tracks", "invalid_track_id", "track1,20"),
        ("tracks", "malformed_row", f"{T[9]},1,2"),
    ])
    # The file as the job was given it (the run summary names the same path).
    source = workshop_run["config"].source_path
    assert {r["source_file"] for r in quarantine} == {f"{source}/{name}" for name in ("albums.csv", "artists.csv",
                                                                                      "track.csv")}


def test_rerun_is_idempotent(spark, workshop_run):
    target = workshop_run["config"].target_path
    files_before = sorted(glob.glob(f"{target}/tracks/*/*.parquet"))
    spotify_etl.run(spark, workshop_run["config"])
    assert read_tracks(spark, target) == EXPECTED_TRACKS
    assert len(glob.glob(f"{target}/tracks/*/*.parquet")) == len(files_before)
    assert spark.read.parquet(workshop_run["config"].quarantine_path).count() == 10


def test_gates_fail_with_gate_name_and_measured_value_and_publish_nothing(spark, tmp_path):
    write_workshop_files(str(tmp_path / "staging"))
    config = config_for(tmp_path, MAX_ORPHAN_ARTIST_RATE="0.5", MAX_ORPHAN_TRACK_RATE="0.5")
    with pytest.raises(spotify_etl.DataQualityError) as failure:
        spotify_etl.run(spark, config)
    message = str(failure.value)
    assert "data-quality gate max_quarantine_rate failed" in message
    assert "artists.csv quarantined 30.00% of its rows (3 of 10; maximum 5.00%)" in message
    assert "nothing was published" in message
    assert not os.path.exists(f"{config.target_path}/tracks")
    with open(f"{config.target_path}/run_summary.json", encoding="utf-8") as handle:
        assert json.load(handle)["status"] == "failed"


def test_orphan_and_output_gates(spark, tmp_path):
    write_workshop_files(str(tmp_path / "staging"))
    config = config_for(tmp_path, **{**LENIENT, "MAX_ORPHAN_TRACK_RATE": "0.1", "MIN_OUTPUT_ROWS": "10"})
    with pytest.raises(spotify_etl.DataQualityError) as failure:
        spotify_etl.run(spark, config)
    message = str(failure.value)
    assert "data-quality gate min_output_rows failed: 9 output rows (minimum 10)" in message
    assert "data-quality gate max_orphan_track_rate failed: 22.22% of output rows have no matching track" in message
    assert "max_orphan_artist_rate" not in message


def test_missing_file_is_named(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    os.remove(os.path.join(staging, "track.csv"))
    with pytest.raises(spotify_etl.MissingInputError, match="missing input file for tracks: expected track.csv or "
                                                            "spotify_tracks_data_2023.csv in"):
        spotify_etl.run(spark, config_for(tmp_path))


def test_missing_column_is_named(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    with open(os.path.join(staging, "artists.csv"), "w", encoding="utf-8") as handle:
        handle.write("id,name,followers,genre\n")
    with pytest.raises(spotify_etl.MissingInputError, match=r"artists.csv is missing required column\(s\) "
                                                            r"artist_popularity \(header has: id, name, followers"):
        spotify_etl.run(spark, config_for(tmp_path))


def test_empty_file_is_named(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    open(os.path.join(staging, "albums.csv"), "w").close()
    with pytest.raises(spotify_etl.MissingInputError, match=r"albums.csv is empty"):
        spotify_etl.run(spark, config_for(tmp_path))


def test_kaggle_download_is_accepted_unchanged(spark, tmp_path):
    staging = write_kaggle_files(str(tmp_path / "staging"))
    write_features(staging, "spotify_features_data_2023.csv")
    config = config_for(tmp_path, **LENIENT)
    summary = spotify_etl.run(spark, config)
    rows = read_tracks(spark, config.target_path)
    assert [(r["track_id"], r["explicit"], r["track_popularity"], r["genre"], r["genres"], r["followers"],
             r["release_year"], r["artist_names"], r["album_type"], r["total_tracks"], r["track_number"],
             r["danceability"], r["key"]) for r in rows] == [
        (T[1], True, 55, "russian rock", ["russian rock", "post-punk"], 1500000, 2019, ["Кино", "Звери"], "album", 2,
         1, 0.5, 5),
        (T[2], False, 40, "russian rock", ["russian rock", "post-punk"], 1500000, 2019, ["Кино"], "single", 2, 2,
         None, None),
    ]
    assert summary["files"]["albums"]["layout_file_name"] == "spotify-albums_data_2023.csv"
    assert summary["files"]["features"]["layout_file_name"] == "spotify_features_data_2023.csv"
    # The pre-joined fifth file is named as ignored and counted nowhere.
    assert list(summary["files_ignored"]) == ["spotify_data_12_20_2023.csv"]
    assert summary["input_rows"] == 2 and summary["files_not_given"] == {}


@pytest.fixture(scope="module")
def features_run(spark, tmp_path_factory):
    folder = tmp_path_factory.mktemp("features")
    write_features(write_workshop_files(str(folder / "staging")))
    config = config_for(folder, **LENIENT, MAX_ORPHAN_FEATURE_RATE="0.6")
    summary = spotify_etl.run(spark, config)
    return {"config": config, "summary": summary, "tracks": {r["track_id"]: r for r in
                                                            read_tracks(spark, config.target_path)}}


def test_audio_features_are_typed_ranged_and_left_joined(features_run):
    tracks = features_run["tracks"]
    features = lambda n: {name: tracks[T[n]][name] for name in AUDIO_FEATURES}  # noqa: E731
    assert features(1) == {"danceability": 0.5, "energy": 0.6, "key": 5, "loudness": -7.5, "mode": 1,
                           "speechiness": 0.05, "acousticness": 0.1, "instrumentalness": 0.0, "liveness": 0.2,
                           "valence": 0.7, "tempo": 120.0, "time_signature": 4}
    # N/A danceability and key -1 (no key detected) are null; the first of two conflicting rows wins.
    assert (features(2)["danceability"], features(2)["key"], features(2)["energy"]) == (None, None, 0.6)
    # Out of the documented ranges: nulled, the other values kept.
    assert (features(3)["danceability"], features(3)["loudness"], features(3)["time_signature"],
            features(3)["energy"]) == (None, None, None, 0.6)
    assert (features(4)["tempo"], features(4)["mode"], features(4)["key"]) == (None, None, 5)
    # LEFT join: tracks without a feature row are published with null features; T[11] (no album) is not.
    assert all(v is None for v in features(5).values()) and T[11] not in tracks
    assert len(tracks) == 9


def test_audio_features_are_counted_and_gated(features_run, spark, tmp_path):
    summary = features_run["summary"]
    counts = summary["files"]["features"]
    assert (counts["input_rows"], counts["kept_rows"], counts["quarantined_rows"],
            counts["duplicate_rows_removed"]) == (9, 5, 3, 1)
    assert counts["quarantine_reasons"] == {
        "conflicting_track_id: differs from an earlier row with the same track_id": 1,
        "invalid_track_id: not a 22-character base62 Spotify id": 1,
        "malformed_row: field count differs from the header (18 fields)": 1,
    }
    assert {k: v for k, v in counts["unparseable_values"].items() if v} == {"danceability": 1}
    assert {k: v for k, v in counts["out_of_range_values"].items() if v} == {
        "danceability": 1, "loudness": 1, "time_signature": 1, "mode": 1}
    assert summary["orphans"]["feature_rows"] == 5 and summary["orphans"]["feature_rate"] == round(5 / 9, 6)
    assert summary["files_not_given"] == {}
    gate = next(g for g in summary["gates"] if g["name"] == "max_orphan_feature_rate")
    assert (gate["threshold"], gate["passed"]) == (0.6, True)

    write_features(write_workshop_files(str(tmp_path / "staging")))
    with pytest.raises(spotify_etl.DataQualityError, match="data-quality gate max_orphan_feature_rate failed: "
                                                           r"55.56% of output rows have no matching feature"):
        spotify_etl.run(spark, config_for(tmp_path, **LENIENT))


def test_two_layouts_at_once_is_an_error_naming_both_files_and_the_ways_out(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    write_kaggle_files(staging)
    with pytest.raises(spotify_etl.AmbiguousInputError) as failure:
        spotify_etl.run(spark, config_for(tmp_path))
    message = str(failure.value)
    assert "albums.csv, artists.csv, track.csv (workshop sample)" in message
    assert ("spotify-albums_data_2023.csv, spotify_artist_data_2023.csv, spotify_tracks_data_2023.csv "
            "(Kaggle download)") in message
    assert "Remove one set of files, or deploy with -c deploySampleData=false" in message
    assert not os.path.exists(tmp_path / "warehouse")


# Fields that begin or end with spaces, tabs and quotes, and non-ASCII text:
# each line has an invalid id, so it is quarantined and must come back byte for byte.
# Rejected for their own content (the id), and, last in each file, a row that
# conflicts with an earlier one of the same id: its line is read again from the file.
RAW_LINES = {
    "albums.csv": [
        f' \tLead Tab, {T[11]},"  1000  ",  "Album ""Q"" ",2015,Label ,1,{AL[9]},{A[1]},1\t',
        f'"  Привет, мир  ",{T[11]}\t,1000,夜に駆ける ,2015, "Lbl",1,{AL[9]},{A[1]}, 1 ',
        f'"  Conflict, ""Q"" ",{T[1]},1000, Ålbum ,2015,Label\t,1,{AL[1]},{A[1]},1 ',
    ],
    "artists.csv": [f' {A[50]} , "Name, with comma" ,1,2,\tpop\t', f'"{A[51]} ",🔥 ,1,2,',
                    f'{A[1]}," Кино, again ",71,1500001,\trussian rock '],
    "track.csv": [f"\t{T[11]},5 ", f'"{T[12]} " ,"7"', f"{T[1]}, 56 "],
    "features.csv": [f" {T[11]},".join(line.split(f"{T[1]},", 1)) for line in [
        "0.5,0.6,5,-7.5,1,0.05,0.1,0.0,0.2,0.7,120.0,audio_features," + T[1] + ",x,y,z,1, 4 "]] + [
        "0.5,0.6,5,-7.5,1,0.05,0.1,0.0,0.2,0.7,121.5,audio_features," + T[1] + ", x ,\ty,z,1, 4 "],
}


def test_quarantine_keeps_raw_lines_byte_for_byte_in_every_file(spark, tmp_path):
    staging = write_features(write_workshop_files(str(tmp_path / "staging")))
    for name, lines in RAW_LINES.items():
        newline = "\r\n" if name == "albums.csv" else "\n"  # each file keeps its own line endings
        with open(os.path.join(staging, name), "a", encoding="utf-8", newline="") as handle:
            handle.write(newline.join(lines) + newline)
    config = config_for(tmp_path, MAX_QUARANTINE_RATE="0.9", MAX_ORPHAN_ARTIST_RATE="0.9",
                        MAX_ORPHAN_TRACK_RATE="0.9", MAX_ORPHAN_FEATURE_RATE="0.9")
    spotify_etl.run(spark, config)
    quarantine = spark.read.parquet(config.quarantine_path).collect()
    by_file = {}
    for r in quarantine:
        by_file.setdefault(r["source_file"].rsplit("/", 1)[1], set()).add(r["raw_record"])
    for name, lines in RAW_LINES.items():
        assert set(lines) <= by_file[name], name
    assert {r["source"] for r in quarantine} == {"albums", "artists", "tracks", "features"}
    conflicting = {r["raw_record"] for r in quarantine if r["reason"].startswith("conflicting_")}
    assert {lines[-1] for lines in RAW_LINES.values()} <= conflicting


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"MAX_QUARANTINE_RATE": "1.5"}, "--MAX_QUARANTINE_RATE='1.5' is invalid: expected a fraction between 0 and 1"),
        ({"MIN_OUTPUT_ROWS": "many"}, "--MIN_OUTPUT_ROWS='many' is invalid: expected a whole number >= 0"),
        ({"MAX_ORPHAN_ARTIST_RATE": "nan"}, "--MAX_ORPHAN_ARTIST_RATE='nan' is invalid"),
        ({"SOURCE_PATH": ""}, "missing job argument(s): --SOURCE_PATH"),
    ],
)
def test_bad_job_arguments_are_named(arguments, message):
    base = {"JOB_NAME": "j", "SOURCE_PATH": "s", "TARGET_PATH": "t", "QUARANTINE_PATH": "q"}
    with pytest.raises(spotify_etl.ConfigurationError) as failure:
        spotify_etl.build_config({**base, **arguments})
    assert message in str(failure.value)


def test_value_parsers(spark):
    values = ["42", " 42 ", "42.0", "4.2e1", "4.5", "N/A", "", None, "99999999999"]
    frame = spark.createDataFrame([(v,) for v in values], "raw string")
    parsed = frame.selectExpr(
        f"{spotify_etl.whole_number_sql('raw', 'INT')} AS as_int",
        f"{spotify_etl.whole_number_sql('raw', 'BIGINT')} AS as_bigint",
    ).collect()
    assert [r["as_int"] for r in parsed] == [42, 42, 42, 42, None, None, None, None, None]
    assert [r["as_bigint"] for r in parsed][-1] == 99999999999

    dates = ["2015-06-09 00:00:00 UTC", "2015-06-09", "2015-06", "2015", "2015-6-9", "2015-06-09T10:00:00Z",
             "2015-02-30", "N/A", "", "June 2015", None, " 2015-06-09 ", "2015-13-01", "2015-06-1T", "2015-06-09x"]
    frame = spotify_etl.with_release_date(spark.createDataFrame([(d,) for d in dates], "raw string"), "raw")
    got = [(r["release_date"], r["release_date_precision"], r["release_year"]) for r in frame.collect()]
    assert got == [
        (D(2015, 6, 9), "day", 2015), (D(2015, 6, 9), "day", 2015), (D(2015, 6, 1), "month", 2015),
        (D(2015, 1, 1), "year", 2015), (D(2015, 6, 9), "day", 2015), (D(2015, 6, 9), "day", 2015),
        (None, None, None), (None, None, None), (None, None, None), (None, None, None), (None, None, None),
        (D(2015, 6, 9), "day", 2015), (None, None, None), (None, None, None), (None, None, None),
    ]


def test_glue_entry_point_through_a_fake_awsglue(spark, tmp_path, monkeypatch):
    """Drive main() as Glue would: getResolvedOptions, job.init, run, job.commit."""
    write_workshop_files(str(tmp_path / "staging"))
    calls = []

    def get_resolved_options(argv, names):
        assert names[:4] == ["JOB_NAME", "SOURCE_PATH", "TARGET_PATH", "QUARANTINE_PATH"]
        pairs = dict(zip(argv[1::2], argv[2::2]))
        return {name: pairs[f"--{name}"] for name in names}

    class GlueContext:
        def __init__(self, spark_context):
            from pyspark.sql import SparkSession

            self.spark_session = SparkSession(spark_context)

    class Job:
        def __init__(self, glue_context):
            self.glue_context = glue_context

        def init(self, name, arguments):
            calls.append(("init", name, dict(arguments)))

        def commit(self):
            calls.append(("commit",))

    fakes = {
        "awsglue": types.ModuleType("awsglue"),
        "awsglue.utils": types.SimpleNamespace(getResolvedOptions=get_resolved_options),
        "awsglue.context": types.SimpleNamespace(GlueContext=GlueContext),
        "awsglue.job": types.SimpleNamespace(Job=Job),
    }
    for name, module in fakes.items():
        monkeypatch.setitem(sys.modules, name, module)
    argv = [
        "spotify_etl.py", "--JOB_NAME", "spotify-etl", "--SOURCE_PATH", str(tmp_path / "staging"),
        "--TARGET_PATH", str(tmp_path / "warehouse"), "--QUARANTINE_PATH", str(tmp_path / "quarantine"),
        "--job-bookmark-option", "job-bookmark-enable", "--MAX_QUARANTINE_RATE", "0.5",
        "--MAX_ORPHAN_ARTIST_RATE", "0.5", "--MAX_ORPHAN_TRACK_RATE", "0.5",
    ]
    assert spotify_etl.main(argv) == 0
    assert [c[0] for c in calls] == ["init", "commit"]
    assert calls[0][1] == "spotify-etl"
    assert calls[0][2]["MAX_QUARANTINE_RATE"] == "0.5"
    assert read_tracks(spark, str(tmp_path / "warehouse")) == EXPECTED_TRACKS


def test_missing_java_is_a_clear_message_not_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = os.path.dirname(sys.executable)  # python, but no java
    result = subprocess.run(
        [sys.executable, SCRIPT, "--JOB_NAME", "l", "--SOURCE_PATH", "data", "--TARGET_PATH", str(tmp_path),
         "--QUARANTINE_PATH", str(tmp_path / "q")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 1
    assert "spotify_etl: error: Java 17 is required to run Spark locally" in result.stderr
    assert "Traceback" not in result.stderr
