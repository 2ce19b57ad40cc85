"""The ingestion Lambdas against moto (S3, Secrets Manager) and a fake Spotify API on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import urllib.parse

import boto3
import pytest
from moto import mock_aws

RUNTIME = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "ingestion", "runtime")
sys.path.insert(0, RUNTIME)

import extract  # noqa: E402
import transform  # noqa: E402
from spotify_api import SpotifyApiError  # noqa: E402

from tests.ingestion.fake_spotify import (  # noqa: E402
    A1, A2, A3, CLIENT_ID, CLIENT_SECRET, PL_EDIT, PL_NEW, PL_OLD, FakeSpotify,
)

BUCKET = "spotify-landing"
SECRET = "spotify/spotify/client-credentials"
NOW = dt.datetime(2026, 11, 21, 10, 0, 0, tzinfo=dt.timezone.utc)
RAW_KEY = "raw_data/to_processed/spotify_raw_20261121T100000000000Z.json"


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        yield s3, secrets


@pytest.fixture
def spotify():
    with FakeSpotify() as fake:
        yield fake


@pytest.fixture
def configured(aws, spotify, monkeypatch):
    s3, secrets = aws
    secrets.create_secret(Name=SECRET,
                          SecretString=json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}))
    monkeypatch.setenv("BUCKET_NAME", BUCKET)
    monkeypatch.setenv("SECRET_ARN", SECRET)
    monkeypatch.setenv("PLAYLIST_IDS", f"{PL_NEW},{PL_OLD},{PL_EDIT}")
    monkeypatch.setenv("MAX_ARTISTS_PER_RUN", "10")
    monkeypatch.setenv("SPOTIFY_API_BASE_URL", spotify.url)
    monkeypatch.setenv("SPOTIFY_ACCOUNTS_URL", spotify.url)
    return s3, secrets, spotify


def keys(s3, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def read_json(s3, key):
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def read_lines(s3, key):
    return [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()]


def run_extract(s3, secrets, sleeps=None):
    return extract.handler({}, None, s3=s3, secrets=secrets, sleep=(sleeps.append if sleeps is not None else
                                                                     (lambda _: None)), now=NOW)


def s3_event(*object_keys):
    return {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": urllib.parse.quote_plus(k)}}}
                        for k in object_keys]}


# --- extract -----------------------------------------------------------------


def test_extract_writes_exactly_one_raw_object_honouring_rate_limits(configured):
    s3, secrets, spotify = configured
    spotify.faults |= {"429_once", "503_once"}
    sleeps = []
    summary = run_extract(s3, secrets, sleeps)
    assert keys(s3) == [RAW_KEY]
    document = read_json(s3, RAW_KEY)
    assert document["extracted_at"] == "2026-11-21T10:00:00+00:00"
    assert [(p["id"], len(p["items"])) for p in document["playlists"]] == [(PL_NEW, 3), (PL_OLD, 1), (PL_EDIT, 0)]
    assert document["playlists"][2]["error"].startswith("404:")
    assert document["playlists"][0]["items"][0]["item"]["id"] == "trk1aaaaaaaaaaaaaaaaaa"  # 2026 shape kept raw
    assert document["playlists"][1]["items"][0]["track"]["id"] == "trk2bbbbbbbbbbbbbbbbbb"  # old shape kept raw
    assert [a["id"] for a in document["artists"]] == [A1["id"], A2["id"], A3["id"]]
    assert sleeps == [2.0, 1.0]  # Retry-After honoured, then the 5xx backoff (second attempt: 1 s)
    pages = [path for method, path, status in spotify.log if "/items" in path and status == 200]
    assert len(pages) == 3  # PL_NEW's two pages followed by `next`, PL_OLD's one
    assert summary == {"key": RAW_KEY, "playlists": 3, "entries": 4, "artists": 3, "api_requests": len(spotify.log)}


def test_expired_token_is_refreshed_once(configured):
    s3, secrets, spotify = configured
    spotify.faults.add("expire_once")
    run_extract(s3, secrets)
    assert spotify.tokens_issued == 2
    assert keys(s3) == [RAW_KEY]


def test_token_request_retries_rate_limits_and_server_errors(configured):
    s3, secrets, spotify = configured
    spotify.faults |= {"token_429_once", "token_503_once"}
    sleeps = []
    run_extract(s3, secrets, sleeps)
    token_calls = [status for method, path, status in spotify.log if method == "POST"]
    assert token_calls == [429, 503, 200]
    assert sleeps == [3.0, 1.0]  # Retry-After honoured, then the 5xx backoff (second attempt: 1 s)
    assert keys(s3) == [RAW_KEY]


def test_unparseable_page_is_retried_like_a_server_error(configured):
    s3, secrets, spotify = configured
    spotify.faults.add("page_not_json_once")
    sleeps = []
    run_extract(s3, secrets, sleeps)
    document = read_json(s3, RAW_KEY)
    assert [(p["id"], len(p["items"])) for p in document["playlists"]] == [(PL_NEW, 3), (PL_OLD, 1), (PL_EDIT, 0)]
    assert sleeps == [0.5]


def test_a_page_without_items_fails_the_run_instead_of_shortening_the_playlist(configured):
    s3, secrets, spotify = configured
    spotify.faults.add("page_without_items")
    with pytest.raises(SpotifyApiError, match=r"200 .*not a JSON object with an 'items' list \(after 5 attempts\)"):
        run_extract(s3, secrets)
    assert keys(s3) == []  # nothing written: no short success
    second_pages = [s for m, p, s in spotify.log if "/items?offset=2" in p]
    assert second_pages == [200] * 5


def test_artist_cap_limits_requests(configured, monkeypatch):
    s3, secrets, spotify = configured
    monkeypatch.setenv("MAX_ARTISTS_PER_RUN", "1")
    run_extract(s3, secrets)
    document = read_json(s3, RAW_KEY)
    assert [a["id"] for a in document["artists"]] == [A1["id"]]
    assert document["artists_skipped_by_cap"] == 2


def test_failure_midway_leaves_nothing_written(configured):
    s3, secrets, spotify = configured
    spotify.faults.add("artists_500")
    with pytest.raises(SpotifyApiError, match="500"):
        run_extract(s3, secrets)
    assert keys(s3) == []
    artist_calls = [s for m, p, s in spotify.log if p.startswith("/v1/artists/")]
    assert artist_calls == [500] * 5  # bounded retries


def test_only_refused_playlists_is_an_error(configured, monkeypatch):
    s3, secrets, _ = configured
    monkeypatch.setenv("PLAYLIST_IDS", PL_EDIT)
    with pytest.raises(SpotifyApiError, match="none of the configured playlists could be read"):
        run_extract(s3, secrets)
    assert keys(s3) == []


def test_unset_secret_is_one_clear_message(aws, spotify, monkeypatch):
    s3, secrets = aws
    secrets.create_secret(Name=SECRET)  # created by the stack without a value
    for name, value in {"BUCKET_NAME": BUCKET, "SECRET_ARN": SECRET, "PLAYLIST_IDS": PL_NEW}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(extract.ConfigurationError) as failure:
        run_extract(s3, secrets)
    assert str(failure.value).startswith("the Spotify credentials secret has no value yet; set it with: "
                                         f"aws secretsmanager put-secret-value --secret-id {SECRET}")
    assert spotify.log == [] and keys(s3) == []


@pytest.mark.parametrize("value", ["not json", json.dumps({"client_id": "x"}), json.dumps(["x", "y"])])
def test_malformed_secret_is_one_clear_message(aws, monkeypatch, value):
    s3, secrets = aws
    secrets.create_secret(Name=SECRET, SecretString=value)
    for name, env_value in {"BUCKET_NAME": BUCKET, "SECRET_ARN": SECRET, "PLAYLIST_IDS": PL_NEW}.items():
        monkeypatch.setenv(name, env_value)
    with pytest.raises(extract.ConfigurationError, match="must be JSON with client_id and client_secret"):
        run_extract(s3, secrets)


# --- transform ---------------------------------------------------------------


@pytest.fixture
def extracted(configured):
    s3, secrets, spotify = configured
    run_extract(s3, secrets)
    return s3


EXPECTED_SONGS = [
    {"song_id": "trk1aaaaaaaaaaaaaaaaaa", "song_name": "Группа крови", "duration_ms": 200000, "explicit": False,
     "popularity": None, "url": "https://open.spotify.com/track/trk1aaaaaaaaaaaaaaaaaa",
     "song_added": "2026-11-01T10:00:00Z", "playlist_id": PL_NEW, "album_id": "alb1aaaaaaaaaaaaaaaaaa",
     "artist_id": A1["id"], "artist_ids": [A1["id"]]},
    {"song_id": "trk2bbbbbbbbbbbbbbbbbb", "song_name": "Duet", "duration_ms": 200000, "explicit": False,
     "popularity": None, "url": "https://open.spotify.com/track/trk2bbbbbbbbbbbbbbbbbb",
     "song_added": "2026-11-02T10:00:00Z", "playlist_id": PL_NEW, "album_id": "alb2bbbbbbbbbbbbbbbbbb",
     "artist_id": A2["id"], "artist_ids": [A2["id"], A3["id"]]},
]
STEM = "spotify_raw_20261121T100000000000Z"


def test_transform_writes_rows_and_moves_the_raw_file(extracted):
    s3 = extracted
    result = transform.handler(s3_event(RAW_KEY), None, s3=s3)
    assert result == {"results": [{"key": RAW_KEY, "status": "processed", "songs": 2, "albums": 2, "artists": 3}]}
    assert read_lines(s3, f"transformed_data/songs_data/songs_{STEM}.jsonl") == EXPECTED_SONGS
    albums = read_lines(s3, f"transformed_data/albums_data/albums_{STEM}.jsonl")
    assert [(a["album_id"], a["name"], a["release_date"], a["total_tracks"]) for a in albums] == [
        ("alb1aaaaaaaaaaaaaaaaaa", "Группа крови", "2024-05-17", 12),
        ("alb2bbbbbbbbbbbbbbbbbb", "Together", "2024-05-17", 12)]
    artists = read_lines(s3, f"transformed_data/artists_data/artists_{STEM}.jsonl")
    assert [(a["artist_id"], a["artist_name"], a["followers"], a["popularity"], a["genres"]) for a in artists] == [
        (A1["id"], "Кино", None, None, ["russian rock"]),
        (A2["id"], "米津玄師", 2500000, 80, ["j-pop"]),
        (A3["id"], "Earth, Wind & Fire", None, None, ["soul"]),
    ]
    assert keys(s3, "raw_data/") == [f"raw_data/processed/{STEM}.json"]


def test_redelivered_event_neither_duplicates_nor_fails(extracted):
    s3 = extracted
    transform.handler(s3_event(RAW_KEY), None, s3=s3)
    before = {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys(s3)}
    again = transform.handler(s3_event(RAW_KEY), None, s3=s3)
    assert again["results"][0]["status"] == "already processed"
    assert {k: s3.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys(s3)} == before


def test_malformed_file_moves_to_errors_and_does_not_block_the_next(extracted):
    s3 = extracted
    bad_key = "raw_data/to_processed/spotify_raw_bad.json"
    s3.put_object(Bucket=BUCKET, Key=bad_key, Body=b"{ this is not json")
    result = transform.handler(s3_event(bad_key, RAW_KEY), None, s3=s3)
    statuses = [(r["key"], r["status"]) for r in result["results"]]
    assert statuses == [(bad_key, "error"), (RAW_KEY, "processed")]
    assert keys(s3, "raw_data/errors/") == ["raw_data/errors/spotify_raw_bad.json",
                                            "raw_data/errors/spotify_raw_bad.json.reason.txt"]
    reason = s3.get_object(Bucket=BUCKET, Key="raw_data/errors/spotify_raw_bad.json.reason.txt")["Body"].read()
    assert reason.decode().startswith("JSONDecodeError:")
    assert keys(s3, "raw_data/to_processed/") == []


def test_a_failed_move_loses_nothing_and_a_retry_completes(extracted):
    s3 = extracted

    class CopyFails:
        def __init__(self, client):
            self.client = client

        def __getattr__(self, name):
            if name == "copy_object":
                raise RuntimeError("S3 copy failed")
            return getattr(self.client, name)

    with pytest.raises(RuntimeError, match="S3 copy failed"):
        transform.handler(s3_event(RAW_KEY), None, s3=CopyFails(s3))
    assert RAW_KEY in keys(s3)  # the raw file stays until it has been copied
    assert transform.handler(s3_event(RAW_KEY), None, s3=s3)["results"][0]["status"] == "processed"
    assert len(keys(s3, "transformed_data/songs_data/")) == 1  # the retry overwrote, not duplicated
    assert keys(s3, "raw_data/") == [f"raw_data/processed/{STEM}.json"]


def test_keys_outside_the_landing_prefix_are_ignored(extracted):
    assert transform.handler(s3_event("raw_data/processed/x.json"), None, s3=extracted) == {"results": []}
