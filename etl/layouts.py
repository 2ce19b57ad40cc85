"""The two accepted input layouts (the workshop sample and the unchanged Kaggle
download): per role, the file name and the columns the job reads from it."""

from __future__ import annotations

from dataclasses import dataclass, field

from etl.contract import AUDIO_FEATURES


@dataclass(frozen=True)
class SourceSpec:
    """One input role (albums, artists, tracks, features) in one file layout.

    `columns` maps our canonical name to the file's column name; every one of
    them must be in the header. `optional_columns` are read when present (null
    otherwise); `genre_columns` and `artist_name_columns` (Kaggle layout) are
    lists spread over numbered columns, empty cells meaning "none".
    """

    role: str
    file_name: str
    key: str
    columns: dict[str, str]
    optional_columns: dict[str, str] = field(default_factory=dict)
    genre_columns: tuple[str, ...] = ()
    artist_name_columns: tuple[str, ...] = ()


_ALBUM_COLUMNS = {
    name: name
    for name in (
        "track_name",
        "track_id",
        "duration_ms",
        "album_name",
        "release_date",
        "label",
        "album_popularity",
        "album_id",
        "artist_id",
    )
}
_ALBUM_DETAIL_COLUMNS = {name: name for name in ("album_type", "total_tracks", "track_number")}
# The audio features file has the same columns in both layouts; `id` is the track id.
_FEATURE_COLUMNS = {"track_id": "id", **{name: name for name in AUDIO_FEATURES}}

WORKSHOP_LAYOUT = {
    "albums": SourceSpec(
        "albums", "albums.csv", "track_id", _ALBUM_COLUMNS, optional_columns=_ALBUM_DETAIL_COLUMNS
    ),
    "artists": SourceSpec(
        "artists",
        "artists.csv",
        "artist_id",
        {
            "artist_id": "id",
            "artist_name": "name",
            "artist_popularity": "artist_popularity",
            "followers": "followers",
            "genre": "genre",
        },
    ),
    "tracks": SourceSpec(
        "tracks",
        "track.csv",
        "track_id",
        {"track_id": "track_id", "track_popularity": "track_popularity"},
        optional_columns={"explicit": "explicit"},
    ),
    "features": SourceSpec("features", "features.csv", "track_id", _FEATURE_COLUMNS),
}

# The unchanged Kaggle "Spotify Dataset 2023" download.
KAGGLE_LAYOUT = {
    "albums": SourceSpec(
        "albums",
        "spotify-albums_data_2023.csv",
        "track_id",
        {**_ALBUM_COLUMNS, **_ALBUM_DETAIL_COLUMNS},
        artist_name_columns=tuple(f"artist_{i}" for i in range(12)),
    ),
    "artists": SourceSpec(
        "artists",
        "spotify_artist_data_2023.csv",
        "artist_id",
        {
            "artist_id": "id",
            "artist_name": "name",
            "artist_popularity": "artist_popularity",
            "followers": "followers",
        },
        genre_columns=tuple(f"genre_{i}" for i in range(7)),
    ),
    "tracks": SourceSpec(
        "tracks",
        "spotify_tracks_data_2023.csv",
        "track_id",
        {"track_id": "id", "track_popularity": "track_popularity"},
        optional_columns={"explicit": "explicit"},
    ),
    "features": SourceSpec("features", "spotify_features_data_2023.csv", "track_id", _FEATURE_COLUMNS),
}

ROLES = ("albums", "artists", "tracks", "features")
OPTIONAL_ROLES = ("features",)
# Part of the Kaggle download, but a pre-joined copy of the other files:
# reading it as well would count every track twice.
IGNORED_FILES = {
    "spotify_data_12_20_2023.csv": "a pre-joined copy of the albums, artists, tracks and features files; not read",
}


def accepted_files() -> dict[str, tuple[str, ...]]:
    """Per required input role, the file names the job accepts (workshop layout first, then Kaggle's).

    Optional roles (the audio features) may be absent. The job itself refuses two
    layouts at once, naming both files, so a runner stages what it is given.
    """
    return {
        role: (WORKSHOP_LAYOUT[role].file_name, KAGGLE_LAYOUT[role].file_name)
        for role in ROLES
        if role not in OPTIONAL_ROLES
    }
