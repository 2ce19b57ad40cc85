"""The weekly unlocked workflow: the adopters' early warning that a new release breaks the product
while main stays green on the locks. Linted with ci.yml in test_workflows.py."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml

from tests.stacks.support.synth import ROOT

UNLOCKED = os.path.join(ROOT, ".github", "workflows", "unlocked.yml")


@pytest.fixture(scope="module")
def workflow() -> dict:
    with open(UNLOCKED, encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
    return document


@pytest.fixture(scope="module")
def job(workflow) -> dict:
    assert list(workflow["jobs"]) == ["newest"]
    return workflow["jobs"]["newest"]


def step(job: dict, prefix: str) -> dict:
    matches = [s for s in job["steps"] if s.get("name", "").startswith(prefix)]
    assert len(matches) == 1, prefix
    return matches[0]


def test_it_runs_weekly_and_on_demand_never_on_push(workflow):
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    (schedule,) = workflow["on"]["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert (day, month) == ("*", "*") and weekday.isdigit() and minute.isdigit() and hour.isdigit()


def test_it_reads_nothing_secret_and_asks_for_no_token(workflow, job):
    with open(UNLOCKED, encoding="utf-8") as handle:
        text = handle.read()
    assert workflow["permissions"] == {"contents": "read"} and "permissions" not in job
    assert "secrets." not in text and "id-token" not in text
    assert 0 < job["timeout-minutes"] <= 60


def test_holds_kept_must_pass_and_holds_lifted_may_fail(job):
    assert job["strategy"] == {"fail-fast": False, "matrix": {"holds": ["kept", "lifted"]}}
    assert job["continue-on-error"] == "${{ matrix.holds == 'lifted' }}"


def test_it_installs_the_newest_versions_without_caches_then_runs_make_test(job):
    uses = [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/setup-java"]
    assert "cache" not in next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))["with"]
    install = step(job, "Install the newest versions")
    assert install["run"] == 'make unlocked LIFT_HOLDS="$LIFT_HOLDS"'
    assert install["env"]["LIFT_HOLDS"] == "${{ matrix.holds == 'lifted' && '1' || '' }}"
    tests = step(job, "Tests")
    assert tests["run"] == 'make test ARGS="-p no:cacheprovider -ra --junitxml=unlocked-report.xml"'
    names = [s.get("name", s.get("uses")) for s in job["steps"]]
    assert names.index("Headless Chromium") < names.index(install["name"]) < names.index(tests["name"])


def test_a_red_run_names_the_release_that_broke_it(job):
    blame = step(job, "Name the release")
    assert blame["if"] == "${{ failure() }}"
    assert blame["run"] == ".venv/bin/python -m tools.locks blame --report unlocked-report.xml"


def run_holds_step(job, tmp_path) -> tuple[subprocess.CompletedProcess, str]:
    holds = step(job, "Say which holds can go")
    assert holds["if"] == "${{ success() && matrix.holds == 'lifted' }}"
    summary = tmp_path / "summary"
    summary.write_text("")
    env = {"PATH": os.environ["PATH"], "GITHUB_STEP_SUMMARY": str(summary)}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", holds["run"]], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    return result, summary.read_text()


def test_a_green_lifted_run_says_which_holds_can_go(job, tmp_path):
    result, summary = run_holds_step(job, tmp_path)
    assert result.returncode == 0, result.stderr
    moto = "moto[s3,glue,athena,secretsmanager,cloudformation,resourcegroupstaggingapi,iam,sts,kms]==5.2.5"
    assert result.stdout == f"::notice title=Holds can be lifted::the tests pass without: {moto} botocore==1.44.8\n"
    assert f"remove the hold on {moto} botocore==1.44.8 and run make lock" in summary
