"""The api_ tables as the crawler registers them, from what the transform wrote to S3, and every named
query in ingestion/sql/ run on them (the same Trino text, through local_pipeline's translation)."""

from __future__ import annotations

import os
import tempfile

import duckdb

from ingestion.infrastructure import DATASETS, TABLE_PREFIX, TRANSFORMED
from local_pipeline.athena import run_sql
from ingestion import QUERIES_DIR
from sql.queries import load_named_queries

# Types as the crawler gives them to JSON Lines (nullable everywhere).
COLUMNS = {
    "songs_data": {"song_id": "VARCHAR", "song_name": "VARCHAR", "duration_ms": "BIGINT", "explicit": "BOOLEAN",
                   "popularity": "BIGINT", "url": "VARCHAR", "song_added": "VARCHAR", "playlist_ids": "VARCHAR[]",
                   "album_id": "VARCHAR", "artist_id": "VARCHAR", "artist_ids": "VARCHAR[]"},
    "albums_data": {"album_id": "VARCHAR", "name": "VARCHAR", "release_date": "VARCHAR",
                    "release_date_precision": "VARCHAR", "total_tracks": "BIGINT", "label": "VARCHAR",
                    "popularity": "BIGINT", "url": "VARCHAR"},
    "artists_data": {"artist_id": "VARCHAR", "artist_name": "VARCHAR", "url": "VARCHAR", "followers": "BIGINT",
                     "popularity": "BIGINT", "genres": "VARCHAR[]"},
    "playlist_tracks_data": {"playlist_id": "VARCHAR", "song_id": "VARCHAR", "added_at": "VARCHAR",
                             "position": "BIGINT"},
    "playlist_tracks_history": {"run_at": "VARCHAR", "playlist_id": "VARCHAR", "song_id": "VARCHAR",
                                "added_at": "VARCHAR", "position": "BIGINT"},
}
assert set(COLUMNS) == set(DATASETS)


def table_rows(s3, bucket: str) -> dict[str, list[tuple]]:
    answers = {}
    with tempfile.TemporaryDirectory() as folder, duckdb.connect() as connection:
        _load(s3, bucket, folder, connection)
        for name in DATASETS:
            answers[name] = connection.execute(f"SELECT * FROM {TABLE_PREFIX}{name} ORDER BY ALL").fetchall()
    return answers


def query_answers(s3, bucket: str) -> dict[str, tuple[list, list]]:
    """Query id -> (columns, rows) of every named query over the api_ tables now in the bucket."""
    answers = {}
    with tempfile.TemporaryDirectory() as folder, duckdb.connect() as connection:
        _load(s3, bucket, folder, connection)
        for query in load_named_queries(QUERIES_DIR):
            answers[query.query_id] = run_sql(connection, query.text)
    return answers


def _load(s3, bucket: str, folder: str, connection) -> None:
    for name in DATASETS:
        prefix = f"{TRANSFORMED}{name}/"
        files = []
        for listed in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            path = os.path.join(folder, listed["Key"].replace("/", "_"))
            with open(path, "wb") as handle:
                handle.write(s3.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read())
            files.append(path)
        columns = ", ".join(f"{column} {kind}" for column, kind in COLUMNS[name].items())
        connection.execute(f"CREATE TABLE {TABLE_PREFIX}{name} ({columns})")
        if files:
            struct = "{" + ", ".join(f"'{c}': '{k}'" for c, k in COLUMNS[name].items()) + "}"
            connection.execute(f"INSERT INTO {TABLE_PREFIX}{name} SELECT * FROM read_json(?, columns={struct}, "
                               "format='newline_delimited')", [files])
