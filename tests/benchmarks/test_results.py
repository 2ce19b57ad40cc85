"""benchmarks/results/: one file per run, and what benchmarks/README.md quotes from them."""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess

from benchmarks.benchmark import write_result_file
from tests.conftest import ROOT

RESULTS = os.path.join(ROOT, "benchmarks", "results")


def result_files() -> list[dict]:
    files = sorted(glob.glob(os.path.join(RESULTS, "*.json")))
    assert files
    return [json.load(open(path, encoding="utf-8")) for path in files]


def test_every_result_file_names_its_commit_date_and_figures():
    for record in result_files():
        assert {"date", "machine", "results"} <= set(record)
        assert "commit" in record or "recorded_in_readme_by_commit" in record
        for result in record["results"]:
            assert result["job_seconds"] > 0 and result["output_rows"] > 0


def test_the_readme_quotes_run_p_as_its_file_says():
    (run_p,) = [r for r in result_files() if r.get("run") == "P"]
    ratios = {r["scale"]: r["job_to_minimal"] for r in run_p["results"]}
    with open(os.path.join(ROOT, "benchmarks", "README.md"), encoding="utf-8") as handle:
        readme = handle.read()
    quoted = re.search(r"\*\*not met\*\*: ([\d.]+) at SF1 and ([\d.]+) at SF5 in run P", readme)
    assert quoted and (float(quoted[1]), float(quoted[2])) == (ratios["SF1"], ratios["SF5"])
    duckdb = re.search(r"\*\*not met\*\*: ([\d.]+) in run P \(([\d.]+)–([\d.]+) in runs J to P\)", readme)
    by_run = {r["run"]: r["results"][0]["job_to_duckdb"] for r in result_files() if r.get("run", "") >= "J"}
    assert duckdb and float(duckdb[1]) == by_run["P"]
    assert (float(duckdb[2]), float(duckdb[3])) == (min(by_run.values()), max(by_run.values()))


def test_a_run_writes_one_file_with_the_commit_and_the_load(tmp_path):
    results = [{"scale": 0.1, "job_seconds": 3.5, "output_rows": 4389}]
    path = write_result_file(results, argparse.Namespace(scales=[0.1], rounds=1), (0.5, 0.4, 0.3),
                             folder=str(tmp_path))
    record = json.load(open(path, encoding="utf-8"))
    head = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    assert record["commit"] == head and os.path.basename(path).endswith(f"-{head}.json")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["date"])
    assert record["machine"]["load_average_before"] == [0.5, 0.4, 0.3]
    assert len(record["machine"]["load_average_after"]) == 3 and record["machine"]["cores"] == os.cpu_count()
    assert record["arguments"] == {"scales": [0.1], "rounds": 1} and record["results"] == results


def test_the_readme_quotes_the_latest_result_file():
    newest = sorted(glob.glob(os.path.join(RESULTS, "2*Z-*.json")))[-1]
    record = json.load(open(newest, encoding="utf-8"))
    by_scale = {r["scale"]: r for r in record["results"]}
    with open(os.path.join(ROOT, "benchmarks", "README.md"), encoding="utf-8") as handle:
        readme = " ".join(handle.read().split())
    assert (f"{by_scale[1.0]['ratio_to_minimal_spark']:.2f} and {by_scale[5.0]['ratio_to_minimal_spark']:.2f} "
            "in the latest result file") in readme
    assert f"{by_scale[5.0]['job_seconds'] / by_scale[1.0]['job_seconds']:.2f} in the latest" in readme
