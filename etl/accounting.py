"""Counts, accounting and data-quality gates (plain Python over small results)."""

from __future__ import annotations

import json
from typing import Sequence

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from etl.config import EtlConfig
from etl.layouts import SourceSpec


UNPARSEABLE_FLAG = "_unparseable__"
OUT_OF_RANGE_FLAG = "_out_of_range__"


FLAG_BITS = "_flag_bits"
ORPHAN_FLAGS = ("_orphan_artist", "_orphan_track", "_orphan_feature")


def pack_flags(frame: DataFrame) -> tuple[DataFrame, list[str]]:
    """Fold the 0/1 flag columns into one bit mask before caching.

    Caching builds and compresses every column; one long instead of up to 27
    int columns (12 features x 2 flags) makes the cache far cheaper. Returns
    the frame and the flag names in bit order.
    """
    names = [c for c in frame.columns if c.startswith((UNPARSEABLE_FLAG, OUT_OF_RANGE_FLAG)) or c in ORPHAN_FLAGS]
    if len(names) > 63:
        raise AssertionError(f"too many flags for one bit mask: {names}")
    mask = F.lit(0).cast("long")
    for bit, name in enumerate(names):
        mask = mask.bitwiseOR(F.shiftleft(F.coalesce(F.col(name), F.lit(0)).cast("long"), bit))
    return frame.select(*[F.col(c) for c in frame.columns if c not in names], mask.alias(FLAG_BITS)), names


def count_query(frame: DataFrame, role: str, flags: Sequence[str]) -> DataFrame:
    """Rows per status and reason, with each flag summed over valid rows, tagged with the role."""
    valid = F.col("_status") == "valid"

    def flag_sum(bit: int, name: str) -> Column:
        # Flags count valid rows only: a quarantined row's values are not published.
        return F.sum(F.when(valid, F.shiftright(FLAG_BITS, bit).bitwiseAND(1)).otherwise(0)).alias(name)

    return frame.groupBy("_status", "_reason").agg(
        F.count(F.lit(1)).alias("rows"),
        F.to_json(F.struct(*[flag_sum(bit, name) for bit, name in enumerate(flags)])).alias("flags"),
    ).select(F.lit(role).alias("role"), "_status", "_reason", "rows", "flags")


def file_counts(rows: Sequence, spec: SourceSpec, path: str) -> dict:
    """The per-file accounting from the rows of count_query."""
    by_status = {"valid": 0, "duplicate": 0, "quarantined": 0}
    reasons: dict[str, int] = {}
    flag_totals: dict[str, int] = {}
    for row in rows:
        by_status[row["_status"]] += row["rows"]
        if row["_status"] == "quarantined":
            reasons[row["_reason"]] = reasons.get(row["_reason"], 0) + row["rows"]
        for name, value in json.loads(row["flags"]).items():
            flag_totals[name] = flag_totals.get(name, 0) + (value or 0)
    input_rows = sum(by_status.values())
    counts = {
        "file": path,
        "layout_file_name": spec.file_name,
        "input_rows": input_rows,
        "kept_rows": by_status["valid"],
        "quarantined_rows": by_status["quarantined"],
        "duplicate_rows_removed": by_status["duplicate"],
        "quarantine_reasons": dict(sorted(reasons.items())),
        "unparseable_values": {
            c.removeprefix(UNPARSEABLE_FLAG): n for c, n in flag_totals.items() if c.startswith(UNPARSEABLE_FLAG)
        },
    }
    out_of_range = {
        c.removeprefix(OUT_OF_RANGE_FLAG): n for c, n in flag_totals.items() if c.startswith(OUT_OF_RANGE_FLAG)
    }
    if out_of_range:
        counts["out_of_range_values"] = out_of_range
    counts["_flags"] = {c: n for c, n in flag_totals.items() if not c.startswith((UNPARSEABLE_FLAG, OUT_OF_RANGE_FLAG))}
    return counts


def rate(numerator: int, denominator: int) -> float:
    """A share rounded to 6 places, as every rate of the summary and the run history is; 0 of nothing is 0."""
    return round(numerator / denominator, 6) if denominator else 0.0


def build_summary(
    config: EtlConfig, run_id: str, files: dict[str, dict], not_given: dict[str, str], ignored: dict[str, str]
) -> dict:
    albums = files["albums"]
    output_rows = albums["kept_rows"]
    flags = albums["_flags"]
    for counts in files.values():
        counts.pop("_flags", None)
        total = counts["kept_rows"] + counts["quarantined_rows"] + counts["duplicate_rows_removed"]
        if total != counts["input_rows"]:  # an internal bug, never bad data
            raise AssertionError(f"accounting broken for {counts['file']}: {counts}")
    orphans = {}
    for kind in ("artist", "track", "feature"):
        if kind == "feature" and "features" not in files:
            continue
        orphans[f"{kind}_rows"] = flags[f"_orphan_{kind}"]
        orphans[f"{kind}_rate"] = rate(flags[f"_orphan_{kind}"], output_rows)
    return {
        "job": "spotify_etl",
        "job_name": config.job_name,
        "run_id": run_id,
        "source_path": config.source_path,
        "target_path": config.target_path,
        "quarantine_path": config.quarantine_path,
        "input_rows": albums["input_rows"],
        "output_rows": output_rows,
        "quarantined_rows": albums["quarantined_rows"],
        "duplicate_rows_removed": albums["duplicate_rows_removed"],
        "accounting": (
            f"{albums['input_rows']} input = {output_rows} output + {albums['quarantined_rows']} quarantined"
            f" + {albums['duplicate_rows_removed']} duplicates"
        ),
        "orphans": orphans,
        "files": files,
        "files_not_given": not_given,
        "files_ignored": ignored,
    }


def evaluate_gates(summary: dict, config: EtlConfig) -> list[dict]:
    """Each gate: name, threshold, measured value, passed, and a message naming both."""
    gates = []
    output_rows = summary["output_rows"]
    gates.append(
        {
            "name": "min_output_rows",
            "threshold": config.min_output_rows,
            "measured": output_rows,
            "passed": output_rows >= config.min_output_rows,
            "message": f"{output_rows} output rows (minimum {config.min_output_rows})",
        }
    )
    worst_role, worst = max(
        ((role, counts) for role, counts in summary["files"].items()),
        key=lambda item: rate(item[1]["quarantined_rows"], item[1]["input_rows"]),
    )
    worst_rate = rate(worst["quarantined_rows"], worst["input_rows"])
    gates.append(
        {
            "name": "max_quarantine_rate",
            "threshold": config.max_quarantine_rate,
            "measured": worst_rate,
            "passed": worst_rate <= config.max_quarantine_rate,
            "message": (
                f"{worst['file']} quarantined {worst_rate:.2%} of its rows ({worst['quarantined_rows']} of "
                f"{worst['input_rows']}; maximum {config.max_quarantine_rate:.2%})"
            ),
        }
    )
    thresholds = {
        "artist": config.max_orphan_artist_rate,
        "track": config.max_orphan_track_rate,
        "feature": config.max_orphan_feature_rate,
    }
    for kind, threshold in thresholds.items():
        if f"{kind}_rate" not in summary["orphans"]:
            continue  # no features file: nothing to match against
        orphan_rate = summary["orphans"][f"{kind}_rate"]
        gates.append(
            {
                "name": f"max_orphan_{kind}_rate",
                "threshold": threshold,
                "measured": orphan_rate,
                "passed": orphan_rate <= threshold,
                "message": (
                    f"{orphan_rate:.2%} of output rows have no matching {kind} "
                    f"({summary['orphans'][f'{kind}_rows']} of {output_rows}; maximum {threshold:.2%})"
                ),
            }
        )
    return gates


def failed_gates_message(gates: list[dict]) -> str:
    failed = [g for g in gates if not g["passed"]]
    return "; ".join(f"data-quality gate {g['name']} failed: {g['message']}" for g in failed)
