"""The input layouts: the Kaggle download read unchanged, and the file names every runner accepts."""

from __future__ import annotations

from etl.job import run
from etl.layouts import accepted_files
from tests.etl.support import LENIENT, T, config_for, read_tracks, write_features, write_kaggle_files


def test_kaggle_download_is_accepted_unchanged(spark, tmp_path):
    staging = write_kaggle_files(str(tmp_path / "staging"))
    write_features(staging, "spotify_features_data_2023.csv")
    config = config_for(tmp_path, **LENIENT)
    summary = run(spark, config)
    rows = read_tracks(spark, config.target_path)
    assert [(r["track_id"], r["explicit"], r["track_popularity"], r["genre"], r["genres"], r["followers"],
             r["release_year"], r["artist_names"], r["album_type"], r["total_tracks"], r["track_number"],
             r["danceability"], r["key"]) for r in rows] == [
        (T[1], True, 55, "russian rock", ["russian rock", "post-punk"], 1500000, 2019, ["Кино", "Звери"], "album", 2,
         1, 0.5, 5),
        (T[2], False, 40, "russian rock", ["russian rock", "post-punk"], 1500000, 2019, ["Кино"], "single", 2, 2,
         None, None),
    ]
    assert summary["files"]["albums"]["layout_file_name"] == "spotify-albums_data_2023.csv"
    assert summary["files"]["features"]["layout_file_name"] == "spotify_features_data_2023.csv"
    # The pre-joined fifth file is named as ignored and counted nowhere.
    assert list(summary["files_ignored"]) == ["spotify_data_12_20_2023.csv"]
    assert summary["input_rows"] == 2 and summary["files_not_given"] == {}


def test_every_runner_accepts_the_same_file_names():
    """What local_pipeline's staging and cloud_pipeline's upload check before the job runs."""
    assert accepted_files() == {
        "albums": ("albums.csv", "spotify-albums_data_2023.csv"),
        "artists": ("artists.csv", "spotify_artist_data_2023.csv"),
        "tracks": ("track.csv", "spotify_tracks_data_2023.csv"),
    }
