"""The run: session settings sized to the input, every row validated and joined,
counted and gated, then the quarantine, the tracks table and the run summary written,
and the run recorded in the run history whatever its outcome."""

from __future__ import annotations

import functools
import json
import math
import time
import uuid
from datetime import datetime, timezone

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from etl.accounting import build_summary, count_query, evaluate_gates, failed_gates_message, file_counts, pack_flags
from etl.classify import classify_rows
from etl.config import EtlConfig
from etl.contract import PARTITION_COLUMN, RUN_SUMMARY_FILE, TRACKS_TABLE_DIR, DataQualityError, describe_error
from etl.history import ERROR, GATE_FAILED, RUNS_TABLE, SUCCEEDED, HistoryWriteError, record_run
from etl.joining import enrich_albums, published_tracks, quarantined_rows
from etl.layouts import KAGGLE_LAYOUT, OPTIONAL_ROLES, WORKSHOP_LAYOUT, SourceSpec
from etl.reading import SourceFrame, ignored_files, read_source, resolve_sources
from etl.storage import path_size, write_text
from etl.typed_columns import type_albums, type_artists, type_features, type_tracks


# HotSpot never JIT-compiles a method over 8000 bytecodes: whole-stage code
# that large (typing the wide albums and features rows) runs interpreted, 4-5x
# slower. With this limit Spark splits such stages instead (Spark's own advice
# for HotSpot; measured: typing 440k feature rows 6.1 s -> 1.1 s).
HOTSPOT_HUGE_METHOD_LIMIT = "8000"

# Below this much input (the workshop sample is 1.3 MB), compiling code costs
# more than it saves: Spark evaluates expressions interpreted (no Janino
# compiles) and a local JVM stops its JIT at C1. Measured on the sample's
# transform: 16 s -> 10 s together with the class archive (etl.entry).
SMALL_INPUT_BYTES = 32 * 2**20


def shuffle_partitions_for(input_bytes: int, parallelism: int) -> int:
    """About 128 MB of CSV per shuffle partition, never fewer than the cores.

    Locally fewer, larger partitions cost less than many small ones (SF5 on 2
    cores, paired: 8 partitions 77.6-78.1 s, 16 partitions 79.2-79.3 s, 4
    partitions 85.0-87.5 s); on Glue the cores decide up to 128 MB x cores of input.
    """
    return max(parallelism, min(400, math.ceil(input_bytes / (128 * 1024 * 1024))))


def log(message: str) -> None:
    print(f"[spotify_etl] {message}", flush=True)


# The caches live on local disk, not in the JVM heap: read back through the
# OS page cache they cost no garbage collection, and a large input does not
# evict them half-built (SF5: GC 10.1 -> 3.4 CPU-s, 104 -> 96 s, peak RSS
# 2.6 -> 1.6 GB; SF1 unchanged). On Glue they go where the shuffle files go.
CACHE_LEVEL = StorageLevel.DISK_ONLY
# Building the compressed column batches (Spark tries every encoding on every
# column) cost more than reading back the larger uncompressed ones: paired SF5
# runs 119 and 127 s uncompressed vs 126 and 142 s compressed.
CACHE_COMPRESSED = False
TYPERS = {"artists": type_artists, "tracks": type_tracks, "features": type_features}


def configure_session(spark: SparkSession, sources: dict[str, tuple[SourceSpec, str]]) -> None:
    """Settings sized to these input files, set by the job itself so that they apply on Glue too."""
    input_bytes = sum(path_size(spark, path) for _, path in sources.values())
    spark.conf.set(
        "spark.sql.shuffle.partitions",
        str(shuffle_partitions_for(input_bytes, spark.sparkContext.defaultParallelism)),
    )
    spark.conf.set("spark.sql.adaptive.enabled", "true")
    # Cached plans keep their hash partitioning by _key (AQE may not re-plan
    # it away), so the joins on _key reuse the classification's shuffle.
    spark.conf.set("spark.sql.optimizer.canChangeCachedPlanOutputPartitioning", "false")
    spark.conf.set("spark.sql.codegen.hugeMethodLimit", HOTSPOT_HUGE_METHOD_LIMIT)
    spark.conf.set("spark.sql.inMemoryColumnarStorage.compressed", str(CACHE_COMPRESSED).lower())
    small_input = input_bytes < SMALL_INPUT_BYTES
    spark.conf.set("spark.sql.codegen.wholeStage", str(not small_input).lower())
    spark.conf.set("spark.sql.codegen.factoryMode", "NO_CODEGEN" if small_input else "FALLBACK")


def validated_frames(
    frames: dict[str, SourceFrame], cache_level: StorageLevel | None
) -> tuple[DataFrame, dict[str, DataFrame], dict[str, list[str]]]:
    """Every input row classified and typed, and the album rows LEFT-joined to the valid dimensions.

    Returns the joined album rows (flags packed), each file's classified rows
    (persisted at cache_level when one is given: the counts, the quarantine and
    the write each read them) and each file's flag names in bit order.
    """

    def kept(frame: DataFrame) -> DataFrame:
        return frame.persist(cache_level) if cache_level is not None else frame

    # What is cached is only what the counts, the joins and the quarantine
    # read: a dimension's id lives on as its _key, file order is no longer needed.
    classified: dict[str, DataFrame] = {}
    flags: dict[str, list[str]] = {}
    for role, source in frames.items():
        if role != "albums":
            frame, flags[role] = pack_flags(TYPERS[role](classify_rows(source), source.spec))
            classified[role] = kept(frame.drop(source.spec.key, "_row_order"))
    # The album rows are cached before the joins, not after: the joined
    # columns already live in the dimension caches, and building the joined
    # cache was the job's longest stage at SF5 (event log). The joins run
    # twice (for the counts and for the write), each without a shuffle: both
    # sides are cached hash-partitioned by _key.
    albums = frames["albums"]
    classified = {"albums": kept(type_albums(classify_rows(albums), albums.spec).drop("_row_order")), **classified}
    joined, flags["albums"] = pack_flags(
        enrich_albums(classified["albums"], classified["artists"], classified["tracks"], classified.get("features"))
    )
    return joined, classified, flags


def write_tracks(published: DataFrame, target_path: str) -> None:
    """The published rows as Parquet partitioned by release year, each partition sorted for compression.

    Rows of one artist, and within it of one album, are kept together (their
    repeated columns then encode as runs): grouped by 64-bit hashes of the ids,
    which sort faster than the ids themselves and compress the same (SF5:
    156.67 vs 156.62 MB; 0.3 and 4.3 s faster in two paired runs). The hashes
    are columns, computed once per row: as sort expressions they were computed
    again in every comparison (SF5 write stage, task time: 25.5-25.8 vs 27.1-28.7 s).
    """
    (
        published.repartition(PARTITION_COLUMN)
        .withColumns({"_artist_hash": F.xxhash64("artist_id"), "_album_hash": F.xxhash64("album_id")})
        .sortWithinPartitions(PARTITION_COLUMN, "_artist_hash", "_album_hash")
        # The writer still sees the rows ordered by the partition column: no second sort.
        .drop("_artist_hash", "_album_hash")
        .write.mode("overwrite")
        # Reruns replace the partitions they write and leave the others alone.
        .option("partitionOverwriteMode", "dynamic")
        .option("compression", "snappy")
        .partitionBy(PARTITION_COLUMN)
        .parquet(f"{target_path}/{TRACKS_TABLE_DIR}")
    )


def run(spark: SparkSession, config: EtlConfig) -> dict:
    """Read, validate, join, gate, publish, and record the run in the history. Returns the run summary.

    Every run is recorded: succeeded, gate_failed (the quarantine and the summary are written, tracks/
    is left as it was, then the job fails) or error (nothing else is written). A record that cannot
    be written fails the run.
    """
    started_at = datetime.now(timezone.utc)
    facts = {
        "run_id": started_at.strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8],
        "started_at": started_at,
        "job_name": config.job_name,
        "glue_job_run_id": config.job_run_id,
        "source_path": config.source_path,
    }
    try:
        summary = validate_and_publish(spark, config, facts["run_id"])
    except Exception as error:
        message = describe_error(error)
        facts["ended_at"] = datetime.now(timezone.utc)
        try:
            record_run(spark, config.target_path, facts, None, ERROR, message)
        except HistoryWriteError as history_error:
            raise HistoryWriteError(f"{history_error}; the run itself had failed: {message}") from error
        log(f"run history: run {facts['run_id']} recorded as {ERROR}")
        raise
    failed = failed_gates_message(summary["gates"])
    status = GATE_FAILED if failed else SUCCEEDED
    log(f"recording run {facts['run_id']} ({status}) in the run history")
    facts["ended_at"] = datetime.now(timezone.utc)
    written = record_run(spark, config.target_path, facts, summary, status, failed or None)
    log(f"run history: run {facts['run_id']} recorded as {status} ({len(written)} files under "
        f"{config.target_path}/{RUNS_TABLE}*/)")
    if failed:
        raise DataQualityError(failed + " (nothing was published to tracks/)")
    return summary


def validate_and_publish(spark: SparkSession, config: EtlConfig, run_id: str) -> dict:
    """The run's work: the summary is written, and tracks/ only when every gate passed."""
    started = time.time()
    sources = resolve_sources(spark, config.source_path)
    not_given = {
        role: (
            f"no {WORKSHOP_LAYOUT[role].file_name} or {KAGGLE_LAYOUT[role].file_name} in {config.source_path}: "
            "its columns are null"
        )
        for role in OPTIONAL_ROLES
        if role not in sources
    }
    ignored = ignored_files(spark, config.source_path)
    log("inputs: " + ", ".join(f"{role}={path}" for role, (_, path) in sources.items()))
    for role, why in not_given.items():
        log(f"{role} file not given: {why}")
    for name, why in ignored.items():
        log(f"ignoring {name}: {why}")
    frames = {role: read_source(spark, spec, path) for role, (spec, path) in sources.items()}
    configure_session(spark, sources)
    albums, cached, flags = validated_frames(frames, CACHE_LEVEL)
    everything = {**cached, "albums": albums}
    try:
        log("validating, de-duplicating and joining (one pass over each input)")
        queries = [count_query(frame, role, flags[role]) for role, frame in everything.items()]
        counted = functools.reduce(DataFrame.unionByName, queries).collect()
        files = {
            role: file_counts([r for r in counted if r["role"] == role], sources[role][0], sources[role][1])
            for role in everything
        }
        summary = build_summary(config, run_id, files, not_given, ignored)
        log(summary["accounting"])
        gates = evaluate_gates(summary, config)
        summary["gates"] = gates
        passed = all(g["passed"] for g in gates)

        # The quarantine is written even when a gate fails: it is what explains the failure.
        rejected = ", ".join(f"{counts['quarantined_rows']} {role}" for role, counts in files.items())
        log(f"writing the quarantine ({rejected} rows) to {config.quarantine_path}")
        quarantine = functools.reduce(
            DataFrame.unionByName,
            [quarantined_rows(frame, role, sources[role][1], run_id) for role, frame in cached.items()],
        )
        quarantine.coalesce(1).write.mode("overwrite").partitionBy("source").parquet(config.quarantine_path)

        if passed:
            log(f"writing {summary['output_rows']} tracks to {config.target_path}/{TRACKS_TABLE_DIR}/")
            write_tracks(published_tracks(albums), config.target_path)
        summary["status"] = SUCCEEDED if passed else GATE_FAILED
        summary["seconds"] = round(time.time() - started, 1)
        summary_json = json.dumps(summary, sort_keys=False, ensure_ascii=False)
        write_text(spark, f"{config.target_path}/{RUN_SUMMARY_FILE}", summary_json + "\n")
        print(json.dumps(summary, ensure_ascii=False, separators=(",", ":")), flush=True)
        return summary
    finally:
        for frame in cached.values():
            frame.unpersist()
