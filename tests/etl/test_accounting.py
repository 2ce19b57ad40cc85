"""Accounting and gates: every input row counted, and a failed gate names itself and publishes nothing."""

from __future__ import annotations

import json
import os

import pytest

from etl.contract import DataQualityError
from etl.job import run
from tests.etl.support import LENIENT, config_for, write_features, write_workshop_files


def test_every_input_row_is_accounted_for(workshop_run):
    summary = workshop_run["summary"]
    albums, artists, tracks = (summary["files"][k] for k in ("albums", "artists", "tracks"))
    assert (summary["input_rows"], summary["output_rows"], summary["quarantined_rows"],
            summary["duplicate_rows_removed"]) == (14, 9, 4, 1)
    assert summary["input_rows"] == summary["output_rows"] + summary["quarantined_rows"] + summary[
        "duplicate_rows_removed"]
    assert (artists["input_rows"], artists["kept_rows"], artists["quarantined_rows"],
            artists["duplicate_rows_removed"]) == (10, 6, 3, 1)
    assert (tracks["input_rows"], tracks["kept_rows"], tracks["quarantined_rows"],
            tracks["duplicate_rows_removed"]) == (11, 7, 3, 1)
    assert summary["orphans"] == {"artist_rows": 1, "artist_rate": round(1 / 9, 6),
                                  "track_rows": 2, "track_rate": round(2 / 9, 6)}
    assert albums["unparseable_values"] == {"release_date": 2, "duration_ms": 1, "album_popularity": 1,
                                            "total_tracks": 0, "track_number": 0}
    assert artists["unparseable_values"] == {"artist_popularity": 1, "followers": 0}
    assert tracks["unparseable_values"] == {"track_popularity": 2, "explicit": 0}
    assert summary["status"] == "succeeded"
    # No features file: said so, and no feature orphans are counted or gated.
    assert "features" not in summary["files"]
    assert summary["files_not_given"]["features"].startswith("no features.csv or spotify_features_data_2023.csv in ")
    assert [g["name"] for g in summary["gates"]] == ["min_output_rows", "max_quarantine_rate",
                                                     "max_orphan_artist_rate", "max_orphan_track_rate"]


def test_gates_fail_with_gate_name_and_measured_value_and_publish_nothing(spark, tmp_path):
    write_workshop_files(str(tmp_path / "staging"))
    config = config_for(tmp_path, MAX_ORPHAN_ARTIST_RATE="0.5", MAX_ORPHAN_TRACK_RATE="0.5")
    with pytest.raises(DataQualityError) as failure:
        run(spark, config)
    message = str(failure.value)
    assert "data-quality gate max_quarantine_rate failed" in message
    assert "artists.csv quarantined 30.00% of its rows (3 of 10; maximum 5.00%)" in message
    assert "nothing was published" in message
    assert not os.path.exists(f"{config.target_path}/tracks")
    with open(f"{config.target_path}/run_summary.json", encoding="utf-8") as handle:
        assert json.load(handle)["status"] == "gate_failed"


def test_orphan_and_output_gates(spark, tmp_path):
    write_workshop_files(str(tmp_path / "staging"))
    config = config_for(tmp_path, **{**LENIENT, "MAX_ORPHAN_TRACK_RATE": "0.1", "MIN_OUTPUT_ROWS": "10"})
    with pytest.raises(DataQualityError) as failure:
        run(spark, config)
    message = str(failure.value)
    assert "data-quality gate min_output_rows failed: 9 output rows (minimum 10)" in message
    assert "data-quality gate max_orphan_track_rate failed: 22.22% of output rows have no matching track" in message
    assert "max_orphan_artist_rate" not in message


def test_audio_features_are_counted_and_gated(features_run, spark, tmp_path):
    summary = features_run["summary"]
    counts = summary["files"]["features"]
    assert (counts["input_rows"], counts["kept_rows"], counts["quarantined_rows"],
            counts["duplicate_rows_removed"]) == (9, 5, 3, 1)
    assert counts["quarantine_reasons"] == {
        "conflicting_track_id: differs from an earlier row with the same track_id": 1,
        "invalid_track_id: not a 22-character base62 Spotify id": 1,
        "malformed_row: field count differs from the header (18 fields)": 1,
    }
    assert {k: v for k, v in counts["unparseable_values"].items() if v} == {"danceability": 1}
    assert {k: v for k, v in counts["out_of_range_values"].items() if v} == {"danceability": 1, "mode": 1}
    assert summary["orphans"]["feature_rows"] == 5 and summary["orphans"]["feature_rate"] == round(5 / 9, 6)
    assert summary["files_not_given"] == {}
    gate = next(g for g in summary["gates"] if g["name"] == "max_orphan_feature_rate")
    assert (gate["threshold"], gate["passed"]) == (0.6, True)

    write_features(write_workshop_files(str(tmp_path / "staging")))
    with pytest.raises(DataQualityError, match="data-quality gate max_orphan_feature_rate failed: "
                                                           r"55.56% of output rows have no matching feature"):
        run(spark, config_for(tmp_path, **LENIENT))
