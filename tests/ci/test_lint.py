"""The repository's own lint configuration ([tool.ruff] in pyproject.toml): ruff, pinned in
requirements-dev.txt, passes over the whole tree, so a long line or an unused import fails the
suite and names the file and line, rather than waiting for someone to run ruff by hand."""

from __future__ import annotations

import subprocess
import sys

from tests.stacks.support.synth import ROOT


def test_ruff_check_passes():
    # --no-cache: a test run leaves no .ruff_cache behind in the checkout.
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "."],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
