"""Generate a synthetic, deterministic Spotify 2023 dataset with real-world mess.

Both layouts hold the same data: the workshop layout (albums.csv, artists.csv,
track.csv, features.csv) and the unchanged Kaggle download (its five files,
including the pre-joined spotify_data_12_20_2023.csv the job must ignore).

Scale factor 1 is about the size of the Kaggle "Spotify Dataset 2023"
(440,000 album-track rows, 37,000 artists). The shipped sample in data/ is
scale 0.01 with the default seed:

    python tools/generate_data.py --scale 0.01 --output data
    python tools/generate_data.py --scale 5 --output bench/sf5
    python tools/generate_data.py --scale 0.01 --layout kaggle --output /tmp/kaggle

The mess is deliberate and mirrors what the real files contain: embedded commas
and doubled quotes, Cyrillic/CJK/emoji names, CRLF line endings (albums), a
UTF-8 byte-order mark (artists), empty names, an artist named like a
timestamp, four release-date formats, 'N/A' and empty numbers, exact duplicate
rows, conflicting rows, malformed rows, invalid ids (some with leading or
trailing spaces and tabs, so quarantined raw lines can be checked byte for
byte) and ids missing from the other files. Audio features add 'N/A' and empty
values, values outside Spotify's documented ranges, key -1 (no key detected)
and feature rows for tracks that are in no album.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import random
import string
import sys

ALBUM_ROWS_AT_SF1 = 440_000
ARTISTS_AT_SF1 = 37_000
BASE62 = string.digits + string.ascii_letters

FIRST_WORDS = [
    "Midnight", "Golden", "Electric", "Velvet", "Neon", "Silver", "Wild", "Crystal", "Lonely", "Burning",
    "Paper", "Quiet", "Saint", "Little", "Broken", "Northern", "Cosmic", "Sweet", "Young", "Royal",
]
SECOND_WORDS = [
    "Rivers", "Hearts", "Echoes", "Wolves", "Lights", "Dreams", "Avenue", "Machines", "Tides", "Ghosts",
    "Kids", "Stereo", "Garden", "Parade", "Engines", "Horizon", "Satellites", "Cartel", "Choir", "Daughters",
]
# Names as they appear in the real data: non-Latin scripts, emoji, commas, quotes.
SPECIAL_NAMES = [
    "Кино", "Звери", "Би-2", "米津玄師", "あいみょん", "방탄소년단", "周杰倫", "Beyoncé", "Sigur Rós", "Mötley Crüe",
    "🔥 Fire Emoji Club 🔥", "Earth, Wind & Fire", "Crosby, Stills, Nash & Young", 'The "Real" Band',
    'DJ "Big" Mike, Jr.', "2026-11-01 00:00:00", "", "N/A", "  padded  ", "Tab\tSeparated",
]
TRACK_WORDS = [
    "Love", "Night", "Fire", "Rain", "Dance", "Summer", "Heart", "Home", "Gold", "Run", "Light", "Sky",
    "Forever", "Stay", "Lost", "Higher", "Blue", "Alone", "Falling", "Shine",
]
SPECIAL_TRACKS = [
    "Привет, мир", "夜に駆ける", "사랑해 (Love You)", 'Song "Untitled", Pt. 2', "Happy 🎉 Birthday",
    "Don't Stop", "Track, With, Commas", "", "N/A", "2015-06-09",
]
GENRES = [
    "pop", "dance pop", "k-pop", "latin", "reggaeton", "hip hop", "rap", "rock", "indie rock", "edm",
    "country", "r&b", "soul", "jazz", "classical", "metal", "j-pop", "afrobeats", "house", "trap latino",
]
LABELS = [
    "Sony Music", "Universal Music Group", "Warner Records", "XL Recordings", "Big Hit Music",
    "Sub Pop", "Domino, Ltd.", 'Label "Indie" Records', "Мелодия", "エイベックス", "",
]
ALBUM_TYPES = ["album", "single", "compilation"]
FEATURES_HEADER = [
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness",
    "liveness", "valence", "tempo", "type", "id", "uri", "track_href", "analysis_url", "duration_ms",
    "time_signature",
]
FEATURE_ID_INDEX = FEATURES_HEADER.index("id")
# Values outside the documented ranges, as exports sometimes carry them. Loudness +3.5 dB is outside the
# *typical* -60 to 0 dB only: real tracks have it, and the job keeps it (so does time_signature 0 or 1).
OUT_OF_RANGE = {"danceability": "1.5", "energy": "-0.2", "loudness": "3.5", "tempo": "-1", "time_signature": "9",
                "key": "12", "mode": "2", "valence": "7"}


def clamp(value: int) -> int:
    return max(0, min(100, value))


def spotify_id(rng: random.Random) -> str:
    return "".join(rng.choices(BASE62, k=22))


def number_or_mess(rng: random.Random, value: int, *, float_form: float = 0.0) -> str:
    """Mostly a plain integer; sometimes empty, 'N/A', or written as '1234.0' by pandas."""
    roll = rng.random()
    if roll < 0.01:
        return ""
    if roll < 0.02:
        return "N/A"
    if roll < 0.02 + float_form:
        return f"{value}.0"
    return str(value)


def release_date(rng: random.Random) -> str:
    year = max(1950, 2023 - int(rng.expovariate(1 / 6)))
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    roll = rng.random()
    if roll < 0.70:
        return f"{year}-{month:02d}-{day:02d}"
    if roll < 0.85:
        return f"{year}-{month:02d}-{day:02d} 00:00:00 UTC"
    if roll < 0.92:
        return str(year)
    if roll < 0.97:
        return f"{year}-{month:02d}"
    if roll < 0.985:
        return rng.choice(["", "N/A", "unknown"])
    return f"{year}-02-30"  # matches the pattern, is no date


def unit(rng: random.Random) -> str:
    return f"{rng.random():.4f}".rstrip("0").rstrip(".") or "0"


def audio_features(rng: random.Random, track_id: str, duration_ms: str) -> list[str]:
    """One row of spotify_features_data_2023.csv, with a little mess."""
    values = {
        "danceability": unit(rng), "energy": unit(rng), "key": str(rng.randint(-1, 11)),
        "loudness": f"{-rng.uniform(0.5, 35):.3f}", "mode": str(rng.randint(0, 1)),
        "speechiness": f"{rng.random() * 0.4:.4f}", "acousticness": unit(rng),
        "instrumentalness": f"{rng.random() ** 4:.6f}", "liveness": f"{rng.uniform(0.02, 0.9):.4f}",
        "valence": unit(rng), "tempo": f"{rng.uniform(60, 200):.3f}",
        "time_signature": rng.choice(["4", "4", "4", "4", "3", "5"]),
    }
    roll = rng.random()
    column = rng.choice(list(values))
    if roll < 0.01:
        values[column] = rng.choice(["N/A", "", "NaN"])
    elif roll < 0.015:
        values[column] = OUT_OF_RANGE.get(column, "-3")
    values["type"], values["id"] = "audio_features", track_id
    values["uri"] = f"spotify:track:{track_id}"
    values["track_href"] = f"https://api.spotify.com/v1/tracks/{track_id}"
    values["analysis_url"] = f"https://api.spotify.com/v1/audio-analysis/{track_id}"
    values["duration_ms"] = duration_ms
    return [values[name] for name in FEATURES_HEADER]


def artist_name(rng: random.Random) -> str:
    if rng.random() < 0.04:
        return rng.choice(SPECIAL_NAMES)
    return f"{rng.choice(FIRST_WORDS)} {rng.choice(SECOND_WORDS)}"


def track_name(rng: random.Random) -> str:
    if rng.random() < 0.03:
        return rng.choice(SPECIAL_TRACKS)
    return " ".join(rng.choices(TRACK_WORDS, k=rng.randint(1, 3)))


def generate(scale: float, seed: int, layout: str, output: str) -> dict[str, int]:
    rng = random.Random(seed)
    n_rows = max(50, round(ALBUM_ROWS_AT_SF1 * scale))
    n_artists = max(10, round(ARTISTS_AT_SF1 * scale))
    os.makedirs(output, exist_ok=True)

    artists = []
    for _ in range(n_artists):
        # Popularity follows reach, as on Spotify, with plenty of scatter.
        followers = int(rng.lognormvariate(9, 2.5))
        popularity = clamp(round(9 * math.log10(followers + 1) + rng.gauss(0, 12)))
        genres = rng.sample(GENRES, k=rng.choice([0, 1, 1, 2, 3, 5]))
        artists.append(
            {
                "id": spotify_id(rng),
                "name": artist_name(rng),
                "artist_popularity": number_or_mess(rng, popularity),
                "followers": number_or_mess(rng, followers, float_form=0.05),
                "genres": genres,
                "base_popularity": popularity,
            }
        )
    # A few artists everyone has heard of: most albums belong to a minority.
    cumulative_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(n_artists)))

    album_rows: list[list[str]] = []
    track_rows: list[list[str]] = []
    feature_rows: list[list[str]] = []
    while len(album_rows) < n_rows:
        artist = rng.choices(artists, cum_weights=cumulative_weights)[0]
        # About 2 % of albums point at an artist that artists.csv does not list.
        artist_id = spotify_id(rng) if rng.random() < 0.02 else artist["id"]
        album_id, album_name = spotify_id(rng), f"{rng.choice(FIRST_WORDS)} {rng.choice(TRACK_WORDS)}"
        if rng.random() < 0.03:
            album_name = rng.choice(SPECIAL_TRACKS) or "Untitled"
        date, label = release_date(rng), rng.choice(LABELS)
        album_popularity = number_or_mess(rng, rng.randint(0, 100))
        album_type = rng.choice(ALBUM_TYPES)
        total_tracks = rng.choice([1, 1, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 24, 30])
        for number in range(1, total_tracks + 1):
            track_id = spotify_id(rng)
            duration = rng.randint(60_000, 420_000)
            duration_ms = number_or_mess(rng, duration)
            duration_sec = f"{duration / 1000:.3f}"
            name = track_name(rng)
            featured = rng.sample(artists, k=rng.choice([0, 0, 0, 1, 1, 2]))
            credited = [artist["name"]] + [a["name"] for a in featured if a["id"] != artist["id"]]
            if layout == "kaggle":
                # artist_0..artist_11 hold the credited artists' names; empty cells are absent artists.
                names = (credited + [""] * 12)[:12]
                album_rows.append(
                    [name, track_id, str(number), duration_ms, album_type, repr(credited), str(total_tracks),
                     album_name, date, label, album_popularity, album_id, artist_id, *names, duration_sec]
                )
            else:
                album_rows.append(
                    [name, track_id, str(number), duration_ms, album_type, str(total_tracks), album_name, date, label,
                     album_popularity, album_id, artist_id, duration_sec]
                )
            # About 1 % of tracks are missing from the track file.
            if rng.random() >= 0.01:
                popularity = number_or_mess(rng, clamp(round(artist["base_popularity"] + rng.gauss(-5, 15))))
                explicit = rng.choice(["True", "False", "False", "False"])
                track_rows.append([track_id, popularity, explicit])
            # About 2 % of tracks have no audio features; a few feature rows are for no album track.
            if rng.random() >= 0.02:
                feature_rows.append(audio_features(rng, track_id, str(duration)))
            if rng.random() < 0.002:
                feature_rows.append(audio_features(rng, spotify_id(rng), str(duration)))
            if len(album_rows) >= n_rows:
                break

    album_rows = inject_mess(rng, album_rows, id_index=1)
    track_rows = inject_mess(rng, track_rows, id_index=0)
    feature_rows = inject_mess(rng, feature_rows, id_index=FEATURE_ID_INDEX)
    if layout == "kaggle":
        artist_header = ["id", "name", "artist_popularity", "artist_genres", "followers"] + [
            f"genre_{i}" for i in range(7)
        ]
        artist_rows = [
            [a["id"], a["name"], a["artist_popularity"], repr(a["genres"]), a["followers"]]
            + (a["genres"] + [""] * 7)[:7]
            for a in artists
        ]
    else:
        artist_header = ["id", "name", "artist_popularity", "followers", "genre"]
        artist_rows = [
            [a["id"], a["name"], a["artist_popularity"], a["followers"], a["genres"][0] if a["genres"] else ""]
            for a in artists
        ]
    artist_rows = inject_mess(rng, artist_rows, id_index=0, rate=0.002)

    if layout == "kaggle":
        album_header = ["track_name", "track_id", "track_number", "duration_ms", "album_type", "artists",
                        "total_tracks", "album_name", "release_date", "label", "album_popularity", "album_id",
                        "artist_id", *[f"artist_{i}" for i in range(12)], "duration_sec"]
        names = ("spotify-albums_data_2023.csv", "spotify_artist_data_2023.csv", "spotify_tracks_data_2023.csv",
                 "spotify_features_data_2023.csv")
        track_header = ["id", "track_popularity", "explicit"]
    else:
        album_header = ["track_name", "track_id", "track_number", "duration_ms", "album_type", "total_tracks",
                        "album_name", "release_date", "label", "album_popularity", "album_id", "artist_id",
                        "duration_sec"]
        names = ("albums.csv", "artists.csv", "track.csv", "features.csv")
        track_header = ["track_id", "track_popularity", "explicit"]

    # Albums with Windows line endings, artists re-saved by a spreadsheet (BOM).
    write_csv(os.path.join(output, names[0]), album_header, album_rows, newline="\r\n")
    write_csv(os.path.join(output, names[1]), artist_header, artist_rows, encoding="utf-8-sig")
    write_csv(os.path.join(output, names[2]), track_header, track_rows)
    write_csv(os.path.join(output, names[3]), FEATURES_HEADER, feature_rows)
    counts = {names[0]: len(album_rows), names[1]: len(artist_rows), names[2]: len(track_rows),
              names[3]: len(feature_rows)}
    if layout == "kaggle":
        counts[PREJOINED_FILE] = write_prejoined(os.path.join(output, PREJOINED_FILE), album_header, album_rows)
    return counts


# The Kaggle download's fifth file: albums joined with the others. The job
# must ignore it; here it repeats the album rows, so reading it would double-count.
PREJOINED_FILE = "spotify_data_12_20_2023.csv"


def write_prejoined(path: str, album_header: list[str], album_rows: list) -> int:
    rows = [row for row in album_rows if not isinstance(row, MalformedRow)]
    write_csv(path, album_header, rows)
    return len(rows)


def inject_mess(rng: random.Random, rows: list[list[str]], *, id_index: int, rate: float = 0.005) -> list:
    """Exact duplicates, conflicting rows, invalid ids and malformed rows, each at about `rate`."""
    messy: list = []
    for row in rows:
        roll = rng.random()
        if roll < rate * 0.4:
            bad = list(row)
            # Leading/trailing spaces, tabs and quotes: the quarantine must keep them byte for byte.
            bad[id_index] = rng.choice(["", "NOT-A-SPOTIFY-ID", row[id_index][:21], row[id_index] + "!",
                                        " " + row[id_index], row[id_index] + "\t", f'"{row[id_index]}" ',
                                        f" «{row[id_index]}» "])
            messy.append(bad)
            continue
        messy.append(row)
        if roll < rate * 1.4:
            messy.append(list(row))  # exact duplicate
        elif roll < rate * 1.7:
            conflicting = list(row)
            conflicting[-1] = conflicting[-1] + "1" if conflicting[-1] else "1"
            messy.append(conflicting)  # same id, different content
        elif roll < rate * 2.2:
            messy.append(MalformedRow(row[: max(1, len(row) // 2)]))  # truncated line
    return messy


class MalformedRow(list):
    """A row written without quoting so that it has the wrong number of fields."""


def write_csv(path: str, header: list[str], rows: list, *, newline: str = "\n", encoding: str = "utf-8") -> None:
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator=newline, quoting=csv.QUOTE_MINIMAL, doublequote=True)
        writer.writerow(header)
        for row in rows:
            if isinstance(row, MalformedRow):
                handle.write(",".join(field.replace(",", " ").replace('"', "") for field in row) + newline)
            else:
                writer.writerow(row)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.01, help="1.0 is about the real dataset (default 0.01)")
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--layout", choices=["workshop", "kaggle"], default="workshop")
    parser.add_argument("--output", required=True, help="folder to write the CSV files to")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be greater than 0")
    counts = generate(args.scale, args.seed, args.layout, args.output)
    for name, rows in counts.items():
        print(f"{os.path.join(args.output, name)}: {rows} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
