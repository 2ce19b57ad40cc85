"""File system helpers through Hadoop's FileSystem, so the same calls work on s3:// and local paths."""

from __future__ import annotations

from pyspark.sql import SparkSession


def _hadoop_path(spark: SparkSession, path: str):
    jvm = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    return hadoop_path, hadoop_path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def path_exists(spark: SparkSession, path: str) -> bool:
    hadoop_path, fs = _hadoop_path(spark, path)
    return bool(fs.exists(hadoop_path))


def path_size(spark: SparkSession, path: str) -> int:
    hadoop_path, fs = _hadoop_path(spark, path)
    return int(fs.getContentSummary(hadoop_path).getLength())


def read_first_line(spark: SparkSession, path: str) -> str | None:
    hadoop_path, fs = _hadoop_path(spark, path)
    jvm = spark.sparkContext._jvm
    reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(fs.open(hadoop_path), "UTF-8"))
    try:
        return reader.readLine()
    finally:
        reader.close()


def write_text(spark: SparkSession, path: str, text: str) -> None:
    hadoop_path, fs = _hadoop_path(spark, path)
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def list_files(spark: SparkSession, folder: str) -> list[str]:
    hadoop_path, fs = _hadoop_path(spark, folder)
    return [str(status.getPath()) for status in fs.listStatus(hadoop_path) if status.isFile()]


def make_dirs(spark: SparkSession, folder: str) -> None:
    hadoop_path, fs = _hadoop_path(spark, folder)
    fs.mkdirs(hadoop_path)


def rename_path(spark: SparkSession, source: str, destination: str) -> bool:
    """Hadoop's rename: False (nothing moved) when the destination exists. On S3 a copy, then a delete."""
    source_path, fs = _hadoop_path(spark, source)
    destination_path, _ = _hadoop_path(spark, destination)
    return bool(fs.rename(source_path, destination_path))


def delete_path(spark: SparkSession, path: str) -> None:
    hadoop_path, fs = _hadoop_path(spark, path)
    fs.delete(hadoop_path, True)
