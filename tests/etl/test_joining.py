"""The joins and the published rows: exactly the valid, distinct tracks; the quarantine's columns."""

from __future__ import annotations

from etl.contract import QUARANTINE_COLUMNS
from etl.joining import quarantined_rows
from tests.etl.support import EXPECTED_TRACKS


def test_published_rows_are_exactly_the_valid_distinct_tracks(workshop_run):
    assert workshop_run["tracks"] == EXPECTED_TRACKS


def test_quarantined_rows_carry_the_quarantine_columns(spark):
    classified = spark.createDataFrame(
        [("valid", None, None), ("quarantined", "invalid_track_id: not an id", "Bad Id,x,1"),
         ("duplicate", None, None)],
        "_status string, _reason string, _raw_record string",
    )
    rows = quarantined_rows(classified, "albums", "s3://staging/albums.csv", "run-1")
    assert tuple(rows.columns) == QUARANTINE_COLUMNS
    assert [tuple(r) for r in rows.collect()] == [
        ("albums", "s3://staging/albums.csv", "invalid_track_id: not an id", "Bad Id,x,1", "run-1")]
