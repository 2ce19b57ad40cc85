"""What every runner must agree with the Glue script on: the script itself (as a
module) and the input file names it accepts. Below both `make demo`
(local_pipeline/) and the cloud operator command line (cloud_pipeline/)."""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
from types import ModuleType

ROOT = os.path.dirname(os.path.abspath(__file__))
ETL_SCRIPT = os.path.join(ROOT, "glue_scripts", "spotify_etl.py")


@functools.cache
def glue_script() -> ModuleType:
    """The Glue script as a module, for what a runner must agree with it on
    (accepted input files, the Java check); the job itself runs as a process."""
    if "spotify_etl" in sys.modules:
        return sys.modules["spotify_etl"]
    spec = importlib.util.spec_from_file_location("spotify_etl", ETL_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["spotify_etl"] = module  # dataclasses resolve their module through sys.modules
    spec.loader.exec_module(module)
    return module


def accepted_files() -> dict[str, tuple[str, ...]]:
    """Per required input role, the file names the Glue job accepts (workshop layout first, then Kaggle's).

    Optional roles (the audio features) may be absent. The job itself refuses two
    layouts at once, naming both files, so a runner stages what it is given.
    """
    etl = glue_script()
    return {
        role: (etl.WORKSHOP_LAYOUT[role].file_name, etl.KAGGLE_LAYOUT[role].file_name)
        for role in etl.ROLES
        if role not in etl.OPTIONAL_ROLES
    }
