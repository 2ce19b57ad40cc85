"""Extract Lambda: playlists and their artists from the Spotify Web API -> one raw
JSON object per run under raw_data/to_processed/, written in a single put.

It reads as the user who consented once from the operator's laptop (spotify-login): the secret holds
client_id, client_secret and that user's refresh_token. A rotated refresh token is stored back at once."""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

import boto3
from botocore.exceptions import ClientError

from spotify_api import (
    DEFAULT_ACCOUNTS_URL,
    DEFAULT_API_BASE_URL,
    SpotifyApiError,
    SpotifyClient,
    entry_object,
    login_command,
)

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
RAW_PREFIX = "raw_data/to_processed/"


class ConfigurationError(Exception):
    pass


SKIP_REASONS = {
    403: "not owned by or shared with the consenting account (since February 2026 Spotify serves a playlist's "
         "items only to its owner or a collaborator)",
    404: "not found (Spotify-owned editorial and algorithmic playlists answer 404 since November 2024)",
}


def read_consent(secrets, secret_id: str, prefix: str) -> dict:
    """client_id, client_secret and the consenting user's refresh_token from the secret; one clear message,
    naming the command that gives consent, when there is none yet (no value, or the old client-credentials
    JSON) or the value is not usable."""
    give_consent = f"give it once from your laptop with: {login_command(prefix)}"
    try:
        raw = secrets.get_secret_value(SecretId=secret_id).get("SecretString")
    except ClientError as error:
        if error.response["Error"]["Code"] in ("ResourceNotFoundException", "InvalidRequestException"):
            raise ConfigurationError(f"no Spotify consent yet (the secret has no value); {give_consent}") from None
        raise
    try:
        value = json.loads(raw or "")
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, dict):
        raise ConfigurationError("the Spotify credentials secret is not JSON with client_id, client_secret and "
                                 f"refresh_token; {give_consent}")
    if not value.get("refresh_token"):
        raise ConfigurationError(
            "no Spotify consent yet (the secret holds no refresh_token, only the app's credentials, and since "
            "February 2026 an app token reads no playlist: Spotify serves a playlist's items only to its owner "
            f"or a collaborator); {give_consent}")
    fields = ("client_id", "client_secret", "refresh_token")
    if not all(isinstance(value.get(name), str) and value[name] for name in fields):
        raise ConfigurationError("the Spotify credentials secret has an empty client_id, client_secret or "
                                 f"refresh_token; {give_consent}")
    return value


def extract(client: SpotifyClient, playlist_ids: list[str], max_artists: int) -> dict:
    """Everything one run fetched. A playlist Spotify refuses (403: neither owned by nor shared with the
    consenting account; 404: gone or Spotify-owned) is recorded with the rule that refused it, not fatal;
    all refused is."""
    playlists, artist_ids = [], []
    for playlist_id in playlist_ids:
        try:
            entries = client.playlist_items(playlist_id)
            playlists.append({"id": playlist_id, "items": entries, "error": None})
        except SpotifyApiError as error:
            if error.status not in SKIP_REASONS:
                raise
            reason = f"{error.status}: {SKIP_REASONS[error.status]}"
            LOG.warning("playlist %s skipped: %s", playlist_id, reason)
            playlists.append({"id": playlist_id, "items": [], "error": reason})
            continue
        for entry in entries:
            track = entry_object(entry) or {}
            for artist in track.get("artists") or []:
                if artist.get("id") and artist["id"] not in artist_ids:
                    artist_ids.append(artist["id"])
    if playlists and all(p["error"] for p in playlists):
        raise SpotifyApiError(int(playlists[0]["error"][:3]), "playlists", "none of the configured playlists could be "
                              "read: " + "; ".join(f"{p['id']}: {p['error']}" for p in playlists))
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
    prefix = os.environ.get("RESOURCE_PREFIX", "<prefix>")
    s3 = s3 or boto3.client("s3")
    secrets = secrets or boto3.client("secretsmanager")
    consent = read_consent(secrets, secret_id, prefix)

    def store_rotated(refresh_token: str) -> None:
        # Stored before anything else happens: the old refresh token may already be void.
        consent["refresh_token"] = refresh_token
        secrets.put_secret_value(SecretId=secret_id, SecretString=json.dumps(consent))

    client = SpotifyClient(
        consent["client_id"],
        consent["client_secret"],
        consent["refresh_token"],
        on_new_refresh_token=store_rotated,
        renew_with=login_command(prefix),
        api_base_url=os.environ.get("SPOTIFY_API_BASE_URL", DEFAULT_API_BASE_URL),
        accounts_url=os.environ.get("SPOTIFY_ACCOUNTS_URL", DEFAULT_ACCOUNTS_URL),
        **({"sleep": sleep} if sleep else {}),
    )
    started = now or datetime.now(timezone.utc)
    fetched = extract(client, playlist_ids, max_artists)
    document = {"extracted_at": started.isoformat(timespec="seconds"), "playlist_ids": playlist_ids, **fetched}
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
