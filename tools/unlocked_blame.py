"""The weekly unlocked job's diagnosis (`python -m tools.locks blame --report REPORT`).

The job installed the newest versions the inputs allow and its tests failed. Here each package that
differs from requirements-dev.txt is tried alone: the environment goes back to the locks, that one
package is upgraded, and the tests that failed run again. The packages whose upgrade alone makes
them fail are named as GitHub error annotations and in the job summary; the command exits 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

from tools.locks import LOCKS, changes, read_lock

BOOTSTRAP, DEV = LOCKS[0][1], LOCKS[2][1]


def failed_tests(report: str) -> list[str]:
    """Node ids of the failed or erroring test cases in a pytest JUnit XML report."""
    ids = []
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            module = case.get("classname", "").replace(".", "/")
            path, _, klass = module.partition("/Test")
            node = f"{path}.py::" + (f"Test{klass}::" if klass else "") + case.get("name", "")
            ids.append(node)
    return ids


def blame(suspects, reproduce) -> list[str]:
    """The suspects (name, locked, installed) whose upgrade alone, on top of the lock, makes
    `reproduce(name, version)` return False (the failed tests fail again)."""
    return [f"{name} {version} (locked: {locked or 'absent'})"
            for name, locked, version in suspects if version and not reproduce(name, version)]


def _uv(python: str, *args: str) -> subprocess.CompletedProcess:
    uv = os.path.join(os.path.dirname(python), "uv")
    return subprocess.run([uv, "pip", *args, "--no-config", "--python", python], capture_output=True, text=True)


def installed_versions(python: str) -> dict[str, str]:
    listed = _uv(python, "list", "--format", "json")
    if listed.returncode:
        raise RuntimeError(f"uv pip list failed: {listed.stderr.strip()}")
    return {entry["name"]: entry["version"] for entry in json.loads(listed.stdout)}


def restore_locks(root: str, python: str) -> None:
    synced = _uv(python, "sync", "--require-hashes", "--build-constraint", os.path.join(root, BOOTSTRAP),
                 os.path.join(root, BOOTSTRAP), os.path.join(root, DEV))
    if synced.returncode:
        raise RuntimeError(f"could not go back to the locks: {synced.stderr.strip()}")


def tests_pass(root: str, python: str, tests: list[str]) -> bool:
    run = subprocess.run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests], cwd=root,
                         capture_output=True, text=True)
    return run.returncode == 0


def report(lines: list[str]) -> None:
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")


def run_blame(root: str, junit_report: str, python: str = sys.executable) -> int:
    failed = failed_tests(junit_report)
    if not failed:
        print(f"{junit_report}: no failed test to explain")
        return 0
    # What installs the environment (uv, setuptools) is not what the tests run on.
    bootstrap = set(read_lock(os.path.join(root, BOOTSTRAP)))
    suspects = [change for change in changes(root, DEV, installed_versions(python)) if change[0] not in bootstrap]
    print(f"{len(failed)} tests failed on the newest versions; {len(suspects)} packages differ from {DEV}:")
    for name, locked, newest in suspects:
        print(f"  {name}: {locked or 'not locked'} -> {newest or 'removed'}")
    restore_locks(root, python)
    if not tests_pass(root, python, failed):
        print(f"::error title=Unlocked run::the failed tests fail on the locks too: not an upgrade ({failed[0]})")
        return 1

    def upgraded_passes(name: str, version: str) -> bool:
        restore_locks(root, python)
        installed = _uv(python, "install", f"{name}=={version}")
        if installed.returncode:
            print(f"  {name}=={version} cannot be installed on top of the locks: {installed.stderr.strip()}")
            return True  # it needs other upgrades with it: not a culprit on its own
        return tests_pass(root, python, failed)

    culprits = blame(suspects, upgraded_passes)
    lines = [f"### The newest versions fail {len(failed)} tests", "",
             *[f"- `{test}`" for test in failed[:20]], ""]
    if culprits:
        for culprit in culprits:
            print(f"::error title=Breaking release::{culprit} alone makes {len(failed)} tests fail "
                  f"(first: {failed[0]}); hold it back in requirements*.in with a '# hold' line and a reason")
        lines += ["Each of these, upgraded alone on top of the locks, makes them fail:", "",
                  *[f"- **{culprit}**" for culprit in culprits]]
    else:
        print("::error title=Unlocked run::no single upgrade fails the tests alone; these changed together: "
              + ", ".join(f"{name} {newest}" for name, _, newest in suspects))
        lines += ["No single upgrade fails them alone; the packages that changed together:", "",
                  *[f"- {name}: {locked} -> {newest}" for name, locked, newest in suspects]]
    report(lines)
    return 1
