"""Classifying rows: quarantined rows keep their raw line, byte for byte, with their reason."""

from __future__ import annotations

import os

from etl.job import run
from tests.etl.support import AL, A, T, config_for, write_features, write_workshop_files


def test_quarantine_keeps_raw_rows_with_reasons(spark, workshop_run):
    quarantine = spark.read.parquet(workshop_run["config"].quarantine_path).collect()
    got = sorted((r["source"], r["reason"].split(":")[0], r["raw_record"]) for r in quarantine)
    assert got == sorted([
        ("albums", "conflicting_track_id",
         f'Happy 🎉 Birthday,{T[4]},"210000",Album Three,2015,Label,46,{AL[3]},{A[4]},210'),
        ("albums", "invalid_track_id", f"Bad Id,not-a-track-id,1000,Album,2015,Label,1,{AL[7]},{A[1]},1"),
        ("albums", "invalid_track_id", f"No Id,,1000,Album,2015,Label,1,{AL[7]},{A[1]},1"),
        ("albums", "malformed_row", f"Broken,{T[12]},1000"),
        ("artists", "conflicting_artist_id", f'{A[6]},"Earth, Wind & Fire",65,301,soul'),
        ("artists", "invalid_artist_id", "bad-id,Nobody,1,1,pop"),
        ("artists", "malformed_row", f"{A[9]},Too Few"),
        ("tracks", "conflicting_track_id", f"{T[8]},41"),
        ("tracks", "invalid_track_id", "track1,20"),
        ("tracks", "malformed_row", f"{T[9]},1,2"),
    ])
    # The file as the job was given it (the run summary names the same path).
    source = workshop_run["config"].source_path
    assert {r["source_file"] for r in quarantine} == {f"{source}/{name}" for name in ("albums.csv", "artists.csv",
                                                                                      "track.csv")}


# Fields that begin or end with spaces, tabs and quotes, and non-ASCII text:
# each line has an invalid id, so it is quarantined and must come back byte for byte.
# Rejected for their own content (the id), and, last in each file, a row that
# conflicts with an earlier one of the same id: its line is read again from the file.
RAW_LINES = {
    "albums.csv": [
        f' \tLead Tab, {T[11]},"  1000  ",  "Album ""Q"" ",2015,Label ,1,{AL[9]},{A[1]},1\t',
        f'"  Привет, мир  ",{T[11]}\t,1000,夜に駆ける ,2015, "Lbl",1,{AL[9]},{A[1]}, 1 ',
        f'"  Conflict, ""Q"" ",{T[1]},1000, Ålbum ,2015,Label\t,1,{AL[1]},{A[1]},1 ',
    ],
    "artists.csv": [f' {A[50]} , "Name, with comma" ,1,2,\tpop\t', f'"{A[51]} ",🔥 ,1,2,',
                    f'{A[1]}," Кино, again ",71,1500001,\trussian rock '],
    "track.csv": [f"\t{T[11]},5 ", f'"{T[12]} " ,"7"', f"{T[1]}, 56 "],
    "features.csv": [f" {T[11]},".join(line.split(f"{T[1]},", 1)) for line in [
        "0.5,0.6,5,-7.5,1,0.05,0.1,0.0,0.2,0.7,120.0,audio_features," + T[1] + ",x,y,z,1, 4 "]] + [
        "0.5,0.6,5,-7.5,1,0.05,0.1,0.0,0.2,0.7,121.5,audio_features," + T[1] + ", x ,\ty,z,1, 4 "],
}


def test_quarantine_keeps_raw_lines_byte_for_byte_in_every_file(spark, tmp_path):
    staging = write_features(write_workshop_files(str(tmp_path / "staging")))
    for name, lines in RAW_LINES.items():
        newline = "\r\n" if name == "albums.csv" else "\n"  # each file keeps its own line endings
        with open(os.path.join(staging, name), "a", encoding="utf-8", newline="") as handle:
            handle.write(newline.join(lines) + newline)
    config = config_for(tmp_path, MAX_QUARANTINE_RATE="0.9", MAX_ORPHAN_ARTIST_RATE="0.9",
                        MAX_ORPHAN_TRACK_RATE="0.9", MAX_ORPHAN_FEATURE_RATE="0.9")
    run(spark, config)
    quarantine = spark.read.parquet(config.quarantine_path).collect()
    by_file = {}
    for r in quarantine:
        by_file.setdefault(r["source_file"].rsplit("/", 1)[1], set()).add(r["raw_record"])
    for name, lines in RAW_LINES.items():
        assert set(lines) <= by_file[name], name
    assert {r["source"] for r in quarantine} == {"albums", "artists", "tracks", "features"}
    conflicting = {r["raw_record"] for r in quarantine if r["reason"].startswith("conflicting_")}
    assert {lines[-1] for lines in RAW_LINES.values()} <= conflicting
