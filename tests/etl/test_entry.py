"""Entry points: local JVM options, Glue through a fake awsglue, a missing Java named."""

from __future__ import annotations

import os
import subprocess
import sys
import types

from etl.entry import CLASS_ARCHIVE_VARIABLE, JAVA_OPTIONS_VARIABLE, local_input_bytes, local_java_options, main
from etl.job import SMALL_INPUT_BYTES
from tests.etl.support import EXPECTED_TRACKS, ROOT, SCRIPT, read_tracks, write_workshop_files


def test_local_jvm_options(tmp_path, monkeypatch):
    (tmp_path / "albums.csv").write_bytes(b"x" * 1000)
    (tmp_path / "notes.txt").write_bytes(b"x" * 5000)
    assert local_input_bytes(str(tmp_path)) == 1000
    assert local_input_bytes(f"file://{tmp_path}") == 1000
    assert local_input_bytes("s3://bucket/staging") is None
    assert local_input_bytes(str(tmp_path / "missing")) is None

    archive = tmp_path / "spark-classes.jsa"
    monkeypatch.setenv(CLASS_ARCHIVE_VARIABLE, str(archive))
    monkeypatch.delenv(JAVA_OPTIONS_VARIABLE, raising=False)
    assert local_java_options(None) == ""  # not made yet: plain start-up
    archive.write_bytes(b"archive")
    assert local_java_options(None) == f"-XX:SharedArchiveFile={archive}"
    assert local_java_options(1000) == f"-XX:SharedArchiveFile={archive} -XX:TieredStopAtLevel=1"
    assert local_java_options(SMALL_INPUT_BYTES) == f"-XX:SharedArchiveFile={archive}"
    monkeypatch.setenv(JAVA_OPTIONS_VARIABLE, "-Xlog:gc -Xss4m")
    assert local_java_options(None).endswith(" -Xlog:gc -Xss4m")


def test_glue_entry_point_through_a_fake_awsglue(spark, tmp_path, monkeypatch):
    """Drive main() as Glue would: getResolvedOptions, job.init, run, job.commit."""
    write_workshop_files(str(tmp_path / "staging"))
    calls = []

    def get_resolved_options(argv, names):
        assert names[:4] == ["JOB_NAME", "SOURCE_PATH", "TARGET_PATH", "QUARANTINE_PATH"]
        pairs = dict(zip(argv[1::2], argv[2::2]))
        return {name: pairs[f"--{name}"] for name in names}

    class GlueContext:
        def __init__(self, spark_context):
            from pyspark.sql import SparkSession

            self.spark_session = SparkSession(spark_context)

    class Job:
        def __init__(self, glue_context):
            self.glue_context = glue_context

        def init(self, name, arguments):
            calls.append(("init", name, dict(arguments)))

        def commit(self):
            calls.append(("commit",))

    fakes = {
        "awsglue": types.ModuleType("awsglue"),
        "awsglue.utils": types.SimpleNamespace(getResolvedOptions=get_resolved_options),
        "awsglue.context": types.SimpleNamespace(GlueContext=GlueContext),
        "awsglue.job": types.SimpleNamespace(Job=Job),
    }
    for name, module in fakes.items():
        monkeypatch.setitem(sys.modules, name, module)
    argv = [
        "spotify_etl.py", "--JOB_NAME", "spotify-etl", "--SOURCE_PATH", str(tmp_path / "staging"),
        "--TARGET_PATH", str(tmp_path / "warehouse"), "--QUARANTINE_PATH", str(tmp_path / "quarantine"),
        "--job-bookmark-option", "job-bookmark-enable", "--MAX_QUARANTINE_RATE", "0.5",
        "--MAX_ORPHAN_ARTIST_RATE", "0.5", "--MAX_ORPHAN_TRACK_RATE", "0.5", "--JOB_RUN_ID", "jr_0123abcd",
    ]
    assert main(argv) == 0
    assert [c[0] for c in calls] == ["init", "commit"]
    assert calls[0][1] == "spotify-etl"
    assert calls[0][2]["MAX_QUARANTINE_RATE"] == "0.5"
    assert read_tracks(spark, str(tmp_path / "warehouse")) == EXPECTED_TRACKS
    # Glue's own run id goes into the run history, beside the job's.
    (record,) = spark.read.parquet(str(tmp_path / "warehouse" / "pipeline_runs")).collect()
    assert (record["glue_job_run_id"], record["job_name"], record["status"]) == ("jr_0123abcd", "spotify-etl",
                                                                                "succeeded")


def test_missing_java_is_a_clear_message_not_a_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = os.path.dirname(sys.executable)  # python, but no java
    result = subprocess.run(
        [sys.executable, SCRIPT, "--JOB_NAME", "l", "--SOURCE_PATH", "data", "--TARGET_PATH", str(tmp_path),
         "--QUARANTINE_PATH", str(tmp_path / "q")],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=120,
    )
    assert result.returncode == 1
    assert "spotify_etl: error: Java 17 is required to run Spark locally" in result.stderr
    assert "Traceback" not in result.stderr
