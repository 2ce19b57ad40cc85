"""Benchmark the Glue script on local Spark against DuckDB, in one run.

    python tools/benchmark.py                 # SF1 and SF5 (make bench)
    python tools/benchmark.py --scales 0.1 1  # quicker

For each scale factor it generates the data (cached under bench/), runs
glue_scripts/spotify_etl.py as Glue would, then the same join written to
partitioned Parquet by DuckDB as the single-node reference, and prints rows,
wall seconds, peak RSS of the whole process tree, output bytes and files, and
the Spark/DuckDB time ratio. Timings are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ETL_SCRIPT = os.path.join(ROOT, "glue_scripts", "spotify_etl.py")
PAGE = os.sysconf("SC_PAGE_SIZE")

# The reference: the same typed LEFT joins, written by DuckDB. Malformed rows
# are skipped rather than quarantined, so it does a little less work.
DUCKDB_REFERENCE = """
CREATE TEMP TABLE albums AS SELECT * FROM read_csv('{src}/albums.csv', all_varchar = true, header = true,
    quote = '"', escape = '"', ignore_errors = true);
CREATE TEMP TABLE artists AS SELECT * FROM read_csv('{src}/artists.csv', all_varchar = true, header = true,
    quote = '"', escape = '"', ignore_errors = true);
CREATE TEMP TABLE track AS SELECT * FROM read_csv('{src}/track.csv', all_varchar = true, header = true,
    quote = '"', escape = '"', ignore_errors = true);
COPY (
    WITH a AS (SELECT DISTINCT ON (track_id) * FROM albums WHERE regexp_full_match(track_id, '[0-9A-Za-z]{{22}}')),
         r AS (SELECT DISTINCT ON (id) * FROM artists),
         t AS (SELECT DISTINCT ON (track_id) * FROM track)
    SELECT a.track_id, a.track_name, TRY_CAST(a.duration_ms AS INTEGER) AS duration_ms,
           TRY_CAST(t.track_popularity AS INTEGER) AS track_popularity, a.album_id, a.album_name, a.label,
           TRY_CAST(a.album_popularity AS INTEGER) AS album_popularity,
           TRY_CAST(left(a.release_date, 10) AS DATE) AS release_date, a.artist_id, r.name AS artist_name,
           TRY_CAST(r.artist_popularity AS INTEGER) AS artist_popularity,
           TRY_CAST(TRY_CAST(r.followers AS DOUBLE) AS BIGINT) AS followers, r.genre,
           year(TRY_CAST(left(a.release_date, 10) AS DATE)) AS release_year
    FROM a LEFT JOIN r ON a.artist_id = r.id LEFT JOIN t ON a.track_id = t.track_id
) TO '{out}/tracks' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (release_year), OVERWRITE_OR_IGNORE true);
"""


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (the JVM is a grandchild)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending += [int(child) for child in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
    return total


def measure(command: list[str]) -> dict:
    """Wall seconds and peak process-tree RSS of a command; raises on failure."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss_bytes(process.pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"benchmark command failed ({' '.join(command[:3])} ...):\n{stderr[-3000:]}")
    return {"seconds": seconds, "peak_rss": peak[0], "stdout": stdout}


def output_size(folder: str) -> tuple[int, int]:
    total = files = 0
    for current, _, names in os.walk(folder):
        for name in names:
            if name.endswith(".parquet"):
                total += os.path.getsize(os.path.join(current, name))
                files += 1
    return total, files


def ensure_data(scale: float, folder: str) -> None:
    marker = os.path.join(folder, ".generated")
    if os.path.exists(marker):
        return
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "generate_data.py"), "--scale", str(scale),
                    "--output", folder], check=True, stdout=subprocess.DEVNULL)
    open(marker, "w").close()


def run_duckdb_reference(source: str, target: str) -> None:
    import duckdb

    os.makedirs(target, exist_ok=True)
    with duckdb.connect() as connection:
        connection.execute(DUCKDB_REFERENCE.format(src=source, out=target))


def bench_scale(scale: float, workdir: str) -> dict:
    source = os.path.join(workdir, f"sf{scale:g}", "input")
    ensure_data(scale, source)
    spark_out = os.path.join(workdir, f"sf{scale:g}", "spark")
    duck_out = os.path.join(workdir, f"sf{scale:g}", "duckdb")
    shutil.rmtree(spark_out, ignore_errors=True)
    shutil.rmtree(duck_out, ignore_errors=True)
    os.makedirs(duck_out)
    spark = measure([sys.executable, ETL_SCRIPT, "--JOB_NAME", "bench", "--SOURCE_PATH", source,
                     "--TARGET_PATH", spark_out, "--QUARANTINE_PATH", os.path.join(spark_out, "quarantine")])
    summary = json.loads(next(line for line in spark["stdout"].splitlines() if line.startswith('{"job"')))
    duck = measure([sys.executable, __file__, "--duckdb-reference", source, duck_out])
    spark_bytes, spark_files = output_size(os.path.join(spark_out, "tracks"))
    duck_bytes, duck_files = output_size(os.path.join(duck_out, "tracks"))
    return {
        "scale": scale, "input_rows": summary["input_rows"], "output_rows": summary["output_rows"],
        "spark_seconds": round(spark["seconds"], 1), "duckdb_seconds": round(duck["seconds"], 1),
        "ratio": round(spark["seconds"] / duck["seconds"], 1),
        "spark_peak_rss_mb": round(spark["peak_rss"] / 2**20), "duckdb_peak_rss_mb": round(duck["peak_rss"] / 2**20),
        "spark_output_mb": round(spark_bytes / 2**20, 1), "spark_files": spark_files,
        "duckdb_output_mb": round(duck_bytes / 2**20, 1), "duckdb_files": duck_files,
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["--duckdb-reference"]:
        run_duckdb_reference(argv[1], argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--workdir", default=os.path.join(ROOT, "bench"))
    args = parser.parse_args(argv)
    results = []
    header = (f"{'scale':>5} {'input rows':>11} {'output rows':>11} {'spark s':>8} {'duckdb s':>8} {'ratio':>6} "
              f"{'spark RSS MB':>12} {'duckdb RSS MB':>13} {'spark MB':>9} {'files':>6} {'duckdb MB':>9} {'files':>6}")
    print(header, flush=True)
    for scale in args.scales:
        r = bench_scale(scale, args.workdir)
        results.append(r)
        print(f"{r['scale']:>5g} {r['input_rows']:>11,} {r['output_rows']:>11,} {r['spark_seconds']:>8} "
              f"{r['duckdb_seconds']:>8} {r['ratio']:>6} {r['spark_peak_rss_mb']:>12,} {r['duckdb_peak_rss_mb']:>13,} "
              f"{r['spark_output_mb']:>9} {r['spark_files']:>6} {r['duckdb_output_mb']:>9} {r['duckdb_files']:>6}",
              flush=True)
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"spark time SF{last['scale']:g} / SF{first['scale']:g}: "
              f"{last['spark_seconds'] / first['spark_seconds']:.2f} (data grows {last['scale'] / first['scale']:g}x)")
    with open(os.path.join(args.workdir, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
