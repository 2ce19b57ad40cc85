"""Typing raw values: numbers and dates, and audio features kept, nulled or counted."""

from __future__ import annotations

from etl.typed_columns import whole_number_sql, with_release_date
from tests.etl.support import AUDIO_FEATURES, D, T


def test_value_parsers(spark):
    values = ["42", " 42 ", "42.0", "4.2e1", "4.5", "N/A", "", None, "99999999999"]
    frame = spark.createDataFrame([(v,) for v in values], "raw string")
    parsed = frame.selectExpr(
        f"{whole_number_sql('raw', 'INT')} AS as_int",
        f"{whole_number_sql('raw', 'BIGINT')} AS as_bigint",
    ).collect()
    assert [r["as_int"] for r in parsed] == [42, 42, 42, 42, None, None, None, None, None]
    assert [r["as_bigint"] for r in parsed][-1] == 99999999999

    dates = ["2015-06-09 00:00:00 UTC", "2015-06-09", "2015-06", "2015", "2015-6-9", "2015-06-09T10:00:00Z",
             "2015-02-30", "N/A", "", "June 2015", None, " 2015-06-09 ", "2015-13-01", "2015-06-1T", "2015-06-09x"]
    frame = with_release_date(spark.createDataFrame([(d,) for d in dates], "raw string"), "raw")
    got = [(r["release_date"], r["release_date_precision"], r["release_year"]) for r in frame.collect()]
    assert got == [
        (D(2015, 6, 9), "day", 2015), (D(2015, 6, 9), "day", 2015), (D(2015, 6, 1), "month", 2015),
        (D(2015, 1, 1), "year", 2015), (D(2015, 6, 9), "day", 2015), (D(2015, 6, 9), "day", 2015),
        (None, None, None), (None, None, None), (None, None, None), (None, None, None), (None, None, None),
        (D(2015, 6, 9), "day", 2015), (None, None, None), (None, None, None), (None, None, None),
    ]


def test_audio_features_are_typed_ranged_and_left_joined(features_run):
    tracks = features_run["tracks"]
    features = lambda n: {name: tracks[T[n]][name] for name in AUDIO_FEATURES}  # noqa: E731
    assert features(1) == {"danceability": 0.5, "energy": 0.6, "key": 5, "loudness": -7.5, "mode": 1,
                           "speechiness": 0.05, "acousticness": 0.1, "instrumentalness": 0.0, "liveness": 0.2,
                           "valence": 0.7, "tempo": 120.0, "time_signature": 4}
    # N/A danceability and key -1 (no key detected) are null; the first of two conflicting rows wins.
    assert (features(2)["danceability"], features(2)["key"], features(2)["energy"]) == (None, None, 0.6)
    # Out of range: nulled, the other values kept; loudness above 0 dB and time signature 0 are Spotify's values.
    assert (features(3)["danceability"], features(3)["loudness"], features(3)["time_signature"],
            features(3)["energy"]) == (None, 3.5, 0, 0.6)
    assert (features(4)["tempo"], features(4)["mode"], features(4)["key"]) == (None, None, 5)
    # LEFT join: tracks without a feature row are published with null features; T[11] (no album) is not.
    assert all(v is None for v in features(5).values()) and T[11] not in tracks
    assert len(tracks) == 9
