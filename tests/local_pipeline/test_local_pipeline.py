"""The local runner end to end on real Spark and DuckDB, plus its stand-ins in isolation."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import duckdb
import pytest
import sqlglot
from sqlglot.errors import ParseError

from local_pipeline import athena, cli, crawler
from local_pipeline.errors import StageError
from sql.queries import load_named_queries
from tests.local_pipeline.support import oracle
from tools.generate_data import generate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRACT_COLUMNS = [
    ("track_id", "VARCHAR"), ("track_name", "VARCHAR"), ("track_number", "INTEGER"), ("duration_ms", "INTEGER"),
    ("track_popularity", "INTEGER"), ("explicit", "BOOLEAN"), ("album_id", "VARCHAR"), ("album_name", "VARCHAR"),
    ("album_type", "VARCHAR"), ("total_tracks", "INTEGER"), ("label", "VARCHAR"), ("album_popularity", "INTEGER"),
    ("release_date", "DATE"), ("release_date_precision", "VARCHAR"), ("artist_id", "VARCHAR"),
    ("artist_name", "VARCHAR"), ("artist_names", "VARCHAR[]"), ("artist_popularity", "INTEGER"),
    ("followers", "BIGINT"), ("genre", "VARCHAR"), ("genres", "VARCHAR[]"),
    ("danceability", "DOUBLE"), ("energy", "DOUBLE"), ("key", "INTEGER"), ("loudness", "DOUBLE"), ("mode", "INTEGER"),
    ("speechiness", "DOUBLE"), ("acousticness", "DOUBLE"), ("instrumentalness", "DOUBLE"), ("liveness", "DOUBLE"),
    ("valence", "DOUBLE"), ("tempo", "DOUBLE"), ("time_signature", "INTEGER"),
    # The partition key is a string, as the Glue crawler registers it.
    ("release_year", "VARCHAR"),
]


def test_demo_prints_every_stage_and_the_dashboard_path(demo_run):
    stdout = demo_run["stdout"]
    for number, name in enumerate(["Stage", "Transform", "Crawl", "Query", "Visualize"], start=1):
        assert f"== {number}/5 {name}" in stdout
    assert re.search(r"\(transform took \d+\.\d s\)", stdout)
    assert re.search(r"Done in \d+\.\d s\.", stdout)
    assert f"dashboard: {os.path.join(demo_run['output'], 'dashboard.html')}" in stdout
    expected = demo_run["expected_rows"]
    assert f"= {len(expected)} output +" in stdout
    for query in load_named_queries():
        assert f"{query.title} ({query.query_id}.sql)" in stdout


def test_catalog_has_the_contract_columns_types_and_partitions(demo_run):
    with duckdb.connect(os.path.join(demo_run["output"], "catalog.duckdb"), read_only=True) as connection:
        columns = connection.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'tracks' "
            "ORDER BY ordinal_position"
        ).fetchall()
        years = connection.execute("SELECT DISTINCT release_year FROM tracks ORDER BY 1").fetchall()
        count = connection.execute("SELECT count(*), count(DISTINCT track_id) FROM tracks").fetchone()
    assert columns == CONTRACT_COLUMNS
    expected = demo_run["expected_rows"]
    assert count == (len(expected), len(expected))
    expected_years = sorted({r["release_year"] for r in expected if r["release_year"] is not None})
    assert sorted(int(y) for (y,) in years if y is not None) == expected_years
    assert (None,) in years  # unknown dates land in the default partition and read back as NULL
    stdout = demo_run["stdout"]
    assert f"{len(expected_years) + 1} partitions:" in stdout
    assert "release_year            string  (partition key)" in stdout
    assert "genres                  array<string>" in stdout


@pytest.mark.parametrize("query_id", sorted(oracle.EXPECTED))
def test_named_query_results_match_plain_python(demo_run, query_id):
    query = next(q for q in load_named_queries() if q.query_id == query_id)
    with duckdb.connect(os.path.join(demo_run["output"], "catalog.duckdb"), read_only=True) as connection:
        _, rows = athena.run_sql(connection, query.text)
    expected = oracle.EXPECTED[query_id](demo_run["expected_rows"])
    assert len(rows) == len(expected) > 0
    for got, want in zip(rows, expected):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            if isinstance(w, float):
                assert g == pytest.approx(w, abs=0.051), (got, want)
            else:
                assert g == w, (got, want)


def test_rerun_replaces_tables_instead_of_appending(demo_run, fixture_source):
    assert cli.main(["demo", "--source", fixture_source, "--output", demo_run["output"]]) == 0
    with duckdb.connect(os.path.join(demo_run["output"], "catalog.duckdb"), read_only=True) as connection:
        count = connection.execute("SELECT count(*) FROM tracks").fetchone()[0]
    assert count == len(demo_run["expected_rows"])


def test_ad_hoc_query_in_trino_sql(demo_run, capsys):
    code = cli.main(["query", "--output", demo_run["output"],
                     "SELECT approx_distinct(artist_id) > 0 AS has_artists, count_if(explicit) AS explicit_tracks "
                     "FROM tracks"])
    assert code == 0
    assert "| has_artists | explicit_tracks |" in capsys.readouterr().out


def test_every_named_query_parses_as_trino_sql():
    queries = load_named_queries()
    # The tracks queries are checked against the oracle above; the run history's in test_run_history.py.
    history = {"pipeline_recent_runs": "pipeline_runs", "pipeline_quarantine_rates": "pipeline_run_files",
               "pipeline_gate_results": "pipeline_run_gates"}
    assert [q.query_id for q in queries] == sorted([*oracle.EXPECTED, *history])
    for query in queries:
        parsed = sqlglot.parse_one(query.text, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
        assert parsed.find(sqlglot.exp.Table).name == history.get(query.query_id, "tracks")
        assert athena.to_duckdb(query.text)


def test_translation_turns_trino_idioms_into_duckdb():
    assert athena.to_duckdb("SELECT approx_distinct(x) FROM t") == "SELECT APPROX_COUNT_DISTINCT(x) FROM t"
    unnest = athena.to_duckdb("SELECT g FROM t CROSS JOIN UNNEST(t.genres) AS u (g)")
    assert "UNNEST" in unnest.upper()
    with pytest.raises(ParseError):
        athena.to_duckdb("SELECT FROM WHERE")


def write_partitioned(location, rows):
    os.makedirs(os.path.dirname(location), exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE t (id INTEGER, year VARCHAR)")
        connection.executemany("INSERT INTO t VALUES (?, ?)", rows)
        connection.execute(f"COPY (SELECT id, year AS release_year FROM t) TO '{location}' "
                           "(FORMAT parquet, PARTITION_BY (release_year))")


def test_crawl_discovers_partitions_types_and_skips_markers(tmp_path):
    location = tmp_path / "warehouse" / "tracks"
    write_partitioned(str(location), [(1, "2019"), (2, "2020"), (3, "2020")])
    default = location / "release_year=__HIVE_DEFAULT_PARTITION__"
    default.mkdir()
    os.link(next((location / "release_year=2019").glob("*.parquet")), default / "part-0.parquet")
    (location / "_SUCCESS").write_text("")
    (location / "release_year=2019" / ".part-0.parquet.crc").write_text("x")
    tables = crawler.discover_tables(str(tmp_path / "warehouse"))
    assert [t.name for t in tables] == ["tracks"]
    table = tables[0]
    assert table.columns == [("id", "INTEGER")]
    assert table.partition_keys == [("release_year", "VARCHAR")]  # as the Glue crawler types it
    assert table.partitions == [("2019",), ("2020",), ("__HIVE_DEFAULT_PARTITION__",)]
    assert table.files == 3
    crawler.register(str(tmp_path / "catalog.duckdb"), tables)
    with duckdb.connect(str(tmp_path / "catalog.duckdb")) as connection:
        assert connection.execute("SELECT release_year, count(*) FROM tracks GROUP BY 1 ORDER BY 1").fetchall() == [
            ("2019", 1), ("2020", 2), (None, 1)]
        # A query that forgets the cast compares strings, as in Athena.
        with pytest.raises(duckdb.BinderException):
            connection.execute("SELECT count(*) FROM tracks WHERE release_year + 1 > 2000").fetchall()


def test_crawl_types_non_numeric_partitions_as_strings_and_rejects_mixed_layouts(tmp_path):
    location = tmp_path / "warehouse" / "tracks"
    write_partitioned(str(location), [(1, "2019"), (2, "soon")])
    assert crawler.discover_table("tracks", str(location)).partition_keys == [("release_year", "VARCHAR")]
    stray = location / "loose"
    stray.mkdir()
    os.link(next((location / "release_year=2019").glob("*.parquet")), stray / "x.parquet")
    with pytest.raises(StageError, match="is not a key=value partition folder of table tracks"):
        crawler.discover_table("tracks", str(location))


def run_cli(*arguments, env=None):
    return subprocess.run([sys.executable, "-m", "local_pipeline", *arguments], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env=env)


@pytest.mark.parametrize(
    ("make_source", "message"),
    [
        (lambda tmp: str(tmp / "missing"), "error: staging failed: source folder {src} does not exist"),
        (lambda tmp: str(tmp), "error: staging failed: source folder {src} holds no .csv files"),
    ],
)
def test_bad_source_folders_stop_with_one_message(tmp_path, make_source, message):
    source = make_source(tmp_path)
    result = run_cli("demo", "--source", source, "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert message.format(src=source) in result.stderr
    assert "Traceback" not in result.stderr


def test_kaggle_download_runs_end_to_end_with_its_fifth_file_ignored(tmp_path):
    generate(scale=0.001, seed=5, layout="kaggle", output=str(tmp_path / "src"))
    assert len(os.listdir(tmp_path / "src")) == 5
    result = run_cli("demo", "--source", str(tmp_path / "src"), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ignoring spotify_data_12_20_2023.csv: a pre-joined copy" in result.stdout
    with duckdb.connect(str(tmp_path / "out" / "catalog.duckdb"), read_only=True) as connection:
        shared, with_features, typed = connection.execute(
            "SELECT count_if(len(artist_names) > 1), count(danceability), count(album_type) FROM tracks").fetchone()
    assert shared > 0 and with_features > 0 and typed > 0


def test_two_layouts_in_one_source_stop_the_transform(tmp_path):
    generate(scale=0.0005, seed=1, layout="workshop", output=str(tmp_path / "src"))
    generate(scale=0.0005, seed=1, layout="kaggle", output=str(tmp_path / "src"))
    result = run_cli("demo", "--source", str(tmp_path / "src"), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "holds two input layouts at once: albums.csv" in result.stderr
    assert "deploySampleData=false" in result.stderr and "Traceback" not in result.stderr


def test_missing_input_file_is_named(tmp_path):
    generate(scale=0.0005, seed=1, layout="workshop", output=str(tmp_path / "src"))
    os.remove(tmp_path / "src" / "artists.csv")
    result = run_cli("stage", "--source", str(tmp_path / "src"), "--output", str(tmp_path / "out"))
    assert result.returncode == 1
    assert "has no artists file: expected artists.csv or spotify_artist_data_2023.csv" in result.stderr


def test_failing_gate_stops_the_transform_with_its_message(fixture_source, tmp_path):
    result = run_cli("demo", "--source", fixture_source, "--output", str(tmp_path), "--gate", "MAX_QUARANTINE_RATE=0")
    assert result.returncode == 1
    assert "error: transform failed: data-quality gate max_quarantine_rate failed:" in result.stderr
    assert "Traceback" not in result.stderr
    assert "== 3/5" not in result.stdout


def test_missing_java_stops_the_transform_with_its_message(fixture_source, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = os.path.dirname(sys.executable)
    result = run_cli("demo", "--source", fixture_source, "--output", str(tmp_path), env=env)
    assert result.returncode == 1
    assert "error: transform failed: Java 17 is required to run Spark locally" in result.stderr
    assert "Traceback" not in result.stderr
