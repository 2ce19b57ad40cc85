"""Entry points: AWS Glue (awsglue imported only there) and local Spark (a Java check,
a session tuned for a laptop, the same arguments parsed with argparse)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from typing import Sequence

from pyspark.sql import SparkSession

from etl.config import REQUIRED_ARGUMENTS, THRESHOLD_ARGUMENTS, build_config
from etl.contract import ConfigurationError, EtlError
from etl.job import HOTSPOT_HUGE_METHOD_LIMIT, SMALL_INPUT_BYTES, run

# Local runs only: a JVM class-data archive (AppCDS) that `make` writes once
# after installing Spark; loading Spark's classes from it saves ~1.5 s of start-up.
# JDK 17 crashes (SIGSEGV in check_shared_class_file_load_hook) when a Java
# agent or Flight Recorder runs with it: profile with the variable set empty.
CLASS_ARCHIVE_VARIABLE = "SPOTIFY_ETL_CLASS_ARCHIVE"
# Extra JVM options for local runs, e.g. Flight Recorder to profile the job.
JAVA_OPTIONS_VARIABLE = "SPOTIFY_ETL_JAVA_OPTIONS"


def run_on_glue(argv: Sequence[str]) -> None:
    """AWS Glue entry point: awsglue exists only on Glue, so it is imported here."""
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    # Glue passes --JOB_RUN_ID to every run; it is read only when present, like the thresholds.
    optional = [name for name in (*THRESHOLD_ARGUMENTS, "JOB_RUN_ID") if f"--{name}" in argv]
    arguments = getResolvedOptions(list(argv), [*REQUIRED_ARGUMENTS, *optional])
    config = build_config(arguments)
    glue_context = GlueContext(SparkContext.getOrCreate())
    job = Job(glue_context)
    job.init(config.job_name, arguments)
    run(glue_context.spark_session, config)
    job.commit()


def java_problem() -> str | None:
    """None when a usable Java is found, else a message that says what to install."""
    java_home = os.environ.get("JAVA_HOME")
    java = os.path.join(java_home, "bin", "java") if java_home else shutil.which("java")
    if not java or not os.path.exists(java):
        where = f"JAVA_HOME={java_home} has no bin/java" if java_home else "no `java` on PATH and JAVA_HOME is unset"
        return (
            f"Java 17 is required to run Spark locally, but {where}. "
            "Install a JDK 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) "
            "or point JAVA_HOME at one."
        )
    try:
        probe = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except OSError as error:
        return f"Java at {java} cannot be started: {error}"
    if probe.returncode != 0:
        return f"Java at {java} does not run (`java -version` exited {probe.returncode}): {probe.stderr.strip()}"
    return None


def local_input_bytes(source_path: str) -> int | None:
    """Bytes of CSV in a local source folder; None for a remote (s3://) or missing one."""
    folder = source_path.removeprefix("file://").removeprefix("file:")
    if "://" in folder or not os.path.isdir(folder):
        return None
    return sum(os.path.getsize(os.path.join(folder, name)) for name in os.listdir(folder) if name.endswith(".csv"))


def local_java_options(input_bytes: int | None = None) -> str:
    """The local driver JVM's options: the class archive when made, C1 only for a small input."""
    options = []
    archive = os.environ.get(CLASS_ARCHIVE_VARIABLE)
    if archive and os.path.isfile(archive):
        options.append(f"-XX:SharedArchiveFile={archive}")
    if input_bytes is not None and input_bytes < SMALL_INPUT_BYTES:
        options.append("-XX:TieredStopAtLevel=1")
    options += os.environ.get(JAVA_OPTIONS_VARIABLE, "").split()
    return " ".join(options)


def local_spark_session(
    master: str = "local[*]", shuffle_partitions: int | None = None, input_bytes: int | None = None
) -> SparkSession:
    problem = java_problem()
    if problem:
        raise ConfigurationError(problem)
    builder = (
        SparkSession.builder.master(master)
        .appName("spotify-etl-local")
        .config("spark.driver.memory", os.environ.get("SPOTIFY_ETL_DRIVER_MEMORY", "2g"))
        .config("spark.driver.extraJavaOptions", local_java_options(input_bytes))
        .config("spark.sql.adaptive.enabled", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.parquet.compression.codec", "snappy")
        .config("spark.sql.codegen.hugeMethodLimit", HOTSPOT_HUGE_METHOD_LIMIT)
    )
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def parse_local_arguments(argv: Sequence[str]) -> dict[str, str]:
    parser = argparse.ArgumentParser(
        prog="spotify_etl.py",
        description="Run the Spotify Glue job on local Spark (the same code that runs on AWS Glue 5.1).",
    )
    for name in REQUIRED_ARGUMENTS:
        parser.add_argument(f"--{name}", required=True)
    for name, (_, _, accepted) in THRESHOLD_ARGUMENTS.items():
        parser.add_argument(f"--{name}", help=f"data-quality threshold: {accepted}")
    parsed = parser.parse_args(list(argv))
    return {key: value for key, value in vars(parsed).items() if value is not None}


def run_locally(argv: Sequence[str]) -> int:
    try:
        config = build_config(parse_local_arguments(argv))
        spark = local_spark_session(input_bytes=local_input_bytes(config.source_path))
        try:
            run(spark, config)
        finally:
            spark.stop()
    except EtlError as error:
        print(f"spotify_etl: error: {error}", file=sys.stderr, flush=True)
        return 1
    return 0


def main(argv: Sequence[str]) -> int:
    try:
        import awsglue  # noqa: F401  (present only on AWS Glue)
    except ImportError:
        return run_locally(argv[1:])
    run_on_glue(argv)
    return 0
