"""Extract Lambda: playlists and their artists from the Spotify Web API -> one raw
JSON object per run under raw_data/to_processed/, written in a single put."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

import boto3
from botocore.exceptions import ClientError

from spotify_api import DEFAULT_ACCOUNTS_URL, DEFAULT_API_BASE_URL, SpotifyApiError, SpotifyClient, entry_object

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
RAW_PREFIX = "raw_data/to_processed/"


class ConfigurationError(Exception):
    pass


def read_credentials(secrets, secret_id: str) -> tuple[str, str]:
    """client_id and client_secret from the secret; one clear message when it is unset or malformed."""
    how_to_set = (
        f"set it with: aws secretsmanager put-secret-value --secret-id {secret_id} "
        "--secret-string '{\"client_id\":\"...\",\"client_secret\":\"...\"}'"
    )
    try:
        raw = secrets.get_secret_value(SecretId=secret_id).get("SecretString")
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ResourceNotFoundException", "InvalidRequestException"):
            raise ConfigurationError(f"the Spotify credentials secret has no value yet; {how_to_set}") from None
        raise
    try:
        value = json.loads(raw or "")
        client_id, client_secret = value["client_id"], value["client_secret"]
    except (json.JSONDecodeError, TypeError, KeyError):
        raise ConfigurationError(
            f"the Spotify credentials secret must be JSON with client_id and client_secret; {how_to_set}"
        ) from None
    if not (isinstance(client_id, str) and isinstance(client_secret, str) and client_id and client_secret):
        raise ConfigurationError(
            f"the Spotify credentials secret has an empty client_id or client_secret; {how_to_set}"
        )
    return client_id, client_secret


def extract(client: SpotifyClient, playlist_ids: list[str], max_artists: int) -> dict:
    """Everything one run fetched. A playlist Spotify refuses (404: Spotify-owned
    editorial or algorithmic playlists) is recorded with its error, not fatal."""
    playlists, artist_ids = [], []
    for playlist_id in playlist_ids:
        try:
            entries = client.playlist_items(playlist_id)
            playlists.append({"id": playlist_id, "items": entries, "error": None})
        except SpotifyApiError as error:
            if error.status not in (403, 404):
                raise
            LOG.warning("playlist %s skipped: %s", playlist_id, error)
            playlists.append({"id": playlist_id, "items": [], "error": f"{error.status}: {error}"})
            continue
        for entry in entries:
            track = entry_object(entry) or {}
            for artist in track.get("artists") or []:
                if artist.get("id") and artist["id"] not in artist_ids:
                    artist_ids.append(artist["id"])
    if playlists and all(p["error"] for p in playlists):
        raise SpotifyApiError(404, "playlists", "none of the configured playlists could be read: " +
                              "; ".join(p["error"] for p in playlists))
    artists = []
    for artist_id in artist_ids[:max_artists]:
        try:
            artists.append(client.artist(artist_id))
        except SpotifyApiError as error:
            if error.status != 404:
                raise
    return {
        "playlists": playlists,
        "artists": artists,
        "artists_skipped_by_cap": max(0, len(artist_ids) - max_artists),
    }


def raw_key(now: datetime) -> str:
    return f"{RAW_PREFIX}spotify_raw_{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"


def handler(event, context, *, s3=None, secrets=None, sleep=None, now=None):
    bucket = os.environ["BUCKET_NAME"]
    secret_id = os.environ["SECRET_ARN"]
    playlist_ids = [p.strip() for p in os.environ["PLAYLIST_IDS"].split(",") if p.strip()]
    max_artists = int(os.environ.get("MAX_ARTISTS_PER_RUN", "200"))
    s3 = s3 or boto3.client("s3")
    secrets = secrets or boto3.client("secretsmanager")
    client_id, client_secret = read_credentials(secrets, secret_id)
    client = SpotifyClient(
        client_id,
        client_secret,
        api_base_url=os.environ.get("SPOTIFY_API_BASE_URL", DEFAULT_API_BASE_URL),
        accounts_url=os.environ.get("SPOTIFY_ACCOUNTS_URL", DEFAULT_ACCOUNTS_URL),
        **({"sleep": sleep} if sleep else {}),
    )
    started = now or datetime.now(timezone.utc)
    fetched = extract(client, playlist_ids, max_artists)
    document = {"extracted_at": started.isoformat(), "playlist_ids": playlist_ids, **fetched}
    key = raw_key(started)
    # One put, after everything was fetched: a failed run leaves nothing behind.
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(document).encode("utf-8"),
                  ContentType="application/json")
    summary = {
        "key": key,
        "playlists": len(playlist_ids),
        "entries": sum(len(p["items"]) for p in fetched["playlists"]),
        "artists": len(fetched["artists"]),
        "api_requests": client.requests,
    }
    LOG.info("extracted %s", json.dumps(summary))
    return summary
