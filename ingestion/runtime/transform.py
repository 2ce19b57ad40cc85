"""Transform Lambda: one raw file under raw_data/to_processed/ -> songs, albums and
artists (JSON Lines) under transformed_data/, then the raw file moves to
raw_data/processed/. A malformed raw file moves to raw_data/errors/ with its
reason and never blocks later files."""

from __future__ import annotations

import json
import logging
import posixpath
import urllib.parse

import boto3
from botocore.exceptions import ClientError

from spotify_api import entry_object

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
TO_PROCESS = "raw_data/to_processed/"
PROCESSED = "raw_data/processed/"
ERRORS = "raw_data/errors/"
OUTPUTS = {"songs": "transformed_data/songs_data/", "albums": "transformed_data/albums_data/",
           "artists": "transformed_data/artists_data/"}


class MalformedRawFile(Exception):
    pass


def rows_from_raw(document) -> dict[str, list[dict]]:
    """Deduplicated songs (first playlist entry wins, with its added_at), albums and artists."""
    if not isinstance(document, dict) or not isinstance(document.get("playlists"), list):
        raise MalformedRawFile("not an extract document: expected an object with a 'playlists' list")
    songs, albums, artists = {}, {}, {}
    details = {a["id"]: a for a in document.get("artists") or [] if isinstance(a, dict) and a.get("id")}
    for playlist in document["playlists"]:
        if not isinstance(playlist, dict) or not isinstance(playlist.get("items", []), list):
            raise MalformedRawFile("a playlist entry is not an object with an 'items' list")
        for entry in playlist.get("items") or []:
            if not isinstance(entry, dict):
                raise MalformedRawFile("a playlist item is not an object")
            track = entry_object(entry)
            # Local files, podcast episodes and removed tracks carry no track id.
            if not track or track.get("type", "track") != "track" or not track.get("id"):
                continue
            album = track.get("album") or {}
            track_artists = [a for a in track.get("artists") or [] if isinstance(a, dict) and a.get("id")]
            songs.setdefault(track["id"], {
                "song_id": track["id"],
                "song_name": track.get("name"),
                "duration_ms": track.get("duration_ms"),
                "explicit": track.get("explicit"),
                "popularity": track.get("popularity"),
                "url": (track.get("external_urls") or {}).get("spotify"),
                "song_added": entry.get("added_at"),
                "playlist_id": playlist.get("id"),
                "album_id": album.get("id"),
                "artist_id": track_artists[0]["id"] if track_artists else None,
                "artist_ids": [a["id"] for a in track_artists],
            })
            if album.get("id"):
                albums.setdefault(album["id"], {
                    "album_id": album["id"],
                    "name": album.get("name"),
                    "release_date": album.get("release_date"),
                    "release_date_precision": album.get("release_date_precision"),
                    "total_tracks": album.get("total_tracks"),
                    "url": (album.get("external_urls") or {}).get("spotify"),
                })
            for artist in track_artists:
                detail = details.get(artist["id"], {})
                artists.setdefault(artist["id"], {
                    "artist_id": artist["id"],
                    "artist_name": artist.get("name") or detail.get("name"),
                    "url": (artist.get("external_urls") or {}).get("spotify"),
                    # Absent for Development Mode apps since February 2026: null, not zero.
                    "followers": (detail.get("followers") or {}).get("total"),
                    "popularity": detail.get("popularity"),
                    "genres": detail.get("genres"),
                })
    return {"songs": list(songs.values()), "albums": list(albums.values()), "artists": list(artists.values())}


def output_key(kind: str, raw_key: str) -> str:
    """Derived from the raw file's name, so a redelivered event overwrites instead of duplicating."""
    stem = posixpath.splitext(posixpath.basename(raw_key))[0]
    return f"{OUTPUTS[kind]}{kind}_{stem}.jsonl"


def move(s3, bucket: str, key: str, destination: str) -> None:
    """Copy, then delete the original only once the copy exists."""
    s3.copy_object(Bucket=bucket, Key=destination, CopySource={"Bucket": bucket, "Key": key})
    s3.delete_object(Bucket=bucket, Key=key)


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
        rows = rows_from_raw(json.loads(body.decode("utf-8")))
    except (UnicodeDecodeError, json.JSONDecodeError, MalformedRawFile) as error:
        reason = f"{type(error).__name__}: {error}"
        s3.put_object(Bucket=bucket, Key=f"{ERRORS}{name}.reason.txt", Body=reason.encode("utf-8"))
        move(s3, bucket, key, f"{ERRORS}{name}")
        LOG.error("s3://%s/%s moved to %s: %s", bucket, key, ERRORS, reason)
        return {"key": key, "status": "error", "reason": reason}
    for kind, kind_rows in rows.items():
        body_lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in kind_rows)
        s3.put_object(Bucket=bucket, Key=output_key(kind, key), Body=body_lines.encode("utf-8"),
                      ContentType="application/x-ndjson")
    move(s3, bucket, key, f"{PROCESSED}{name}")
    counts = {kind: len(kind_rows) for kind, kind_rows in rows.items()}
    LOG.info("s3://%s/%s transformed: %s", bucket, key, json.dumps(counts))
    return {"key": key, "status": "processed", **counts}


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
