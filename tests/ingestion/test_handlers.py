"""The ingestion Lambdas against moto (S3, Secrets Manager) and a fake Spotify API on 127.0.0.1."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import boto3
import pytest
from moto import mock_aws

RUNTIME = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       "ingestion", "runtime")
sys.path.insert(0, RUNTIME)

import extract  # noqa: E402
import transform  # noqa: E402
from spotify_api import ConsentExpired, QuotaExceeded, SpotifyApiError  # noqa: E402

from tests.ingestion.support.api_tables import query_answers, table_rows  # noqa: E402
from tests.ingestion.support.fake_spotify import (  # noqa: E402
    A1, A2, A3, CLIENT_ID, CLIENT_SECRET, PL_EDIT, PL_NEW, PL_OLD, PL_OTHER, FakeSpotify,
)

BUCKET = "spotify-landing"
SECRET = "spotify/spotify/client-credentials"
NOW = dt.datetime(2026, 11, 21, 10, 0, 0, tzinfo=dt.timezone.utc)
RAW_KEY = "raw_data/to_processed/spotify_raw_20261121T100000000000Z.json"
LOGIN = 'make cloud ARGS="spotify-login --prefix alice"'
CONSENTED_AT = "2026-11-20T09:00:00+00:00"
REFUSED_403 = ("403: not owned by or shared with the consenting account (since February 2026 Spotify serves a "
               "playlist's items only to its owner or a collaborator)")
REFUSED_404 = "404: not found (Spotify-owned editorial and algorithmic playlists answer 404 since November 2024)"


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


def environment(monkeypatch, spotify, playlists: str) -> None:
    for name, value in {"BUCKET_NAME": BUCKET, "SECRET_ARN": SECRET, "PLAYLIST_IDS": playlists,
                        "MAX_ARTISTS_PER_RUN": "10", "RESOURCE_PREFIX": "alice",
                        "SPOTIFY_API_BASE_URL": spotify.url, "SPOTIFY_ACCOUNTS_URL": spotify.url}.items():
        monkeypatch.setenv(name, value)


def consent(spotify) -> dict:
    """The secret's value once spotify-login ran (tests/cloud_pipeline/test_spotify_login.py runs the real flow)."""
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": spotify.consent(),
            "consented_at": CONSENTED_AT}


@pytest.fixture
def configured(aws, spotify, monkeypatch):
    s3, secrets = aws
    secrets.create_secret(Name=SECRET, SecretString=json.dumps(consent(spotify)))
    environment(monkeypatch, spotify, f"{PL_NEW},{PL_OLD},{PL_OTHER},{PL_EDIT}")
    return s3, secrets, spotify


def keys(s3, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", []))


def read_json(s3, key):
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def read_lines(s3, key):
    return [json.loads(line) for line in s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode().splitlines()]


def secret_value(secrets):
    return json.loads(secrets.get_secret_value(SecretId=SECRET)["SecretString"])


def run_extract(s3, secrets, sleeps=None, now=NOW):
    return extract.handler({}, None, s3=s3, secrets=secrets, sleep=(sleeps.append if sleeps is not None else
                                                                     (lambda _: None)), now=now)


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
    assert [(p["id"], len(p["items"]), p["error"]) for p in document["playlists"]] == [
        (PL_NEW, 3, None), (PL_OLD, 1, None), (PL_OTHER, 0, REFUSED_403), (PL_EDIT, 0, REFUSED_404)]
    assert document["playlists"][0]["items"][0]["item"]["id"] == "trk1aaaaaaaaaaaaaaaaaa"  # 2026 shape kept raw
    assert document["playlists"][1]["items"][0]["track"]["id"] == "trk2bbbbbbbbbbbbbbbbbb"  # old shape kept raw
    assert [a["id"] for a in document["artists"]] == [A1["id"], A2["id"], A3["id"]]
    assert sleeps == [2.0, 1.0]  # Retry-After honoured, then the 5xx backoff (second attempt: 1 s)
    pages = [path for method, path, status in spotify.log if "/items" in path and status == 200]
    assert len(pages) == 3  # PL_NEW's two pages followed by `next`, PL_OLD's one
    assert summary == {"key": RAW_KEY, "playlists": 4, "entries": 4, "artists": 3, "api_requests": len(spotify.log)}


def test_the_rotated_refresh_token_is_stored_and_used_by_the_next_run(configured):
    s3, secrets, spotify = configured
    first = secret_value(secrets)["refresh_token"]
    run_extract(s3, secrets)
    stored = secret_value(secrets)
    assert stored["refresh_token"] != first and spotify.live_refresh_tokens() == {stored["refresh_token"]}
    # Everything else is kept: refreshing does not extend the consent.
    assert {k: v for k, v in stored.items() if k != "refresh_token"} == {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "consented_at": CONSENTED_AT}
    run_extract(s3, secrets, now=NOW + dt.timedelta(hours=1))  # works only with the stored token
    assert len(keys(s3, "raw_data/to_processed/")) == 2


def test_a_refresh_without_rotation_leaves_the_secret_alone(configured):
    s3, secrets, spotify = configured
    spotify.faults.add("no_rotation")
    before = secrets.get_secret_value(SecretId=SECRET)["VersionId"]
    run_extract(s3, secrets)
    assert secrets.get_secret_value(SecretId=SECRET)["VersionId"] == before


def test_an_expired_or_revoked_consent_is_one_message_naming_the_renewal(configured):
    s3, secrets, spotify = configured
    spotify.expire_consents()
    with pytest.raises(ConsentExpired) as failure:
        run_extract(s3, secrets)
    assert str(failure.value) == (
        "the Spotify consent expired or was revoked (Spotify refused the refresh token: invalid_grant; a consent "
        f"lasts 6 months): renew it with {LOGIN}")
    assert [(m, p) for m, p, _ in spotify.log] == [("POST", "/api/token")]  # no playlist request
    assert keys(s3) == []


def test_quota_exceeded_ends_the_run_at_once(configured):
    s3, secrets, spotify = configured
    spotify.faults.add("quota_exceeded")
    sleeps = []
    with pytest.raises(QuotaExceeded, match=r"429 .*quota is used up \(QUOTA_EXCEEDED\); the run stops now"):
        run_extract(s3, secrets, sleeps)
    assert [s for m, p, s in spotify.log if m == "GET"] == [429]  # not retried, Retry-After not waited for
    assert sleeps == [] and keys(s3) == []


def test_expired_access_token_is_refreshed_once(configured):
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
    assert [(p["id"], len(p["items"])) for p in document["playlists"]][:2] == [(PL_NEW, 3), (PL_OLD, 1)]
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


def test_only_refused_playlists_is_an_error_naming_each_rule(configured, monkeypatch):
    s3, secrets, _ = configured
    monkeypatch.setenv("PLAYLIST_IDS", f"{PL_OTHER},{PL_EDIT}")
    with pytest.raises(SpotifyApiError) as failure:
        run_extract(s3, secrets)
    assert str(failure.value) == ("Spotify API 403 for playlists: none of the configured playlists could be read: "
                                  f"{PL_OTHER}: {REFUSED_403}; {PL_EDIT}: {REFUSED_404}")
    assert keys(s3) == []


def test_an_app_only_token_reads_no_playlist(spotify):
    """Spotify's rule the extractor is built around: client credentials give a token with no user, and
    playlist items answer 403 to it, even the user's own playlist."""
    credentials = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    request = urllib.request.Request(f"{spotify.url}/api/token", data=b"grant_type=client_credentials",
                                     headers={"Authorization": f"Basic {credentials}"})
    with urllib.request.urlopen(request) as response:
        app_token = json.loads(response.read())["access_token"]
    for playlist in (PL_NEW, PL_OLD, PL_OTHER):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(f"{spotify.url}/v1/playlists/{playlist}/items",
                                                          headers={"Authorization": f"Bearer {app_token}"}))
        assert refused.value.code == 403


@pytest.mark.parametrize("value", [None, json.dumps({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})],
                         ids=["no value yet", "the old client-credentials secret"])
def test_no_consent_yet_is_one_line_naming_the_command_and_no_request(aws, spotify, monkeypatch, value):
    s3, secrets = aws
    secrets.create_secret(Name=SECRET, **({"SecretString": value} if value else {}))
    environment(monkeypatch, spotify, PL_NEW)
    with pytest.raises(extract.ConfigurationError) as failure:
        run_extract(s3, secrets)
    detail = "the secret has no value" if value is None else (
        "the secret holds no refresh_token, only the app's credentials, and since February 2026 an app token reads "
        "no playlist: Spotify serves a playlist's items only to its owner or a collaborator")
    assert str(failure.value) == f"no Spotify consent yet ({detail}); give it once from your laptop with: {LOGIN}"
    assert spotify.log == [] and keys(s3) == []


@pytest.mark.parametrize("value", ["not json", json.dumps(["x", "y"])])
def test_malformed_secret_is_one_clear_message(aws, spotify, monkeypatch, value):
    s3, secrets = aws
    secrets.create_secret(Name=SECRET, SecretString=value)
    environment(monkeypatch, spotify, PL_NEW)
    with pytest.raises(extract.ConfigurationError, match="is not JSON with client_id, client_secret and refresh_token"):
        run_extract(s3, secrets)
    assert spotify.log == []


# --- transform ---------------------------------------------------------------


@pytest.fixture
def extracted(configured):
    s3, secrets, spotify = configured
    run_extract(s3, secrets)
    return s3


EXPECTED_SONGS = [
    {"song_id": "trk1aaaaaaaaaaaaaaaaaa", "song_name": "Группа крови", "duration_ms": 200000, "explicit": False,
     "popularity": None, "url": "https://open.spotify.com/track/trk1aaaaaaaaaaaaaaaaaa",
     "song_added": "2026-11-01T10:00:00Z", "playlist_ids": [PL_NEW], "album_id": "alb1aaaaaaaaaaaaaaaaaa",
     "artist_id": A1["id"], "artist_ids": [A1["id"]]},
    # In both playlists: a member of each, first added on the earlier entry, popularity from the older answer.
    {"song_id": "trk2bbbbbbbbbbbbbbbbbb", "song_name": "Duet", "duration_ms": 200000, "explicit": False,
     "popularity": 71, "url": "https://open.spotify.com/track/trk2bbbbbbbbbbbbbbbbbb",
     "song_added": "2025-01-01T00:00:00Z", "playlist_ids": [PL_NEW, PL_OLD], "album_id": "alb2bbbbbbbbbbbbbbbbbb",
     "artist_id": A2["id"], "artist_ids": [A2["id"], A3["id"]]},
]
EXPECTED_MEMBERSHIP = [
    {"playlist_id": PL_NEW, "song_id": "trk1aaaaaaaaaaaaaaaaaa", "added_at": "2026-11-01T10:00:00Z", "position": 0},
    {"playlist_id": PL_NEW, "song_id": "trk2bbbbbbbbbbbbbbbbbb", "added_at": "2026-11-02T10:00:00Z", "position": 1},
    {"playlist_id": PL_OLD, "song_id": "trk2bbbbbbbbbbbbbbbbbb", "added_at": "2025-01-01T00:00:00Z", "position": 0},
]
STEM = "spotify_raw_20261121T100000000000Z"
CURRENT = ["transformed_data/_state/current_run.json", "transformed_data/albums_data/albums.jsonl",
           "transformed_data/artists_data/artists.jsonl", "transformed_data/playlist_tracks_data/playlist_tracks.jsonl",
           "transformed_data/songs_data/songs.jsonl"]


def test_transform_writes_the_current_state_and_the_history_and_moves_the_raw_file(extracted):
    s3 = extracted
    result = transform.handler(s3_event(RAW_KEY), None, s3=s3)
    assert result == {"results": [{"key": RAW_KEY, "status": "processed", "songs": 2, "albums": 2, "artists": 3,
                                   "playlist_tracks": 3}]}
    history = f"transformed_data/playlist_tracks_history/playlist_tracks_{STEM}.jsonl"
    assert keys(s3, "transformed_data/") == sorted([*CURRENT, history])
    assert read_lines(s3, "transformed_data/songs_data/songs.jsonl") == EXPECTED_SONGS
    assert read_lines(s3, "transformed_data/playlist_tracks_data/playlist_tracks.jsonl") == EXPECTED_MEMBERSHIP
    assert read_lines(s3, history) == [{"run_at": "2026-11-21T10:00:00+00:00", **row} for row in EXPECTED_MEMBERSHIP]
    albums = read_lines(s3, "transformed_data/albums_data/albums.jsonl")
    # What a Development Mode answer leaves out is null; the older answer of PL_OLD had a label.
    assert [(a["album_id"], a["name"], a["total_tracks"], a["label"], a["popularity"]) for a in albums] == [
        ("alb1aaaaaaaaaaaaaaaaaa", "Группа крови", 12, None, None),
        ("alb2bbbbbbbbbbbbbbbbbb", "Together", 12, "Sony Music", 61)]
    artists = read_lines(s3, "transformed_data/artists_data/artists.jsonl")
    assert [(a["artist_id"], a["artist_name"], a["followers"], a["popularity"], a["genres"]) for a in artists] == [
        (A1["id"], "Кино", None, None, ["russian rock"]),
        (A2["id"], "米津玄師", 2500000, 80, ["j-pop"]),
        (A3["id"], "Earth, Wind & Fire", None, None, None),
    ]
    assert read_json(s3, "transformed_data/_state/current_run.json") == {
        "extracted_at": "2026-11-21T10:00:00+00:00", "raw_file": f"{STEM}.json"}
    assert keys(s3, "raw_data/") == [f"raw_data/processed/{STEM}.json"]


def extract_and_transform(s3, secrets, now):
    raw = run_extract(s3, secrets, now=now)["key"]
    return transform.handler(s3_event(raw), None, s3=s3)["results"][0]


ONE_RUN_ANSWERS = {
    "albums_with_most_tracks_api": (["album_name", "release_date", "total_tracks", "label"], [
        ("Together", "2024-05-17", 12, "Sony Music"), ("Группа крови", "2024-05-17", 12, None)]),
    "artist_collaborations_api": (["song_name", "artist_count", "artists"], [
        ("Duet", 2, "Earth, Wind & Fire, 米津玄師")]),
    "most_popular_songs_api": (["song_name", "popularity", "song_added", "playlists"], [
        ("Duet", 71, "2025-01-01T00:00:00Z", f"{PL_NEW}, {PL_OLD}")]),
    "playlist_changes_api": (["playlist_id", "run_at", "songs", "added", "removed"], [
        (PL_NEW, "2026-11-21T10:00:00+00:00", 2, 2, 0), (PL_OLD, "2026-11-21T10:00:00+00:00", 1, 1, 0)]),
    "songs_added_per_month_api": (["playlist_id", "month_added", "songs"], [
        (PL_NEW, "2026-11", 2), (PL_OLD, "2025-01", 1)]),
}


def test_hourly_runs_over_unchanged_playlists_answer_every_named_query_as_one_run(configured):
    s3, secrets, _ = configured
    extract_and_transform(s3, secrets, NOW)
    assert query_answers(s3, BUCKET) == ONE_RUN_ANSWERS
    one_run = table_rows(s3, BUCKET)
    for hour in (1, 2):
        assert extract_and_transform(s3, secrets, NOW + dt.timedelta(hours=hour))["status"] == "processed"
    assert query_answers(s3, BUCKET) == ONE_RUN_ANSWERS
    three_runs = table_rows(s3, BUCKET)
    assert {name: rows for name, rows in three_runs.items() if name != "playlist_tracks_history"} == {
        name: rows for name, rows in one_run.items() if name != "playlist_tracks_history"}
    assert len(three_runs["playlist_tracks_history"]) == 3 * len(one_run["playlist_tracks_history"]) == 9


def test_a_removed_song_leaves_the_current_answer_and_stays_in_the_history(configured):
    s3, secrets, spotify = configured
    extract_and_transform(s3, secrets, NOW)
    spotify.remove_entry(PL_NEW, "trk1aaaaaaaaaaaaaaaaaa")
    later = NOW + dt.timedelta(hours=1)
    extract_and_transform(s3, secrets, later)
    assert [s["song_id"] for s in read_lines(s3, "transformed_data/songs_data/songs.jsonl")] == [
        "trk2bbbbbbbbbbbbbbbbbb"]
    answers = query_answers(s3, BUCKET)
    assert answers["albums_with_most_tracks_api"][1] == [("Together", "2024-05-17", 12, "Sony Music")]
    assert answers["songs_added_per_month_api"][1] == [(PL_NEW, "2026-11", 1), (PL_OLD, "2025-01", 1)]
    assert answers["playlist_changes_api"][1] == [
        (PL_NEW, "2026-11-21T11:00:00+00:00", 1, 0, 1),
        (PL_NEW, "2026-11-21T10:00:00+00:00", 2, 2, 0), (PL_OLD, "2026-11-21T10:00:00+00:00", 1, 1, 0)]
    history = table_rows(s3, BUCKET)["playlist_tracks_history"]
    assert ("2026-11-21T10:00:00+00:00", PL_NEW, "trk1aaaaaaaaaaaaaaaaaa", "2026-11-01T10:00:00Z", 0) in history


def test_an_older_run_processed_late_never_replaces_the_current_state(configured):
    s3, secrets, spotify = configured
    run_extract(s3, secrets, now=NOW)
    (older,) = keys(s3, "raw_data/to_processed/")
    spotify.remove_entry(PL_NEW, "trk1aaaaaaaaaaaaaaaaaa")
    newer = extract_and_transform(s3, secrets, NOW + dt.timedelta(hours=1))
    assert newer["status"] == "processed"
    late = transform.handler(s3_event(older), None, s3=s3)["results"][0]
    assert late["status"] == "processed, older than the current state"
    assert [s["song_id"] for s in read_lines(s3, "transformed_data/songs_data/songs.jsonl")] == [
        "trk2bbbbbbbbbbbbbbbbbb"]
    assert len(keys(s3, "transformed_data/playlist_tracks_history/")) == 2  # both runs are history


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


def test_a_document_without_its_run_time_is_malformed(extracted):
    s3 = extracted
    bad_key = "raw_data/to_processed/spotify_raw_undated.json"
    s3.put_object(Bucket=BUCKET, Key=bad_key, Body=json.dumps({"playlists": []}).encode())
    (result,) = transform.handler(s3_event(bad_key), None, s3=s3)["results"]
    assert result["reason"] == "MalformedRawFile: the extract document's 'extracted_at' is not an ISO 8601 time: None"
    assert keys(s3, "transformed_data/") == []


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
    assert len(keys(s3, "transformed_data/playlist_tracks_history/")) == 1  # the retry overwrote, not duplicated
    assert keys(s3, "raw_data/") == [f"raw_data/processed/{STEM}.json"]


def test_keys_outside_the_landing_prefix_are_ignored(extracted):
    assert transform.handler(s3_event("raw_data/processed/x.json"), None, s3=extracted) == {"results": []}
