"""The Python locks: requirements*.txt, compiled from the hand-edited requirements*.in by `make lock`
(uv pip compile, every package pinned with its hashes). The Makefile installs from the locks only.

    python -m tools.locks check                       # does every lock still follow from its inputs?
    python -m tools.locks unlocked-inputs DIR [--lift-holds]
                                                      # the inputs with no lock behind them (weekly job)
    python -m tools.locks blame --report JUNIT_XML    # which single upgrade makes the failed tests fail
                                                      # (tools/unlocked_blame.py)

`check` works offline: it walks the inputs' dependency tree through the metadata of the installed
packages (the test environment is installed from the locks) and compares it with each lock, so an
input edited without `make lock` is caught with the package named.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from importlib import metadata

# packaging (in the locks) is imported where it is used: `make unlocked` runs `unlocked-inputs`
# with only the bootstrap lock installed.

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Inputs and their locks, in compile order (requirements-dev.in is constrained by requirements.txt).
LOCKS = (
    ("requirements-bootstrap.in", "requirements-bootstrap.txt"),
    ("requirements.in", "requirements.txt"),
    ("requirements-dev.in", "requirements-dev.txt"),
)
REFRESH = "run `make lock` to regenerate requirements*.txt from requirements*.in, then commit both"
HOLD = "# hold"  # an input line held back below the newest release; the unlocked job lifts it
_LOCK_ENTRY = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^\s;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


class LockError(Exception):
    """A lock that no longer follows from its inputs; the message names the packages and the fix."""


@dataclass
class Pin:
    version: str
    marker: str | None = None
    hashes: list[str] = field(default_factory=list)


def read_lock(path: str) -> dict[str, list[Pin]]:
    """Package name -> its pins (version, environment marker, hashes) in a uv pip compile lock. A
    universal lock may pin one package twice, for environments the markers tell apart."""
    from packaging.utils import canonicalize_name

    pins: dict[str, list[Pin]] = {}
    current: Pin | None = None
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("--hash="):
                if current is None:
                    raise LockError(f"{os.path.basename(path)}: a hash before any package: {stripped}")
                current.hashes.append(stripped.split("=", 1)[1].rstrip(" \\"))
                continue
            match = _LOCK_ENTRY.match(stripped)
            if not match:
                raise LockError(f"{os.path.basename(path)}: not a pinned package line: {stripped!r}")
            current = Pin(match["version"], match["marker"])
            pins.setdefault(canonicalize_name(match["name"]), []).append(current)
    return pins


def active_pins(path: str, environment: dict) -> dict[str, Pin]:
    """The pins of a lock that apply to `environment` (this machine's Python and platform)."""
    from packaging.requirements import Requirement

    active = {}
    for name, candidates in read_lock(path).items():
        chosen = [pin for pin in candidates
                  if pin.marker is None or Requirement(f"x; {pin.marker}").marker.evaluate(environment)]
        if len(chosen) > 1:
            raise LockError(f"{os.path.basename(path)}: {name} is pinned twice for this environment")
        if chosen:
            active[name] = chosen[0]
    return active


def read_inputs(root: str, name: str, seen: tuple[str, ...] = ()) -> tuple[list, list[str]]:
    """The requirements of an input file (following -r), and the lock files it is constrained by (-c)."""
    from packaging.requirements import Requirement

    if name in seen:
        raise LockError(f"{name}: includes itself through {' -> '.join(seen)}")
    requirements, constraints = [], []
    with open(os.path.join(root, name), encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            text = line.split(" #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not text:
                continue
            if text.startswith("-r "):
                more, more_constraints = read_inputs(root, text[3:].strip(), (*seen, name))
                requirements += more
                constraints += more_constraints
            elif text.startswith("-c "):
                constraints.append(text[3:].strip())
            elif text.startswith("-"):
                raise LockError(f"{name}:{number}: option {text!r} is not supported in an input file")
            else:
                requirements.append(Requirement(text))
    return requirements, constraints


def _applies(marker, environment: dict, extras: set[str]) -> bool:
    if marker is None:
        return True
    return any(marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""}))


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def problems(root: str, source: str, lock: str) -> list[str]:
    """Why `lock` does not follow from `source` in this environment (empty when it does)."""
    from packaging.markers import default_environment
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    environment = default_environment()
    found = [f"{lock}: {name}=={pin.version} has no --hash"
             for name, candidates in read_lock(os.path.join(root, lock)).items()
             for pin in candidates if not pin.hashes]
    pins = active_pins(os.path.join(root, lock), environment)
    requirements, constraints = read_inputs(root, source)
    for constraint in constraints:
        for name, pin in active_pins(os.path.join(root, constraint), environment).items():
            if name in pins and pins[name].version != pin.version:
                found.append(f"{lock}: {name}=={pins[name].version}, but {constraint} locks {pin.version}")
    # Walk the dependency tree from the inputs, through the metadata of the locked versions.
    needed: dict[str, str] = {}
    queue = [(requirement, source) for requirement in requirements]
    expanded: set[tuple[str, frozenset]] = set()
    while queue:
        requirement, parent = queue.pop()
        if not _applies(requirement.marker, environment, {""} if parent == source else parent_extras(parent)):
            continue
        name = canonicalize_name(requirement.name)
        needed.setdefault(name, parent if parent == source else parent.split("[", 1)[0])
        pin = pins.get(name)
        if pin is None:
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            found.append(f"{source} asks for {requirement.name}{requirement.specifier} "
                         f"(via {needed[name]}), but {lock} has {pin.version}")
            continue
        key = (name, frozenset(requirement.extras))
        if key in expanded:
            continue
        expanded.add(key)
        installed = _installed_version(name)
        if installed != pin.version:
            found.append(f"{name} {installed or 'is not installed'} here, {lock} has {pin.version}: run `make` "
                         f"(a target that installs the locks) before checking")
            continue
        for dependency in metadata.requires(name) or []:
            queue.append((Requirement(dependency), f"{name}[{','.join(sorted(requirement.extras))}]"))
    for name in sorted(set(needed) - set(pins)):
        found.append(f"{name} is required (via {needed[name]}) but not in {lock}")
    for name in sorted(set(pins) - set(needed)):
        found.append(f"{name}=={pins[name].version} is in {lock}, but nothing in {source} needs it")
    return found


def parent_extras(parent: str) -> set[str]:
    extras = parent.split("[", 1)[1].rstrip("]") if "[" in parent else ""
    return {""} | {extra for extra in extras.split(",") if extra}


def compile_command(root: str) -> list[str]:
    """The Makefile's UV_COMPILE, which the locks' headers must repeat (and Dependabot reruns)."""
    with open(os.path.join(root, "Makefile"), encoding="utf-8") as handle:
        line = next(line for line in handle if line.startswith("UV_COMPILE = "))
    words = shlex.split(line.split("=", 1)[1])
    return ["uv", *[word for word in words[1:] if word != "--quiet"]]


def check(root: str = ROOT) -> None:
    """Raise LockError naming every lock that does not follow from its inputs, and the fix."""
    command = compile_command(root)
    found = []
    for source, lock in LOCKS:
        with open(os.path.join(root, lock), encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n"), handle.readline().rstrip("\n")
        expected = "#    " + shlex.join([*command, source, "-o", lock])
        if header[1] != expected:
            found.append(f"{lock}: its header says `{header[1][5:]}`, the Makefile's command is `{expected[5:]}`")
        found += problems(root, source, lock)
    if found:
        raise LockError("the locks do not follow from their inputs:\n  " + "\n  ".join(found) + f"\n{REFRESH}.")


def unlocked_inputs(root: str, destination: str, lift_holds: bool) -> list[str]:
    """Copy the inputs into `destination` without the lock constraints (-c requirements*.txt) and,
    with lift_holds, with the held lines unpinned. Returns the held requirements that were lifted."""
    os.makedirs(destination, exist_ok=True)
    lifted = []
    for source, _ in LOCKS:
        kept = []
        with open(os.path.join(root, source), encoding="utf-8") as handle:
            for line in handle:
                text = line.strip()
                if text.startswith("-c ") and text.endswith(".txt"):
                    continue
                if lift_holds and text.endswith(HOLD) and not text.startswith("#"):
                    requirement = text.split(" #", 1)[0].strip()
                    lifted.append(requirement)
                    # Unpinned, not removed: the package (with its extras) stays, at its newest release.
                    line = re.split(r"[=<>!~;\s]", requirement, maxsplit=1)[0] + "\n"
                kept.append(line)
        with open(os.path.join(destination, source), "w", encoding="utf-8") as handle:
            handle.writelines(kept)
    return lifted


def changes(root: str, lock: str, installed: dict[str, str]) -> list[tuple[str, str | None, str | None]]:
    """(name, locked version, installed version) for each package where the two differ."""
    from packaging.markers import default_environment
    from packaging.utils import canonicalize_name

    locked = {name: pin.version for name, pin in active_pins(os.path.join(root, lock), default_environment()).items()}
    installed = {canonicalize_name(name): version for name, version in installed.items()}
    return [(name, locked.get(name), installed.get(name))
            for name in sorted(set(locked) | set(installed)) if locked.get(name) != installed.get(name)]


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.locks", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check")
    unlocked = commands.add_parser("unlocked-inputs")
    unlocked.add_argument("destination")
    unlocked.add_argument("--lift-holds", action="store_true")
    blamed = commands.add_parser("blame")
    blamed.add_argument("--report", required=True, help="pytest --junitxml report of the unlocked run")
    args = parser.parse_args(argv)
    if args.command == "check":
        try:
            check()
        except LockError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print("the locks follow from their inputs")
        return 0
    if args.command == "unlocked-inputs":
        for requirement in unlocked_inputs(ROOT, args.destination, args.lift_holds):
            print(f"lifted hold: {requirement}")
        return 0
    from tools.unlocked_blame import run_blame

    return run_blame(ROOT, args.report)


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
