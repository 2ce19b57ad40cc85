"""`upload`: the file names come from the Glue job's layouts; sample files go only when the user says so."""

from __future__ import annotations

import boto3

from tests.cloud_pipeline.conftest import REGION, Participant, deploy, run_cli

KAGGLE = ("spotify-albums_data_2023.csv", "spotify_artist_data_2023.csv", "spotify_tracks_data_2023.csv")


def staged(bucket: str) -> dict[str, bytes]:
    s3 = boto3.client("s3", region_name=REGION)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="staging/").get("Contents", [])]
    return {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in keys}


def kaggle_folder(tmp_path):
    for name in KAGGLE:
        (tmp_path / name).write_text(f"header of {name}\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a CSV", encoding="utf-8")
    return tmp_path


def test_kaggle_files_replace_the_sample_with_yes(aws, capsys, tmp_path):
    outputs = deploy("alice")
    source = kaggle_folder(tmp_path)
    assert run_cli(["upload", "--source", str(source), "--yes", "--prefix", "alice", "--region", REGION],
                   participant=Participant("alice")) == 0
    assert staged(outputs["StagingBucket"]) == {f"staging/{name}": f"header of {name}\n".encode() for name in KAGGLE}
    out = capsys.readouterr().out.splitlines()
    bucket = outputs["StagingBucket"]
    assert out[0] == f"uploaded  s3://{bucket}/staging/spotify-albums_data_2023.csv  {39:>12,} bytes"
    assert f"removed   s3://{bucket}/staging/track.csv" in out
    assert out[-1] == "staged 3 files; removed 3. Next: run"


def test_the_user_is_asked_before_the_sample_is_removed(aws, capsys, tmp_path):
    outputs = deploy("alice")
    before = staged(outputs["StagingBucket"])
    questions = []

    def decline(question):
        questions.append(question)
        return False

    assert run_cli(["upload", "--source", str(kaggle_folder(tmp_path)), "--prefix", "alice", "--region", REGION],
                   participant=Participant("alice"), confirm=decline) == 1
    assert questions == [f"remove 3 other file(s) from s3://{outputs['StagingBucket']}/staging/: "
                         "albums.csv, artists.csv, track.csv?"]
    assert capsys.readouterr().err == (
        "error: nothing uploaded: the other staging files would be read too (rerun with --yes to remove them)\n")
    assert staged(outputs["StagingBucket"]) == before


def test_a_confirmed_removal(aws, tmp_path):
    outputs = deploy("alice")
    assert run_cli(["upload", "--source", str(kaggle_folder(tmp_path)), "--prefix", "alice", "--region", REGION],
                   participant=Participant("alice"), confirm=lambda question: True) == 0
    assert sorted(staged(outputs["StagingBucket"])) == sorted(f"staging/{name}" for name in KAGGLE)


def test_replacing_the_sample_files_themselves_asks_nothing(aws, tmp_path):
    outputs = deploy("alice")
    for name in ("albums.csv", "artists.csv", "track.csv"):
        (tmp_path / name).write_text("new\n", encoding="utf-8")
    assert run_cli(["upload", "--source", str(tmp_path), "--prefix", "alice", "--region", REGION],
                   participant=Participant("alice"), confirm=lambda question: 1 / 0) == 0
    assert set(staged(outputs["StagingBucket"]).values()) == {b"new\n"}


def test_a_folder_without_a_file_the_job_accepts_is_refused_before_any_upload(aws, capsys, tmp_path):
    outputs = deploy("alice")
    (tmp_path / "spotify-albums_data_2023.csv").write_text("a\n", encoding="utf-8")
    (tmp_path / "artists.csv").write_text("a\n", encoding="utf-8")
    (tmp_path / "tracks.csv").write_text("a\n", encoding="utf-8")
    assert run_cli(["upload", "--source", str(tmp_path), "--yes", "--prefix", "alice", "--region", REGION],
                   participant=Participant("alice")) == 1
    assert capsys.readouterr().err == (
        f"error: {tmp_path} has no tracks file: the Glue job accepts track.csv or spotify_tracks_data_2023.csv "
        "(found artists.csv, spotify-albums_data_2023.csv, tracks.csv)\n")
    assert sorted(staged(outputs["StagingBucket"])) == ["staging/albums.csv", "staging/artists.csv",
                                                        "staging/track.csv"]


def test_an_empty_file_is_refused(aws, capsys, tmp_path):
    deploy("alice")
    for name in ("albums.csv", "artists.csv", "track.csv"):
        (tmp_path / name).write_text("x\n" if name != "artists.csv" else "", encoding="utf-8")
    assert run_cli(["upload", "--source", str(tmp_path), "--prefix", "alice", "--region", REGION]) == 1
    assert capsys.readouterr().err == f"error: {tmp_path / 'artists.csv'} is empty\n"


def test_a_missing_folder(aws, capsys, tmp_path):
    deploy("alice")
    assert run_cli(["upload", "--source", str(tmp_path / "nope"), "--prefix", "alice", "--region", REGION]) == 1
    assert capsys.readouterr().err == f"error: source folder {tmp_path / 'nope'} does not exist\n"
