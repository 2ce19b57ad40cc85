"""An independent, plain-Python reading of the output contract over the input CSVs.

Written from the contract (not from the Spark code) so the end-to-end test can
check what the Glue script, the crawler stand-in and the SQL produce together.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
DATE = re.compile(
    r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)? *(?:UTC|Z|[+-]\d{2}:?\d{2})?$"
)


def read(path: str, key: str) -> list[dict]:
    """Valid rows, first per key, in file order (malformed, invalid-id, duplicate and conflicting rows dropped)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        kept, seen = [], {}
        for fields in reader:
            if len(fields) != len(header):
                continue
            row = {name: (value if value != "" else None) for name, value in zip(header, fields)}
            if not SPOTIFY_ID.match(row[key] or ""):
                continue
            if row[key] in seen:
                continue
            seen[row[key]] = row
            kept.append(row)
    return kept


def whole(value: str | None) -> int | None:
    try:
        number = Decimal(value.strip())
    except (AttributeError, InvalidOperation):
        return None
    return int(number) if number.is_finite() and number == number.to_integral_value() else None


def release(value: str | None) -> tuple[dt.date | None, int | None]:
    match = DATE.match((value or "").strip())
    if not match:
        return None, None
    year, month, day = (int(g) if g else 1 for g in match.groups())
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return None, None
    return date, date.year


# Spotify's documented ranges for the audio features the named queries use.
FEATURE_RANGES = {"danceability": (0.0, 1.0), "energy": (0.0, 1.0), "valence": (0.0, 1.0), "tempo": (0.0, None)}


def feature(value: str | None, name: str) -> float | None:
    try:
        number = float(value.strip())
    except (AttributeError, ValueError):
        return None
    lowest, highest = FEATURE_RANGES[name]
    if math.isnan(number) or math.isinf(number) or number < lowest or (highest is not None and number > highest):
        return None
    return number


def boolean(value: str | None) -> bool | None:
    return {"true": True, "t": True, "1": True, "yes": True, "false": False, "f": False, "0": False,
            "no": False}.get((value or "").strip().lower())


def tracks(folder: str) -> list[dict]:
    artists = {a["id"]: a for a in read(os.path.join(folder, "artists.csv"), "id")}
    popularity = {t["track_id"]: t for t in read(os.path.join(folder, "track.csv"), "track_id")}
    features_file = os.path.join(folder, "features.csv")
    features = {f["id"]: f for f in read(features_file, "id")} if os.path.exists(features_file) else {}
    rows = []
    for album in read(os.path.join(folder, "albums.csv"), "track_id"):
        artist = artists.get(album["artist_id"], {})
        date, year = release(album["release_date"])
        genre = artist.get("genre")
        audio = features.get(album["track_id"], {})
        track = popularity.get(album["track_id"], {})
        rows.append({
            "explicit": boolean(track.get("explicit")),
            # Workshop layout: the joined artist's name alone.
            "artist_names": [artist["name"]] if artist.get("name") and artist["name"].strip() else [],
            **{name: feature(audio.get(name), name) for name in FEATURE_RANGES},
            "track_id": album["track_id"], "track_name": album["track_name"],
            "duration_ms": whole(album["duration_ms"]),
            "track_popularity": whole(track.get("track_popularity")),
            "album_id": album["album_id"], "album_name": album["album_name"], "label": album["label"],
            "release_date": date, "release_year": year, "artist_id": album["artist_id"],
            "artist_name": artist.get("name"), "artist_popularity": whole(artist.get("artist_popularity")),
            "followers": whole(artist.get("followers")),
            "genres": [genre] if genre and genre.strip() else [],
        })
    return rows


def sql_round(value: float, digits: int) -> float:
    """ROUND as DuckDB and Trino do it: half away from zero on the scaled double
    (Python's round() is exact on the binary value, so 28.15 -> 28.1, SQL 28.2)."""
    scale = 10 ** digits
    scaled = value * scale
    return math.copysign(math.floor(abs(scaled) + 0.5), scaled) / scale


def mean(values: list) -> float:
    return sum(values) / len(values)


def top_artists_by_track_popularity(rows):
    groups = defaultdict(list)
    for r in rows:
        if r["artist_name"] is not None and r["track_popularity"] is not None:
            groups[(r["artist_id"], r["artist_name"])].append(r["track_popularity"])
    ranked = sorted(((-mean(v), -len(v), name, artist_id, v) for (artist_id, name), v in groups.items() if len(v) >= 3))
    return [(name, len(v), sql_round(mean(v), 1), max(v)) for _, _, name, _, v in ranked[:20]]


def release_trends_by_year(rows):
    groups = defaultdict(list)
    for r in rows:
        if r["release_year"] is not None:
            groups[r["release_year"]].append(r)
    result = []
    for year in sorted(groups):
        group = groups[year]
        popularity = [r["track_popularity"] for r in group if r["track_popularity"] is not None]
        durations = [r["duration_ms"] for r in group if r["duration_ms"] is not None]
        result.append((year, len(group), len({r["album_id"] for r in group}),
                       sql_round(mean(popularity), 1) if popularity else None,
                       sql_round(mean(durations) / 60000.0, 2) if durations else None))
    return result


def genre_analysis(rows):
    groups = defaultdict(list)
    for r in rows:
        for genre in r["genres"]:
            groups[genre].append(r)
    result = []
    for genre, group in groups.items():
        popularity = [r["track_popularity"] for r in group if r["track_popularity"] is not None]
        result.append((genre, len({r["artist_id"] for r in group}), len(group),
                       sql_round(mean(popularity), 1) if popularity else None))
    return sorted(result, key=lambda r: (-r[2], r[0]))[:20]


def albums_with_most_tracks(rows):
    groups = defaultdict(list)
    for r in rows:
        groups[(r["album_id"], r["album_name"], r["artist_name"])].append(r)
    result = []
    for (album_id, name, artist), group in groups.items():
        dates = [r["release_date"] for r in group if r["release_date"] is not None]
        result.append((name, artist, min(dates) if dates else None, len(group), album_id))
    ranked = sorted(result, key=lambda r: (-r[3], r[0], r[4]))[:20]
    return [r[:4] for r in ranked]


def artist_followers_vs_popularity(rows):
    groups = defaultdict(list)
    for r in rows:
        if r["followers"] is not None and r["artist_popularity"] is not None:
            groups[(r["artist_id"], r["artist_name"])].append(r)
    result = [(name, max(x["followers"] for x in g), max(x["artist_popularity"] for x in g), len(g), artist_id)
              for (artist_id, name), g in groups.items()]
    ranked = sorted(result, key=lambda r: (-r[1], r[0] is None, r[0] or "", r[4]))[:50]
    return [r[:4] for r in ranked]


def most_popular_songs(rows):
    ranked = sorted((r for r in rows if r["track_popularity"] is not None),
                    key=lambda r: (-r["track_popularity"], r["track_name"] is None, r["track_name"] or "",
                                   r["track_id"]))
    return [(r["track_name"], r["artist_name"], r["album_name"], r["track_popularity"], r["release_date"])
            for r in ranked[:20]]


def dashboard_kpis(rows):
    popularity = [r["track_popularity"] for r in rows if r["track_popularity"] is not None]
    return [(len(rows), len({r["artist_id"] for r in rows if r["artist_id"] is not None}),
             len({r["album_id"] for r in rows if r["album_id"] is not None}),
             sql_round(mean(popularity), 1) if popularity else None)]


def top_artists_by_followers(rows):
    groups = defaultdict(list)
    for r in rows:
        if r["followers"] is not None:
            groups[(r["artist_id"], r["artist_name"])].append(r)
    result = []
    for (artist_id, name), group in groups.items():
        popularity = [x["artist_popularity"] for x in group if x["artist_popularity"] is not None]
        result.append((name, max(x["followers"] for x in group), max(popularity) if popularity else None,
                       len(group), artist_id))
    ranked = sorted(result, key=lambda r: (-r[1], r[0] is None, r[0] or "", r[4]))[:20]
    return [r[:4] for r in ranked]


def top_labels_by_track_count(rows):
    groups = defaultdict(list)
    for r in rows:
        if r["label"] is not None:
            groups[r["label"]].append(r)
    result = [(label, len(group), len({r["album_id"] for r in group})) for label, group in groups.items()]
    return sorted(result, key=lambda r: (-r[1], r[0]))[:20]


def track_popularity_distribution(rows):
    bands = defaultdict(int)
    for r in rows:
        if r["track_popularity"] is not None:
            bands[r["track_popularity"] // 10 * 10] += 1
    return sorted(bands.items())


def explicit_share(rows):
    counts = defaultdict(int)
    for r in rows:
        counts[{True: "explicit", False: "clean", None: "unknown"}[r["explicit"]]] += 1
    return sorted(((content, n, sql_round(100.0 * n / len(rows), 1)) for content, n in counts.items()),
                  key=lambda r: (-r[1], r[0]))


def audio_profile_by_genre(rows):
    groups = defaultdict(list)
    for r in rows:
        if any(r[name] is not None for name in FEATURE_RANGES):
            for genre in r["genres"]:
                groups[genre].append(r)

    def average(group, name, digits):
        values = [r[name] for r in group if r[name] is not None]
        return sql_round(mean(values), digits) if values else None

    result = [(genre, len(g), average(g, "danceability", 3), average(g, "energy", 3), average(g, "valence", 3),
               average(g, "tempo", 1)) for genre, g in groups.items()]
    # ORDER BY avg_danceability DESC (NULLs last, as in Trino and DuckDB), genre
    return sorted(result, key=lambda r: (r[2] is None, -(r[2] or 0), r[0]))[:20]


def explicit_share_by_release_year(rows):
    groups = defaultdict(list)
    for r in rows:
        if r["release_year"] is not None and r["explicit"] is not None:
            groups[r["release_year"]].append(r["explicit"])
    return [(year, len(flags), sum(flags), sql_round(100.0 * sum(flags) / len(flags), 1))
            for year, flags in sorted(groups.items())]


def collaborations(rows):
    groups = defaultdict(list)
    for r in rows:
        if r["release_year"] is not None:
            groups[r["release_year"]].append(r)
    result = []
    for year, group in sorted(groups.items()):
        shared = [r for r in group if len(r["artist_names"]) > 1]
        popularity = [r["track_popularity"] for r in shared if r["track_popularity"] is not None]
        result.append((year, len(group), len(shared), sql_round(100.0 * len(shared) / len(group), 1),
                       sql_round(mean(popularity), 1) if popularity else None))
    return result


EXPECTED = {
    "top_artists_by_track_popularity": top_artists_by_track_popularity,
    "release_trends_by_year": release_trends_by_year,
    "genre_analysis": genre_analysis,
    "albums_with_most_tracks": albums_with_most_tracks,
    "artist_followers_vs_popularity": artist_followers_vs_popularity,
    "most_popular_songs": most_popular_songs,
    "dashboard_kpis": dashboard_kpis,
    "top_artists_by_followers": top_artists_by_followers,
    "top_labels_by_track_count": top_labels_by_track_count,
    "track_popularity_distribution": track_popularity_distribution,
    "explicit_share": explicit_share,
    "audio_profile_by_genre": audio_profile_by_genre,
    "explicit_share_by_release_year": explicit_share_by_release_year,
    "collaborations": collaborations,
}
