"""The Python locks: every lock follows from its inputs, carries hashes for every package and is
what the Makefile installs; an input edited without `make lock` fails with the command to run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib import metadata

import pytest

from tests.conftest import ROOT
from tools import locks
from tools.locks import LOCKS, LockError

UNLOCKED_ENVIRONMENT = os.path.exists(os.path.join(sys.prefix, ".unlocked"))
needs_locked_environment = pytest.mark.skipif(
    UNLOCKED_ENVIRONMENT, reason="installed by `make unlocked`: the newest versions, not the locks")


def read(name: str, root: str = ROOT) -> str:
    with open(os.path.join(root, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture
def inputs_and_locks(tmp_path):
    """A copy of the inputs, the locks and the Makefile, to edit."""
    for source, lock in LOCKS:
        shutil.copy(os.path.join(ROOT, source), tmp_path)
        shutil.copy(os.path.join(ROOT, lock), tmp_path)
    shutil.copy(os.path.join(ROOT, "Makefile"), tmp_path)
    return tmp_path


def edit(root, name: str, old: str, new: str) -> None:
    text = read(name, str(root))
    assert old in text, (name, old)
    (root / name).write_text(text.replace(old, new, 1), encoding="utf-8")


@needs_locked_environment
def test_every_lock_follows_from_its_inputs():
    locks.check(ROOT)


@needs_locked_environment
def test_what_is_installed_is_exactly_the_test_lock():
    environment = __import__("packaging.markers", fromlist=["x"]).default_environment()
    for lock in ("requirements-bootstrap.txt", "requirements-dev.txt"):
        for name, pin in locks.active_pins(os.path.join(ROOT, lock), environment).items():
            assert metadata.version(name) == pin.version, (lock, name)


def test_every_locked_package_has_sha256_hashes_and_the_runtime_pins_agree():
    runtime = locks.read_lock(os.path.join(ROOT, "requirements.txt"))
    dev = locks.read_lock(os.path.join(ROOT, "requirements-dev.txt"))
    for lock in (runtime, dev, locks.read_lock(os.path.join(ROOT, "requirements-bootstrap.txt"))):
        assert lock
        for name, pins in lock.items():
            for pin in pins:
                assert pin.hashes and all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in pin.hashes), name
    # The test lock is constrained by the runtime lock: the packages both hold are pinned alike.
    assert {name: [p.version for p in pins] for name, pins in runtime.items()} == {
        name: [p.version for p in dev[name]] for name in runtime}


def test_the_locks_hold_the_newest_moto_and_botocore_that_work_together():
    dev = locks.read_lock(os.path.join(ROOT, "requirements-dev.txt"))
    assert [pin.version for pin in dev["moto"]] == ["5.2.5"]
    assert [pin.version for pin in dev["botocore"]] == ["1.44.8"]
    assert [pin.version for pin in dev["boto3"]] == ["1.44.8"]
    held = {source: [line for line in read(source).splitlines() if line.endswith(locks.HOLD)]
            for source, _ in LOCKS}
    assert held == {
        "requirements-bootstrap.in": [],
        "requirements.in": ["botocore==1.44.8  # hold"],
        "requirements-dev.in": [
            "moto[s3,glue,athena,secretsmanager,cloudformation,resourcegroupstaggingapi,iam,sts,kms]==5.2.5  # hold"],
    }
    # Each hold says why, just above it.
    botocore_reason = read("requirements.in").split("botocore==1.44.8")[0].rsplit("boto3==", 1)[1]
    assert "CreateWorkGroup: Not yet implemented" in botocore_reason and "unlocked" in botocore_reason
    moto_reason = read("requirements-dev.in").split("moto[")[0].rsplit("HELD BACK", 1)[1]
    assert "s3:CopyObject" in moto_reason and "s3:ListObjectsV2" in moto_reason and "unlocked" in moto_reason


def test_the_makefile_installs_the_locks_only_with_hashes_required():
    makefile = read("Makefile")
    install = makefile.split("UV_INSTALL = ", 1)[1].split("\n\n", 1)[0]
    assert "--require-hashes" in install and "--build-constraint requirements-bootstrap.txt" in install
    bootstrap = makefile.split("$(VENV)/.bootstrap: requirements-bootstrap.txt", 1)[1].split("\n\n", 1)[0]
    assert "--require-hashes --no-deps" in bootstrap and "-r requirements-bootstrap.txt" in bootstrap
    installs = re.findall(r"^\t(.*(?:pip install|UV_INSTALL).*)$", makefile, re.MULTILINE)
    assert installs == [
        "$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \\",
        "$(UV_INSTALL) -r requirements.txt",
        "$(UV_INSTALL) -r requirements-dev.txt",
        "$(BIN)/uv pip install --no-config --python $(BIN)/python --upgrade -r $(VENV)/unlocked/requirements-dev.in",
    ]
    # Only the unlocked target (the weekly workflow's) installs from the inputs.
    assert makefile.count("requirements-dev.in") == 1 + makefile.count("UV_COMPILE) $(ARGS) requirements-dev.in")


def test_each_lock_header_repeats_the_makefiles_compile_command():
    command = locks.compile_command(ROOT)
    assert command == ["uv", "pip", "compile", "--no-config", "--universal", "--python-version", "3.11",
                       "--generate-hashes"]
    for source, lock in LOCKS:
        assert read(lock).splitlines()[:2] == [
            "# This file was autogenerated by uv via the following command:",
            f"#    uv pip compile --no-config --universal --python-version 3.11 --generate-hashes {source} -o {lock}"]


@needs_locked_environment
@pytest.mark.parametrize(
    ("name", "old", "new", "named"),
    [
        # a direct pin changed
        ("requirements-dev.in", "pytest==9.2.0", "pytest==9.1.0",
         "requirements-dev.in asks for pytest==9.1.0 (via requirements-dev.in), but requirements-dev.txt has 9.2.0"),
        # a package added
        ("requirements.in", "sqlglot==30.30.0\n", "sqlglot==30.30.0\nrich==14.0.0\n",
         "rich is required (via requirements.in) but not in requirements.txt"),
        # a package removed
        ("requirements-dev.in", "ruff==0.17.6\n", "",
         "ruff==0.17.6 is in requirements-dev.txt, but nothing in requirements-dev.in needs it"),
        # an extra dropped: what only it pulled in is left over in the lock
        ("requirements-dev.in", "cloudformation,resourcegroupstaggingapi,", "",
         "is in requirements-dev.txt, but nothing in requirements-dev.in needs it"),
        # the setuptools that builds pyspark
        ("requirements-bootstrap.in", "setuptools==84.2.1", "setuptools==80.0.0",
         "requirements-bootstrap.in asks for setuptools==80.0.0"),
    ],
)
def test_an_input_edited_without_make_lock_fails_naming_the_package_and_the_command(
        inputs_and_locks, name, old, new, named):
    edit(inputs_and_locks, name, old, new)
    with pytest.raises(LockError) as raised:
        locks.check(str(inputs_and_locks))
    message = str(raised.value)
    assert named in message
    assert message.endswith("run `make lock` to regenerate requirements*.txt from requirements*.in, then commit both.")


def test_a_lock_written_by_another_command_or_without_hashes_fails(inputs_and_locks):
    edit(inputs_and_locks, "requirements.txt", "--generate-hashes requirements.in", "requirements.in")
    text = read("requirements.txt", str(inputs_and_locks))
    block = re.search(r"^sqlglot==30\.30\.0 \\\n(    --hash=\S+(?: \\)?\n)+", text, re.MULTILINE).group(0)
    (inputs_and_locks / "requirements.txt").write_text(text.replace(block, "sqlglot==30.30.0\n"), encoding="utf-8")
    with pytest.raises(LockError) as raised:
        locks.check(str(inputs_and_locks))
    assert "requirements.txt: its header says `uv pip compile --no-config --universal --python-version 3.11 " \
           "requirements.in -o requirements.txt`" in str(raised.value)
    assert "requirements.txt: sqlglot==30.30.0 has no --hash" in str(raised.value)


def test_a_lock_line_that_is_not_a_pin_is_refused(inputs_and_locks):
    edit(inputs_and_locks, "requirements.txt", "sqlglot==30.30.0", "sqlglot>=30")
    with pytest.raises(LockError, match=r"requirements.txt: not a pinned package line: 'sqlglot>=30 \\\\'"):
        locks.read_lock(str(inputs_and_locks / "requirements.txt"))


@needs_locked_environment
def test_the_command_line_check_says_the_locks_follow():
    result = subprocess.run([sys.executable, "-m", "tools.locks", "check"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert (result.returncode, result.stdout) == (0, "the locks follow from their inputs\n"), result.stderr


def test_unlocked_inputs_drop_the_lock_constraint_and_unpin_the_holds_on_request(tmp_path):
    kept = locks.unlocked_inputs(ROOT, str(tmp_path / "kept"), lift_holds=False)
    lifted = locks.unlocked_inputs(ROOT, str(tmp_path / "lifted"), lift_holds=True)
    moto = "moto[s3,glue,athena,secretsmanager,cloudformation,resourcegroupstaggingapi,iam,sts,kms]"
    assert (kept, lifted) == ([], ["botocore==1.44.8", f"{moto}==5.2.5"])
    for folder in ("kept", "lifted"):
        dev = (tmp_path / folder / "requirements-dev.in").read_text()
        assert "-r requirements.in\n" in dev and "-c requirements.txt" not in dev
    assert "botocore==1.44.8  # hold" in (tmp_path / "kept" / "requirements.in").read_text()
    # A lifted hold is unpinned, not removed: moto keeps its extras, botocore its line.
    assert "\nbotocore\n" in (tmp_path / "lifted" / "requirements.in").read_text()
    assert f"\n{moto}\n" in (tmp_path / "lifted" / "requirements-dev.in").read_text()
    # Nothing else changes: every other pin is the same.
    for source, _ in LOCKS:
        original = [line for line in read(source).splitlines() if "==" in line and not line.endswith(locks.HOLD)]
        unpinned = [line for line in (tmp_path / "lifted" / source).read_text().splitlines() if "==" in line]
        assert unpinned == original


def test_changes_lists_what_an_unlocked_install_moved():
    installed = {name: pin.version for name, pin in locks.active_pins(
        os.path.join(ROOT, "requirements-dev.txt"),
        __import__("packaging.markers", fromlist=["x"]).default_environment()).items()}
    installed.update({"Botocore": "1.44.18", "brand-new": "1.0"})
    del installed["pyyaml"]
    assert locks.changes(ROOT, "requirements-dev.txt", installed) == [
        ("botocore", "1.44.8", "1.44.18"), ("brand-new", None, "1.0"), ("pyyaml", "6.0.3", None)]


def test_the_dependencies_doc_quotes_the_compile_command_and_every_hold():
    doc = " ".join(read(os.path.join("docs", "dependencies.md")).split())
    assert "(`" + " ".join(locks.compile_command(ROOT)) + "`)" in doc
    holds = [line.split(" #")[0].strip() for source, _ in LOCKS for line in read(source).splitlines()
             if line.endswith(locks.HOLD)]
    assert holds
    for hold in holds:
        name, version = hold.split("==")
        assert f"**{name.split('[')[0]} {version}**" in doc
