"""The job's arguments: the four paths and the optional data-quality thresholds."""

from __future__ import annotations

import math
from dataclasses import dataclass

from etl.contract import ConfigurationError


@dataclass(frozen=True)
class EtlConfig:
    source_path: str
    target_path: str
    quarantine_path: str
    job_name: str = "local"
    min_output_rows: int = 1
    max_quarantine_rate: float = 0.05
    max_orphan_artist_rate: float = 0.10
    max_orphan_track_rate: float = 0.10
    max_orphan_feature_rate: float = 0.10
    job_run_id: str | None = None  # Glue's own id of this run (jr_…), kept in the run history


# Optional job arguments: name -> (EtlConfig field, parser, description)
THRESHOLD_ARGUMENTS = {
    "MIN_OUTPUT_ROWS": ("min_output_rows", int, "a whole number >= 0"),
    "MAX_QUARANTINE_RATE": ("max_quarantine_rate", float, "a fraction between 0 and 1"),
    "MAX_ORPHAN_ARTIST_RATE": ("max_orphan_artist_rate", float, "a fraction between 0 and 1"),
    "MAX_ORPHAN_TRACK_RATE": ("max_orphan_track_rate", float, "a fraction between 0 and 1"),
    "MAX_ORPHAN_FEATURE_RATE": ("max_orphan_feature_rate", float, "a fraction between 0 and 1"),
}
REQUIRED_ARGUMENTS = ("JOB_NAME", "SOURCE_PATH", "TARGET_PATH", "QUARANTINE_PATH")


def build_config(arguments: dict[str, str]) -> EtlConfig:
    """Validate resolved job arguments (names without the leading --)."""
    missing = [name for name in REQUIRED_ARGUMENTS if not arguments.get(name)]
    if missing:
        raise ConfigurationError("missing job argument(s): " + ", ".join(f"--{m}" for m in missing))
    values: dict[str, object] = {}
    for name, (attribute, parse, accepted) in THRESHOLD_ARGUMENTS.items():
        raw = arguments.get(name)
        if raw is None:
            continue
        try:
            value = parse(raw)
        except ValueError:
            raise ConfigurationError(f"--{name}={raw!r} is invalid: expected {accepted}") from None
        in_range = value >= 0 if parse is int else 0.0 <= value <= 1.0
        if not in_range or (isinstance(value, float) and math.isnan(value)):
            raise ConfigurationError(f"--{name}={raw!r} is invalid: expected {accepted}")
        values[attribute] = value
    return EtlConfig(
        source_path=arguments["SOURCE_PATH"].rstrip("/"),
        target_path=arguments["TARGET_PATH"].rstrip("/"),
        quarantine_path=arguments["QUARANTINE_PATH"].rstrip("/"),
        job_name=arguments["JOB_NAME"],
        job_run_id=arguments.get("JOB_RUN_ID") or None,
        **values,
    )
