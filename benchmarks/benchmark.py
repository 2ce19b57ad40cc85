"""Benchmark the Glue script on local Spark against its floors, in one run.

    python -m benchmarks.benchmark                            # SF1 and SF5, two rounds (make bench)
    python -m benchmarks.benchmark --scales 0.1 1 --rounds 1  # quicker

For each scale factor it generates the data (cached under benchmarks/work/) and runs, in
each round, glue_scripts/spotify_etl.py as Glue would, then
- the minimal typed Spark job: the same four files read, typed, LEFT-joined
  (artists broadcast) and written as the same partitioned Parquet, with no
  validation, no quarantine and no counts: what local Spark needs at least;
- the job's single pass: the job's own reading, classification, typing, joins
  and write, composed in one pass with nothing cached and no counts, quarantine
  or gates: what the job's row work costs before it gates anything;
- the same joins written to partitioned Parquet by DuckDB, the single-node
  reference;
and prints rows, wall seconds (each run's fastest round), the time ratios, peak
RSS of the whole process tree, output bytes per row and files. Timings are only
comparable within one run: the machine may be shared.
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
CREATE TEMP TABLE features AS SELECT * FROM read_csv('{src}/features.csv', all_varchar = true, header = true,
    quote = '"', escape = '"', ignore_errors = true);
COPY (
    WITH a AS (SELECT DISTINCT ON (track_id) * FROM albums WHERE regexp_full_match(track_id, '[0-9A-Za-z]{{22}}')),
         r AS (SELECT DISTINCT ON (id) * FROM artists),
         t AS (SELECT DISTINCT ON (track_id) * FROM track),
         f AS (SELECT DISTINCT ON (id) * FROM features)
    SELECT a.track_id, a.track_name, TRY_CAST(a.track_number AS INTEGER) AS track_number,
           TRY_CAST(a.duration_ms AS INTEGER) AS duration_ms,
           TRY_CAST(t.track_popularity AS INTEGER) AS track_popularity, TRY_CAST(t.explicit AS BOOLEAN) AS explicit,
           a.album_id, a.album_name, a.album_type, TRY_CAST(a.total_tracks AS INTEGER) AS total_tracks, a.label,
           TRY_CAST(a.album_popularity AS INTEGER) AS album_popularity,
           TRY_CAST(left(a.release_date, 10) AS DATE) AS release_date, a.artist_id, r.name AS artist_name,
           [r.name] AS artist_names, TRY_CAST(r.artist_popularity AS INTEGER) AS artist_popularity,
           TRY_CAST(TRY_CAST(r.followers AS DOUBLE) AS BIGINT) AS followers, r.genre,
           {features},
           year(TRY_CAST(left(a.release_date, 10) AS DATE)) AS release_year
    FROM a LEFT JOIN r ON a.artist_id = r.id LEFT JOIN t ON a.track_id = t.track_id LEFT JOIN f ON a.track_id = f.id
) TO '{out}/tracks' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (release_year), OVERWRITE_OR_IGNORE true);
"""
AUDIO_FEATURES = ["danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
                  "instrumentalness", "liveness", "valence", "tempo", "time_signature"]
INTEGER_FEATURES = {"key", "mode", "time_signature"}


def minimal_spark_job(source: str, target: str) -> None:
    """The floor: read, type, LEFT-join (artists broadcast), write the same partitioned Parquet. No validation."""
    from pyspark.sql import functions as F

    from etl.entry import local_spark_session

    spark = local_spark_session()

    def read(name):
        return spark.read.option("header", True).option("escape", '"').csv(f"{source}/{name}")

    whole = lambda c, t="INT": F.expr(f"try_cast(try_cast(`{c}` AS DOUBLE) AS {t})")  # noqa: E731
    # Junk ids would join junk ids (albums x tracks x features rows named
    # NOT-A-SPOTIFY-ID multiply): keep only id-shaped album rows, as DuckDB does.
    albums = read("albums.csv").filter(F.col("track_id").rlike("^[0-9A-Za-z]{22}$")).select(
        "track_id", "track_name", whole("track_number").alias("track_number"),
        whole("duration_ms").alias("duration_ms"), "album_id", "album_name", "album_type",
        whole("total_tracks").alias("total_tracks"), "label", whole("album_popularity").alias("album_popularity"),
        F.expr("try_cast(left(release_date, 10) AS DATE)").alias("release_date"), "artist_id")
    artists = read("artists.csv").select(
        F.col("id").alias("_artist_key"), F.col("name").alias("artist_name"),
        F.array("name").alias("artist_names"), whole("artist_popularity").alias("artist_popularity"),
        whole("followers", "BIGINT").alias("followers"), "genre", F.array("genre").alias("genres"))
    tracks = read("track.csv").select(
        F.col("track_id").alias("_track_key"), whole("track_popularity").alias("track_popularity"),
        F.expr("try_cast(explicit AS BOOLEAN)").alias("explicit"))
    features = read("features.csv").select(
        F.col("id").alias("_feature_key"),
        *[(whole(c) if c in INTEGER_FEATURES else F.expr(f"try_cast({c} AS DOUBLE)")).alias(c)
          for c in AUDIO_FEATURES])
    (
        albums.join(F.broadcast(artists), F.col("artist_id") == F.col("_artist_key"), "left")
        .join(tracks, F.col("track_id") == F.col("_track_key"), "left")
        .join(features, F.col("track_id") == F.col("_feature_key"), "left")
        .drop("_artist_key", "_track_key", "_feature_key")
        .withColumn("release_year", F.year("release_date"))
        .repartition("release_year")
        .write.mode("overwrite").option("compression", "snappy").partitionBy("release_year")
        .parquet(f"{target}/tracks")
    )
    spark.stop()


def single_pass_job(spark, source: str, target: str) -> None:
    """The job's row work in one pass: its own functions, nothing cached, no counts, quarantine or gates."""
    from etl.job import configure_session, validated_frames, write_tracks
    from etl.joining import published_tracks
    from etl.reading import read_source, resolve_sources

    sources = resolve_sources(spark, source)
    frames = {role: read_source(spark, spec, path) for role, (spec, path) in sources.items()}
    configure_session(spark, sources)
    joined, _, _ = validated_frames(frames, cache_level=None)
    write_tracks(published_tracks(joined), target)


def address_space(pid: int) -> tuple[str, ...]:
    """What identifies a process's memory: its code and stack addresses (/proc/<pid>/stat fields 26-28)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return tuple(fields[23:26])


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (the JVM is a grandchild).

    Each address space counts once: when the JVM starts a command (Hadoop's
    local file system runs chmod for every file it writes), the child shares
    the JVM's memory until it execs, and summing both doubled the peak.
    """
    total, pending, seen = 0, [pid], set()
    while pending:
        current = pending.pop()
        try:
            space = address_space(current)
            with open(f"/proc/{current}/statm") as handle:
                resident = int(handle.read().split()[1]) * PAGE
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending += [int(child) for child in handle.read().split()]
        except (FileNotFoundError, ProcessLookupError, ValueError, IndexError):
            continue
        if space not in seen:
            seen.add(space)
            total += resident
    return total


def measure(command: list[str]) -> dict:
    """Wall seconds and peak process-tree RSS of a command; raises on failure."""
    started = time.perf_counter()
    # From the checkout's root: the -m commands import `benchmarks` and `etl` from there.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
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
        raise SystemExit(f"benchmark command failed ({' '.join(command[:4])} ...):\n{stderr[-3000:]}")
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
    marker = os.path.join(folder, ".generated-with-features")  # data made before features.csv is regenerated
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
        features = ", ".join(f"TRY_CAST(f.{c} AS {'INTEGER' if c in INTEGER_FEATURES else 'DOUBLE'}) AS {c}"
                             for c in AUDIO_FEATURES)
        connection.execute(DUCKDB_REFERENCE.format(src=source, out=target, features=features))


def best_of(rounds: list[dict]) -> dict:
    """The fastest round (the one least slowed by other work on a shared host) and the highest peak RSS."""
    return {
        "seconds": min(r["seconds"] for r in rounds), "peak_rss": max(r["peak_rss"] for r in rounds),
        "rounds": [round(r["seconds"], 1) for r in rounds], "stdout": rounds[-1]["stdout"],
    }


def bench_scale(scale: float, workdir: str, rounds: int) -> dict:
    source = os.path.join(workdir, f"sf{scale:g}", "input")
    ensure_data(scale, source)
    outputs = {name: os.path.join(workdir, f"sf{scale:g}", name) for name in ("spark", "single", "minimal", "duckdb")}
    commands = {
        "spark": [sys.executable, ETL_SCRIPT, "--JOB_NAME", "bench", "--SOURCE_PATH", source, "--TARGET_PATH",
                  outputs["spark"], "--QUARANTINE_PATH", os.path.join(outputs["spark"], "quarantine")],
        "single": [sys.executable, "-m", "benchmarks.benchmark", "--single-pass", source, outputs["single"]],
        "minimal": [sys.executable, "-m", "benchmarks.benchmark", "--minimal-spark", source, outputs["minimal"]],
        "duckdb": [sys.executable, "-m", "benchmarks.benchmark", "--duckdb-reference", source, outputs["duckdb"]],
    }
    # Rounds interleave the four runs, so that a slow spell of the host
    # slows one round of each rather than all rounds of one.
    measured: dict[str, list[dict]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            shutil.rmtree(outputs[name], ignore_errors=True)
            os.makedirs(outputs[name])
            measured[name].append(measure(command))
    best = {name: best_of(rounds_measured) for name, rounds_measured in measured.items()}
    job, single, minimal, duck = best["spark"], best["single"], best["minimal"], best["duckdb"]
    summary = json.loads(next(line for line in job["stdout"].splitlines() if line.startswith('{"job"')))
    job_bytes, job_files = output_size(os.path.join(outputs["spark"], "tracks"))
    minimal_bytes, _ = output_size(os.path.join(outputs["minimal"], "tracks"))
    return {
        "scale": scale, "input_rows": summary["input_rows"], "output_rows": summary["output_rows"],
        "job_seconds": round(job["seconds"], 1), "minimal_spark_seconds": round(minimal["seconds"], 1),
        "single_pass_seconds": round(single["seconds"], 1), "duckdb_seconds": round(duck["seconds"], 1),
        "ratio_to_minimal_spark": round(job["seconds"] / minimal["seconds"], 2),
        "single_pass_to_minimal_spark": round(single["seconds"] / minimal["seconds"], 2),
        "ratio_to_single_pass": round(job["seconds"] / single["seconds"], 2),
        "ratio_to_duckdb": round(job["seconds"] / duck["seconds"], 1),
        "job_peak_rss_mb": round(job["peak_rss"] / 2**20),
        "minimal_spark_peak_rss_mb": round(minimal["peak_rss"] / 2**20),
        "duckdb_peak_rss_mb": round(duck["peak_rss"] / 2**20),
        "job_output_mb": round(job_bytes / 2**20, 1), "job_files": job_files,
        "job_bytes_per_row": round(job_bytes / max(1, summary["output_rows"]), 1),
        "minimal_spark_bytes_per_row": round(minimal_bytes / max(1, summary["output_rows"]), 1),
        "rounds_seconds": {name: fastest["rounds"] for name, fastest in best.items()},
    }


COLUMNS = [  # (key, heading, width)
    ("scale", "scale", 5), ("input_rows", "input rows", 11), ("output_rows", "output rows", 11),
    ("job_seconds", "job s", 6), ("single_pass_seconds", "single s", 8), ("minimal_spark_seconds", "minimal s", 9),
    ("duckdb_seconds", "duckdb s", 8), ("ratio_to_minimal_spark", "job/minimal", 11),
    ("single_pass_to_minimal_spark", "single/min", 10), ("ratio_to_single_pass", "job/single", 10),
    ("ratio_to_duckdb", "job/duckdb", 10),
    ("job_peak_rss_mb", "job RSS MB", 10), ("minimal_spark_peak_rss_mb", "min RSS MB", 10),
    ("duckdb_peak_rss_mb", "duck RSS MB", 11), ("job_output_mb", "job MB", 7), ("job_files", "files", 5),
    ("job_bytes_per_row", "job B/row", 9), ("minimal_spark_bytes_per_row", "min B/row", 9),
]


def main(argv: list[str]) -> int:
    if argv[:1] == ["--duckdb-reference"]:
        run_duckdb_reference(argv[1], argv[2])
        return 0
    if argv[:1] == ["--minimal-spark"]:
        minimal_spark_job(argv[1], argv[2])
        return 0
    if argv[:1] == ["--single-pass"]:
        from etl.entry import local_input_bytes, local_spark_session

        spark = local_spark_session(input_bytes=local_input_bytes(argv[1]))
        single_pass_job(spark, argv[1], argv[2])
        spark.stop()
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 5.0])
    parser.add_argument("--workdir", default=os.path.join(ROOT, "benchmarks", "work"))
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; each run's fastest counts")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, not {args.rounds}")
    results = []
    load_before = os.getloadavg()
    print(" ".join(f"{heading:>{width}}" for _, heading, width in COLUMNS), flush=True)
    for scale in args.scales:
        r = bench_scale(scale, args.workdir, args.rounds)
        results.append(r)
        print(" ".join(f"{r[key]:>{width},}" if isinstance(r[key], int) else f"{r[key]:>{width}g}"
                       for key, _, width in COLUMNS), flush=True)
    for r in results:
        rounds = "; ".join(f"{name} {', '.join(map(str, seconds))}" for name, seconds in r["rounds_seconds"].items())
        print(f"SF{r['scale']:g} seconds per round: {rounds}")
    for r in results:
        print(f"SF{r['scale']:g}: job / minimal typed Spark job = {r['ratio_to_minimal_spark']:.2f} (target <= 1.5) = "
              f"{r['single_pass_to_minimal_spark']:.2f} (the job's row work in one pass) x "
              f"{r['ratio_to_single_pass']:.2f} (gating before publishing); job / DuckDB = {r['ratio_to_duckdb']:.1f}")
    if len(results) > 1:
        first, last = results[0], results[-1]
        print(f"job time SF{last['scale']:g} / SF{first['scale']:g}: "
              f"{last['job_seconds'] / first['job_seconds']:.2f} (data grows {last['scale'] / first['scale']:g}x)")
    with open(os.path.join(args.workdir, "results.json"), "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)
    print(f"result file: {os.path.relpath(write_result_file(results, args, load_before), ROOT)}")
    return 0


def _git(*arguments: str) -> str:
    done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def write_result_file(results: list[dict], args: argparse.Namespace, load_before: tuple[float, ...],
                      folder: str = os.path.join(ROOT, "benchmarks", "results")) -> str:
    """One file per run: the commit, the date, how loaded the machine was, and the figures."""
    now = time.gmtime()
    commit = _git("rev-parse", "--short=12", "HEAD") or "unknown"
    record = {
        "commit": commit,
        "uncommitted_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", now),
        "machine": {"cores": os.cpu_count(), "load_average_before": list(load_before),
                    "load_average_after": list(os.getloadavg()), "python": sys.version.split()[0]},
        "arguments": {"scales": args.scales, "rounds": args.rounds},
        "results": results,
    }
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{time.strftime('%Y-%m-%dT%H%M%SZ', now)}-{commit}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(record, handle, indent=1)
        handle.write("\n")
    return path


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
