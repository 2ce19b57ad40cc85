"""Finding and reading the input files: what is missing, empty or ambiguous is named."""

from __future__ import annotations

import os

import pytest

from etl.contract import AmbiguousInputError, MissingInputError
from etl.job import run
from tests.etl.support import config_for, write_kaggle_files, write_workshop_files


def test_missing_file_is_named(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    os.remove(os.path.join(staging, "track.csv"))
    with pytest.raises(MissingInputError, match="missing input file for tracks: expected track.csv or "
                                                            "spotify_tracks_data_2023.csv in"):
        run(spark, config_for(tmp_path))


def test_missing_column_is_named(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    with open(os.path.join(staging, "artists.csv"), "w", encoding="utf-8") as handle:
        handle.write("id,name,followers,genre\n")
    with pytest.raises(MissingInputError, match=r"artists.csv is missing required column\(s\) "
                                                            r"artist_popularity \(header has: id, name, followers"):
        run(spark, config_for(tmp_path))


def test_empty_file_is_named(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    open(os.path.join(staging, "albums.csv"), "w").close()
    with pytest.raises(MissingInputError, match=r"albums.csv is empty"):
        run(spark, config_for(tmp_path))


def test_two_layouts_at_once_is_an_error_naming_both_files_and_the_ways_out(spark, tmp_path):
    staging = write_workshop_files(str(tmp_path / "staging"))
    write_kaggle_files(staging)
    with pytest.raises(AmbiguousInputError) as failure:
        run(spark, config_for(tmp_path))
    message = str(failure.value)
    assert "albums.csv, artists.csv, track.csv (workshop sample)" in message
    assert ("spotify-albums_data_2023.csv, spotify_artist_data_2023.csv, spotify_tracks_data_2023.csv "
            "(Kaggle download)") in message
    assert "Remove one set of files, or deploy with -c deploySampleData=false" in message
    # Nothing is published: the run history's error record is all the run wrote (tests/etl/test_history.py).
    assert os.listdir(tmp_path / "warehouse") == ["pipeline_runs"]
