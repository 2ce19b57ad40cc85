"""The Hadoop file-system helpers on local paths (the same calls serve s3:// on Glue)."""

from __future__ import annotations

from etl.storage import path_exists, path_size, read_first_line, write_text


def test_file_system_helpers(spark, tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "albums.csv").write_bytes("\ufeffid,name\nx,Кино\n".encode("utf-8"))
    (tmp_path / "in" / "empty.csv").write_bytes(b"")
    assert path_exists(spark, str(tmp_path / "in" / "albums.csv"))
    assert not path_exists(spark, str(tmp_path / "in" / "missing.csv"))
    assert path_size(spark, str(tmp_path / "in")) == 22  # a folder: the bytes of every file below it
    assert read_first_line(spark, str(tmp_path / "in" / "albums.csv")) == "\ufeffid,name"
    assert read_first_line(spark, str(tmp_path / "in" / "empty.csv")) is None
    write_text(spark, str(tmp_path / "out" / "run_summary.json"), '{"job": "spotify_etl"}\n')
    write_text(spark, str(tmp_path / "out" / "run_summary.json"), '{"job": "spotify_etl", "run": 2}\n')  # replaced
    assert (tmp_path / "out" / "run_summary.json").read_text(encoding="utf-8") == '{"job": "spotify_etl", "run": 2}\n'
