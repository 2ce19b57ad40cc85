"""The tracks table's columns as the QuickSight dataset declares them."""

# The tracks table as QuickSight sees it. QuickSight has no array type, so
# `genres` is left out. The crawler registers hive partition keys as strings,
# hence release_year is a STRING here.
TRACKS_INPUT_COLUMNS = {
    "track_id": "STRING",
    "track_name": "STRING",
    "duration_ms": "INTEGER",
    "track_popularity": "INTEGER",
    "explicit": "BOOLEAN",
    "album_id": "STRING",
    "album_name": "STRING",
    "label": "STRING",
    "album_popularity": "INTEGER",
    "release_date": "DATETIME",
    "release_date_precision": "STRING",
    "artist_id": "STRING",
    "artist_name": "STRING",
    "artist_popularity": "INTEGER",
    "followers": "INTEGER",
    "genre": "STRING",
    "release_year": "STRING",
}
