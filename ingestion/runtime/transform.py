"""Transform Lambda: one raw file under raw_data/to_processed/ -> the current state and the history under
transformed_data/, then the raw file moves to raw_data/processed/. A malformed raw file moves to
raw_data/errors/ with its reason and never blocks later files.

Each run is a snapshot of the playlists. The current state is one file per table that each run replaces
(songs, albums, artists, playlist_tracks: a song in two playlists is in both), so however many hourly
runs went by over unchanged playlists, the tables answer as after one; a removed song leaves them. An
older run processed late never replaces a newer current state. The history keeps every run's
membership (playlist_tracks_history, one file per run), for questions over time.
"""

from __future__ import annotations

import json
import logging
import posixpath
import urllib.parse
from datetime import datetime, timezone

import boto3
from botocore.exceptions import ClientError

from spotify_api import entry_object

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
TO_PROCESS = "raw_data/to_processed/"
PROCESSED = "raw_data/processed/"
ERRORS = "raw_data/errors/"
TRANSFORMED = "transformed_data/"
CURRENT = {kind: f"{TRANSFORMED}{kind}_data/{kind}.jsonl" for kind in ("songs", "albums", "artists", "playlist_tracks")}
HISTORY = f"{TRANSFORMED}playlist_tracks_history/"
# Which run the current state is; outside every crawled folder.
CURRENT_RUN = f"{TRANSFORMED}_state/current_run.json"


class MalformedRawFile(Exception):
    pass


def _absent_as_null(value):
    """Development Mode answers leave out popularity, followers, label and genres: null, never 0 or ''."""
    return None if value in (None, "", []) else value


def _keep(rows: dict, key: str, row: dict) -> dict:
    """The row for `key`, first seen wins; a field the first entry lacked is taken from a later one (the
    same song may come once without popularity and once, from an older answer, with it)."""
    kept = rows.setdefault(key, row)
    for name, value in row.items():
        if kept.get(name) is None and value is not None:
            kept[name] = value
    return kept


def rows_from_raw(document) -> dict[str, list[dict]]:
    """Deduplicated songs, albums and artists, and the playlist membership of every song."""
    if not isinstance(document, dict) or not isinstance(document.get("playlists"), list):
        raise MalformedRawFile("not an extract document: expected an object with a 'playlists' list")
    songs, albums, artists, memberships = {}, {}, {}, {}
    details = {a["id"]: a for a in document.get("artists") or [] if isinstance(a, dict) and a.get("id")}
    for playlist in document["playlists"]:
        if not isinstance(playlist, dict) or not isinstance(playlist.get("items", []), list):
            raise MalformedRawFile("a playlist entry is not an object with an 'items' list")
        for position, entry in enumerate(playlist.get("items") or []):
            if not isinstance(entry, dict):
                raise MalformedRawFile("a playlist item is not an object")
            track = entry_object(entry)
            # Local files, podcast episodes and removed tracks carry no track id.
            if not track or track.get("type", "track") != "track" or not track.get("id"):
                continue
            album = track.get("album") or {}
            track_artists = [a for a in track.get("artists") or [] if isinstance(a, dict) and a.get("id")]
            memberships.setdefault((playlist.get("id"), track["id"]), {
                "playlist_id": playlist.get("id"), "song_id": track["id"], "added_at": entry.get("added_at"),
                "position": position})
            song = _keep(songs, track["id"], {
                "song_id": track["id"],
                "song_name": track.get("name"),
                "duration_ms": track.get("duration_ms"),
                "explicit": track.get("explicit"),
                "popularity": _absent_as_null(track.get("popularity")),
                "url": (track.get("external_urls") or {}).get("spotify"),
                "song_added": entry.get("added_at"),
                "playlist_ids": [],
                "album_id": album.get("id"),
                "artist_id": track_artists[0]["id"] if track_artists else None,
                "artist_ids": [a["id"] for a in track_artists],
            })
            if playlist.get("id") not in song["playlist_ids"]:
                song["playlist_ids"].append(playlist.get("id"))
            # The song was first added to any playlist at the earliest of its entries.
            if entry.get("added_at") and (song["song_added"] is None or entry["added_at"] < song["song_added"]):
                song["song_added"] = entry["added_at"]
            if album.get("id"):
                _keep(albums, album["id"], {
                    "album_id": album["id"],
                    "name": album.get("name"),
                    "release_date": album.get("release_date"),
                    "release_date_precision": album.get("release_date_precision"),
                    "total_tracks": album.get("total_tracks"),
                    "label": _absent_as_null(album.get("label")),
                    "popularity": _absent_as_null(album.get("popularity")),
                    "url": (album.get("external_urls") or {}).get("spotify"),
                })
            for artist in track_artists:
                detail = details.get(artist["id"], {})
                _keep(artists, artist["id"], {
                    "artist_id": artist["id"],
                    "artist_name": artist.get("name") or detail.get("name"),
                    "url": (artist.get("external_urls") or {}).get("spotify"),
                    "followers": _absent_as_null((detail.get("followers") or {}).get("total")),
                    "popularity": _absent_as_null(detail.get("popularity")),
                    "genres": _absent_as_null(detail.get("genres")),
                })
    return {"songs": list(songs.values()), "albums": list(albums.values()), "artists": list(artists.values()),
            "playlist_tracks": list(memberships.values())}


def history_key(raw_key: str) -> str:
    """Derived from the raw file's name, so a redelivered event overwrites instead of duplicating."""
    stem = posixpath.splitext(posixpath.basename(raw_key))[0]
    return f"{HISTORY}playlist_tracks_{stem}.jsonl"


def move(s3, bucket: str, key: str, destination: str) -> None:
    """Copy, then delete the original only once the copy exists."""
    s3.copy_object(Bucket=bucket, Key=destination, CopySource={"Bucket": bucket, "Key": key})
    s3.delete_object(Bucket=bucket, Key=key)


def _json_lines(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")


def _instant(iso_time: str) -> datetime:
    moment = datetime.fromisoformat(iso_time)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _current_run(s3, bucket: str) -> str:
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=CURRENT_RUN)["Body"].read())["extracted_at"]
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return ""
        raise


def process(s3, bucket: str, key: str) -> dict:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            LOG.info("s3://%s/%s is gone: already processed (redelivered event)", bucket, key)
            return {"key": key, "status": "already processed"}
        raise
    name = posixpath.basename(key)
    try:
        document = json.loads(body.decode("utf-8"))
        rows = rows_from_raw(document)
        extracted_at = document.get("extracted_at")
        try:
            _instant(extracted_at)
        except (TypeError, ValueError):
            raise MalformedRawFile(f"the extract document's 'extracted_at' is not an ISO 8601 time: "
                                   f"{extracted_at!r}") from None
    except (UnicodeDecodeError, json.JSONDecodeError, MalformedRawFile) as error:
        reason = f"{type(error).__name__}: {error}"
        s3.put_object(Bucket=bucket, Key=f"{ERRORS}{name}.reason.txt", Body=reason.encode("utf-8"))
        move(s3, bucket, key, f"{ERRORS}{name}")
        LOG.error("s3://%s/%s moved to %s: %s", bucket, key, ERRORS, reason)
        return {"key": key, "status": "error", "reason": reason}
    history = [{"run_at": extracted_at, **row} for row in rows["playlist_tracks"]]
    s3.put_object(Bucket=bucket, Key=history_key(key), Body=_json_lines(history), ContentType="application/x-ndjson")
    # A redelivered run (same time) rewrites the same state; an older one leaves the newer state alone.
    current_run = _current_run(s3, bucket)
    newest = not current_run or _instant(extracted_at) >= _instant(current_run)
    if newest:
        for kind, kind_rows in rows.items():
            s3.put_object(Bucket=bucket, Key=CURRENT[kind], Body=_json_lines(kind_rows),
                          ContentType="application/x-ndjson")
        s3.put_object(Bucket=bucket, Key=CURRENT_RUN, ContentType="application/json",
                      Body=json.dumps({"extracted_at": extracted_at, "raw_file": name}).encode("utf-8"))
    move(s3, bucket, key, f"{PROCESSED}{name}")
    counts = {kind: len(kind_rows) for kind, kind_rows in rows.items()}
    LOG.info("s3://%s/%s transformed (%s): %s", bucket, key, "current" if newest else "history only",
             json.dumps(counts))
    return {"key": key, "status": "processed" if newest else "processed, older than the current state", **counts}


def handler(event, context, *, s3=None):
    s3 = s3 or boto3.client("s3")
    results = []
    for record in event.get("Records", []):
        bucket = record["s3"]["bucket"]["name"]
        key = urllib.parse.unquote_plus(record["s3"]["object"]["key"])
        if not key.startswith(TO_PROCESS):
            continue
        results.append(process(s3, bucket, key))
    return {"results": results}
