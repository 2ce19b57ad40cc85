"""`make bench` reports the peak memory of a process tree: each address space counted once.

Each case runs in a fresh interpreter, so that the test session's own children
(the Spark JVM of other tests) are not part of the tree measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.conftest import ROOT

MB = 2**20

PRELUDE = """
import json, os, subprocess, sys, time
from benchmarks.benchmark import tree_rss_bytes

def rss(pid):
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

ballast = bytearray(200 * 2**20)
ballast[::4096] = b"x" * len(ballast[::4096])
"""


def _measure(body: str) -> dict:
    script = PRELUDE + textwrap.dedent(body)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_child_that_has_not_exec_ed_is_not_counted_again():
    # What the JVM does for every file Hadoop's local file system writes (it
    # runs chmod): the child shares the parent's memory until it execs.
    result = _measure(
        """
        child = os.fork()
        if child == 0:
            time.sleep(10)
            os._exit(0)
        time.sleep(0.3)
        print(json.dumps({"tree": tree_rss_bytes(os.getpid()), "own": rss(os.getpid())}))
        os.kill(child, 9)
        """
    )
    assert result["own"] > 200 * MB
    assert abs(result["tree"] - result["own"]) < 20 * MB, result


def test_a_separate_process_in_the_tree_is_added():
    result = _measure(
        """
        child = subprocess.Popen([sys.executable, "-c", "b = bytearray(150 * 2**20); b[::4096] = b'x' * "
                                  "len(b[::4096]); print('ready', flush=True); import time; time.sleep(30)"],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        print(json.dumps({"tree": tree_rss_bytes(os.getpid()), "own": rss(os.getpid()), "child": rss(child.pid)}))
        child.kill()
        """
    )
    assert result["child"] > 150 * MB
    assert abs(result["tree"] - (result["own"] + result["child"])) < 20 * MB, result
