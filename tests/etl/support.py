"""Hand-written input files covering every kind of mess the real data has, and what the tests
of tests/etl/ share: a job configuration for a folder, the published rows, the expected tracks.

Each row is commented with what it exercises; the expected output and counts
in the test_*.py files are derived from these comments by hand.
"""

from __future__ import annotations

import datetime as dt
import os

from etl.config import EtlConfig, build_config


def sid(prefix: str, number: int) -> str:
    """A readable, valid 22-character base62 Spotify id, e.g. track0000000000000001."""
    return f"{prefix}{number:0>{22 - len(prefix)}}"


T = {n: sid("track", n) for n in range(1, 13)}
A = {n: sid("artist", n) for n in range(1, 100)}
AL = {n: sid("album", n) for n in range(1, 10)}

ALBUMS_HEADER = (
    "track_name,track_id,duration_ms,album_name,release_date,label,album_popularity,album_id,artist_id,duration_sec"
)
ALBUM_LINES = [
    # 1 embedded comma and doubled quotes; timestamp-with-zone date
    (f'"Song ""Untitled"", Pt. 2",{T[1]},200000,"Album, One",2015-06-09 00:00:00 UTC,"Label ""X""",60,'
     f'{AL[1]},{A[1]},200.0'),
    # 2 Cyrillic; plain ISO date
    f"Привет,{T[2]},180000,Album One,2015-06-09,Sony,60,{AL[1]},{A[2]},180.0",
    # 3 CJK; N/A duration (unparseable); month precision; empty label and popularity (missing)
    f"夜に駆ける,{T[3]},N/A,Album Two,2015-06,,,{AL[2]},{A[3]},",
    # 4 emoji; quoted number; year precision
    f'Happy 🎉 Birthday,{T[4]},"210000",Album Three,2015,Label,45,{AL[3]},{A[4]},210',
    # 5 N/A date (unparseable) and a text popularity (unparseable)
    f"Date Named,{T[5]},1000,Album Four,N/A,Label,abc,{AL[4]},{A[5]},1",
    # 6 a date that matches the pattern but does not exist (unparseable)
    f"Feb 30,{T[6]},1000,Album Five,2015-02-30,Label,10,{AL[5]},{A[6]},1",
    # 7 artist and track missing from the other files (orphans)
    f"Orphan Artist,{T[7]},1000,Album Six,2020-01-01,Label,10,{AL[6]},{A[99]},1",
    # 8 exact duplicate of row 2 (removed, counted)
    f"Привет,{T[2]},180000,Album One,2015-06-09,Sony,60,{AL[1]},{A[2]},180.0",
    # 9 same track id as row 4, different content (quarantined)
    f'Happy 🎉 Birthday,{T[4]},"210000",Album Three,2015,Label,46,{AL[3]},{A[4]},210',
    # 10 invalid track id (quarantined)
    f"Bad Id,not-a-track-id,1000,Album,2015,Label,1,{AL[7]},{A[1]},1",
    # 11 empty track id (quarantined)
    f"No Id,,1000,Album,2015,Label,1,{AL[7]},{A[1]},1",
    # 12 too few fields (quarantined)
    f"Broken,{T[12]},1000",
    # 13 quoted quotes in the name; its track has a conflicting row in track.csv (first wins)
    f'"Name ""quoted""",{T[8]},1000,Album Seven,2021-03-04,Label,10,{AL[7]},{A[1]},1',
    # 14 spaces kept exactly; track missing from track.csv (orphan)
    f'"  padded  ",{T[10]},1000,Album Eight,2021-03-04,Label,10,{AL[8]},{A[5]},1',
]

ARTISTS_HEADER = "id,name,artist_popularity,followers,genre"
ARTIST_LINES = [
    f"{A[1]},Кино,71,1500000,russian rock",
    f"{A[2]},米津玄師,80,2500000.0,j-pop",  # pandas-style float followers
    f"{A[3]},🔥 Fire Emoji Club 🔥,N/A,,",  # N/A popularity, empty followers and genre
    f"{A[4]},,10,20,pop",  # empty name
    f"{A[5]},2026-11-01 00:00:00,50,1000,edm",  # a name that looks like a timestamp stays a string
    f'{A[6]},"Earth, Wind & Fire",65,300,soul',
    f"{A[1]},Кино,71,1500000,russian rock",  # exact duplicate
    f'{A[6]},"Earth, Wind & Fire",65,301,soul',  # conflicting
    "bad-id,Nobody,1,1,pop",  # invalid id
    f"{A[9]},Too Few",  # malformed
]

TRACKS_HEADER = "track_id,track_popularity"
TRACK_LINES = [
    f"{T[1]},55",
    f"{T[2]},N/A",  # unparseable
    f"{T[3]},",  # missing
    f'{T[4]},"70"',
    f"{T[5]},12",
    f"{T[5]},12",  # exact duplicate
    f"{T[6]},abc",  # unparseable
    f"{T[8]},40",
    f"{T[8]},41",  # conflicting
    "track1,20",  # invalid id
    f"{T[9]},1,2",  # too many fields
]


def write_workshop_files(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    # Windows line endings for albums, a spreadsheet's byte-order mark for artists.
    with open(os.path.join(folder, "albums.csv"), "w", encoding="utf-8", newline="") as handle:
        handle.write("\r\n".join([ALBUMS_HEADER, *ALBUM_LINES]) + "\r\n")
    with open(os.path.join(folder, "artists.csv"), "w", encoding="utf-8-sig", newline="") as handle:
        handle.write("\n".join([ARTISTS_HEADER, *ARTIST_LINES]) + "\n")
    with open(os.path.join(folder, "track.csv"), "w", encoding="utf-8", newline="") as handle:
        handle.write("\n".join([TRACKS_HEADER, *TRACK_LINES]) + "\n")
    return folder


KAGGLE_ALBUMS_HEADER = (
    "track_name,track_id,track_number,duration_ms,album_type,artists,total_tracks,album_name,release_date,label,"
    "album_popularity,album_id,artist_id," + ",".join(f"artist_{i}" for i in range(12)) + ",duration_sec"
)
KAGGLE_ARTISTS_HEADER = "id,name,artist_popularity,artist_genres,followers," + ",".join(
    f"genre_{i}" for i in range(7)
)
KAGGLE_TRACKS_HEADER = "id,track_popularity,explicit"


FEATURES_HEADER = (
    "danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,tempo,type,id,"
    "uri,track_href,analysis_url,duration_ms,time_signature"
)


def feature_line(track_id: str, danceability="0.5", key="5", loudness="-7.5", mode="1", tempo="120.0",
                 time_signature="4") -> str:
    return (f"{danceability},0.6,{key},{loudness},{mode},0.05,0.1,0.0,0.2,0.7,{tempo},audio_features,{track_id},"
            f"spotify:track:{track_id},https://api.spotify.com/v1/tracks/{track_id},"
            f"https://api.spotify.com/v1/audio-analysis/{track_id},200000,{time_signature}")


FEATURE_LINES = [
    feature_line(T[1]),  # 1 every value in range
    feature_line(T[2], danceability="N/A", key="-1"),  # 2 unparseable danceability; key -1 = no key (null, not counted)
    # 3 danceability out of range; loudness above 0 dB and time signature 0 (no meter) are Spotify's own values, kept
    feature_line(T[3], danceability="1.5", loudness="3.5", time_signature="0"),
    feature_line(T[4], tempo="", mode="2"),  # 4 missing tempo; mode out of range
    feature_line(T[11]),  # 5 a track in no album (unused, not an orphan)
    feature_line(T[1]),  # 6 exact duplicate of 1
    feature_line(T[2], danceability="0.9"),  # 7 conflicting with 2
    feature_line("not-a-track"),  # 8 invalid id
    "0.5,0.6,5",  # 9 malformed
]
# Tracks 5, 6, 7, 8, 10 have no feature row: 5 of 9 published tracks are feature orphans.


def write_features(folder: str, name: str = "features.csv") -> str:
    with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as handle:
        handle.write("\n".join([FEATURES_HEADER, *FEATURE_LINES]) + "\n")
    return folder


def write_kaggle_files(folder: str) -> str:
    os.makedirs(folder, exist_ok=True)
    empty_artists = "," * 9
    albums = [
        KAGGLE_ALBUMS_HEADER,
        # artist_0..artist_11 are names: two credited artists, then one (a blank cell is no artist).
        f"One,{T[1]},1,200000,album,\"['Кино', 'Звери']\",2,First,2019-05-01,Lbl,30,{AL[1]},{A[1]},Кино,Звери,"
        f"{empty_artists},200.0",
        f"Two,{T[2]},2,100000,single,\"['Кино']\",2,First,2019-05-01,Lbl,30,{AL[1]},{A[1]},Кино, ,"
        f"{empty_artists},100.0",
    ]
    artists = [
        KAGGLE_ARTISTS_HEADER,
        f"{A[1]},Кино,71,\"['russian rock', 'post-punk']\",1500000.0,russian rock,post-punk,,,,,",
    ]
    tracks = [KAGGLE_TRACKS_HEADER, f"{T[1]},55,True", f"{T[2]},40,False"]
    for name, lines in (
        ("spotify-albums_data_2023.csv", albums),
        ("spotify_artist_data_2023.csv", artists),
        ("spotify_tracks_data_2023.csv", tracks),
        # The pre-joined copy the job must ignore (reading it would double-count).
        ("spotify_data_12_20_2023.csv", albums),
    ):
        with open(os.path.join(folder, name), "w", encoding="utf-8", newline="") as handle:
            handle.write("\n".join(lines) + "\n")
    return folder


# Shared by the test files: configuration, reading the output, the expected published rows.

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


SCRIPT = os.path.join(ROOT, "glue_scripts", "spotify_etl.py")


LENIENT = {"MAX_QUARANTINE_RATE": "0.5", "MAX_ORPHAN_ARTIST_RATE": "0.5", "MAX_ORPHAN_TRACK_RATE": "0.5"}


def config_for(folder, **thresholds) -> EtlConfig:
    arguments = {
        "JOB_NAME": "test",
        "SOURCE_PATH": str(folder / "staging"),
        "TARGET_PATH": str(folder / "warehouse"),
        "QUARANTINE_PATH": str(folder / "warehouse" / "quarantine"),
        **thresholds,
    }
    return build_config(arguments)


def read_tracks(spark, target_path) -> list[dict]:
    rows = spark.read.parquet(f"{target_path}/tracks").collect()
    return sorted((row.asDict() for row in rows), key=lambda row: row["track_id"])


AUDIO_FEATURES = ("danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
                  "instrumentalness", "liveness", "valence", "tempo", "time_signature")


def row(track, name, duration, popularity, album, album_name, label, album_pop, date, precision, artist, artist_name,
        artist_pop, followers, genre, genres, year):
    return {
        "track_id": T[track], "track_name": name, "track_number": None, "duration_ms": duration,
        "track_popularity": popularity, "explicit": None, "album_id": AL[album], "album_name": album_name,
        "album_type": None, "total_tracks": None, "label": label,
        "album_popularity": album_pop, "release_date": date, "release_date_precision": precision,
        "artist_id": A[artist], "artist_name": artist_name,
        # Workshop layout: the joined artist's name alone (none for an unnamed or unknown artist).
        "artist_names": [artist_name] if artist_name else [], "artist_popularity": artist_pop,
        "followers": followers, "genre": genre, "genres": genres,
        **{name: None for name in AUDIO_FEATURES}, "release_year": year,
    }


D = dt.date


EXPECTED_TRACKS = [
    row(1, 'Song "Untitled", Pt. 2', 200000, 55, 1, "Album, One", 'Label "X"', 60, D(2015, 6, 9), "day",
        1, "Кино", 71, 1500000, "russian rock", ["russian rock"], 2015),
    row(2, "Привет", 180000, None, 1, "Album One", "Sony", 60, D(2015, 6, 9), "day",
        2, "米津玄師", 80, 2500000, "j-pop", ["j-pop"], 2015),
    row(3, "夜に駆ける", None, None, 2, "Album Two", None, None, D(2015, 6, 1), "month",
        3, "🔥 Fire Emoji Club 🔥", None, None, None, [], 2015),
    row(4, "Happy 🎉 Birthday", 210000, 70, 3, "Album Three", "Label", 45, D(2015, 1, 1), "year",
        4, None, 10, 20, "pop", ["pop"], 2015),
    row(5, "Date Named", 1000, 12, 4, "Album Four", "Label", None, None, None,
        5, "2026-11-01 00:00:00", 50, 1000, "edm", ["edm"], None),
    row(6, "Feb 30", 1000, None, 5, "Album Five", "Label", 10, None, None,
        6, "Earth, Wind & Fire", 65, 300, "soul", ["soul"], None),
    row(7, "Orphan Artist", 1000, None, 6, "Album Six", "Label", 10, D(2020, 1, 1), "day",
        99, None, None, None, None, None, 2020),
    row(8, 'Name "quoted"', 1000, 40, 7, "Album Seven", "Label", 10, D(2021, 3, 4), "day",
        1, "Кино", 71, 1500000, "russian rock", ["russian rock"], 2021),
    row(10, "  padded  ", 1000, None, 8, "Album Eight", "Label", 10, D(2021, 3, 4), "day",
        5, "2026-11-01 00:00:00", 50, 1000, "edm", ["edm"], 2021),
]
