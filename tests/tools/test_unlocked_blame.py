"""The unlocked workflow's diagnosis: each upgraded package tried alone on top of the locks, and
the one that fails the tests named (the environment changes are faked; blame and the
report parsing are the real ones)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import ROOT
from tools import locks, unlocked_blame

REPORT = ('<testsuites><testsuite name="pytest">'
          '<testcase classname="tests.cloud_pipeline.test_errors" name="test_workgroup">'
          '<failure message="404"/></testcase>'
          '<testcase classname="tests.cloud_pipeline.test_run" name="test_ok"/></testsuite></testsuites>')


@pytest.fixture
def world(monkeypatch, tmp_path):
    """A fake environment: the lock's versions plus the upgrades in `newest`; the tests fail when
    one of `breaking` is installed."""
    environment = __import__("packaging.markers", fromlist=["x"]).default_environment()
    locked = {name: pin.version for name, pin in locks.active_pins(
        os.path.join(ROOT, "requirements-dev.txt"), environment).items()}
    state = {"installed": {}, "breaking": set(), "runs": [], "restores": 0}
    newest = {"botocore": "1.44.18", "urllib3": "2.9.0", "uv": "0.14.0"}
    state["installed"] = {**locked, **newest}

    def restore(root, python):
        state["restores"] += 1
        state["installed"] = dict(locked)

    def install(python, *args):
        name, version = args[1].split("==")
        state["installed"][name] = version
        return type("Done", (), {"returncode": 0, "stderr": ""})()

    def tests_pass(root, python, tests):
        state["runs"].append((tests, dict(state["installed"])))
        return not any(state["installed"].get(name) == version for name, version in state["breaking"])

    monkeypatch.setattr(unlocked_blame, "installed_versions", lambda python: dict(state["installed"]))
    monkeypatch.setattr(unlocked_blame, "restore_locks", restore)
    monkeypatch.setattr(unlocked_blame, "_uv", install)
    monkeypatch.setattr(unlocked_blame, "tests_pass", tests_pass)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report = tmp_path / "report.xml"
    report.write_text(REPORT, encoding="utf-8")
    state["report"], state["summary"] = str(report), summary
    return state


def test_the_upgrade_that_fails_the_tests_alone_is_named(world, capsys):
    world["breaking"] = {("botocore", "1.44.18")}
    assert unlocked_blame.run_blame(ROOT, world["report"]) == 1
    out = capsys.readouterr().out
    assert "1 tests failed on the newest versions; 2 packages differ from requirements-dev.txt:" in out
    assert "  botocore: 1.44.8 -> 1.44.18\n  urllib3: 2.8.0 -> 2.9.0\n" in out
    assert ("::error title=Breaking release::botocore 1.44.18 (locked: 1.44.8) alone makes 1 tests fail "
            "(first: tests/cloud_pipeline/test_errors.py::test_workgroup)") in out
    # uv (the bootstrap lock) is not a suspect; every try starts from the locks and runs only the failed test.
    assert [tests for tests, _ in world["runs"]] == [["tests/cloud_pipeline/test_errors.py::test_workgroup"]] * 3
    assert world["restores"] == 3
    assert "- **botocore 1.44.18 (locked: 1.44.8)**" in world["summary"].read_text()


def test_failures_that_need_two_upgrades_together_list_what_changed(world, capsys):
    assert unlocked_blame.run_blame(ROOT, world["report"]) == 1
    out = capsys.readouterr().out
    assert "::error title=Unlocked run::no single upgrade fails the tests alone; these changed together: " \
           "botocore 1.44.18, urllib3 2.9.0" in out


def test_failures_that_the_locks_share_are_not_blamed_on_an_upgrade(world, capsys):
    world["breaking"] = {("botocore", "1.44.8")}
    assert unlocked_blame.run_blame(ROOT, world["report"]) == 1
    assert "the failed tests fail on the locks too: not an upgrade" in capsys.readouterr().out
    assert len(world["runs"]) == 1


def test_a_report_without_failures_needs_no_blame(world, tmp_path, capsys):
    passed = tmp_path / "passed.xml"
    passed.write_text('<testsuite><testcase classname="tests.a" name="test_a"/></testsuite>', encoding="utf-8")
    assert unlocked_blame.run_blame(ROOT, str(passed)) == 0
    assert world["runs"] == []


def test_blame_names_the_upgrades_that_alone_fail_the_tests():
    suspects = [("botocore", "1.44.8", "1.44.18"), ("urllib3", "2.8.0", "2.9.0"), ("gone", "1.0", None)]
    tried = []

    def passes(name, version):
        tried.append((name, version))
        return name != "botocore"

    assert unlocked_blame.blame(suspects, passes) == ["botocore 1.44.18 (locked: 1.44.8)"]
    assert tried == [("botocore", "1.44.18"), ("urllib3", "2.9.0")]


def test_failed_tests_are_read_from_the_junit_report(tmp_path):
    report = tmp_path / "report.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.cloud_pipeline.test_errors" name="test_a[alice]"><failure message="x"/></testcase>'
        '<testcase classname="tests.cloud_pipeline.test_run" name="test_b"/>'
        '<testcase classname="tests.ci.test_x.TestY" name="test_c"><error message="y"/></testcase>'
        '</testsuite></testsuites>', encoding="utf-8")
    assert unlocked_blame.failed_tests(str(report)) == [
        "tests/cloud_pipeline/test_errors.py::test_a[alice]", "tests/ci/test_x.py::TestY::test_c"]
