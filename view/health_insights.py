"""The "Pipeline health" sheet: the run history the Glue job appends (etl/history.py), as insights.

The numbers come from the named queries sql/athena/pipeline_*.sql; QuickSight reads the same
tables through one dataset each (pipeline_runs, pipeline_run_files, pipeline_run_gates).
"""

from __future__ import annotations

from etl.history import FILES_TABLE, GATES_TABLE, RUNS_TABLE
from view.insight_model import KPI, LINE, TABLE, Field, FilterControl, Insight, Latest, Sheet

HEALTH = Sheet(
    "health",
    "Pipeline health",
    "Pipeline health: every run's accounting and data-quality gates",
    "Each run of the Glue job, succeeded or not, as it recorded itself in the run history.",
)
# Each QuickSight dataset is named after the history table it reads.
RUNS, FILES, GATES = RUNS_TABLE, FILES_TABLE, GATES_TABLE
RECENT_RUNS_QUERY = "pipeline_recent_runs"
LATEST_RUN = Latest("run_id", "started_at")
NO_RUNS = "No runs recorded yet: the Glue job records every run here, whatever its outcome."
RUN_STARTED = Field("started_at", "started_at", "started_at", "Run started", date_granularity="MINUTE")


def _last_run_kpi(insight_id: str, title: str, description: str, field: Field, **options) -> Insight:
    return Insight(insight_id, title, description, KPI, RECENT_RUNS_QUERY, measures=(field,), width="quarter",
                   height=4, data_set=RUNS, sheet=HEALTH.sheet_id, latest=LATEST_RUN, empty_text=NO_RUNS, **options)


def _over_runs(insight_id: str, title: str, description: str, query_id: str, data_set: str,
               measures: tuple[Field, ...], **options) -> Insight:
    """A full-width line chart over the runs' start times, oldest first."""
    return Insight(insight_id, title, description, LINE, query_id, dimensions=(RUN_STARTED,), measures=measures,
                   sort_field="started_at", sort_descending=False, data_set=data_set, sheet=HEALTH.sheet_id,
                   empty_text=NO_RUNS, width="full", **options)


HEALTH_INSIGHTS: tuple[Insight, ...] = (
    _last_run_kpi(
        "kpi_last_run_status", "Last run", "How the newest run ended: succeeded, gate_failed or error.",
        Field("status", "status", "status", "Status"),
        in_quicksight=False,
        differs="A QuickSight KPI shows numbers only: the status is the first row of Recent runs.",
    ),
    _last_run_kpi("kpi_last_run_published", "Rows published", "Rows the newest run wrote to tracks/ (0 when a "
                  "gate failed).", Field("published_rows", "published_rows", "published_rows", "Rows published",
                                         "SUM")),
    _last_run_kpi("kpi_last_run_quarantined", "Rows quarantined", "Album rows the newest run quarantined.",
                  Field("quarantined_rows", "quarantined_rows", "quarantined_rows", "Rows quarantined", "SUM")),
    _last_run_kpi("kpi_last_run_seconds", "Run seconds", "How long the newest run took, in seconds.",
                  Field("seconds", "seconds", "seconds", "Seconds", "SUM")),
    _over_runs(
        "quarantine_rate_by_file",
        "Quarantine rate per file",
        "The share of each input file's rows quarantined, run after run (the last 90 days).",
        "pipeline_quarantine_rates",
        FILES,
        (Field("quarantine_rate", "quarantine_rate", "quarantine_rate", "Quarantine rate", "AVERAGE"),),
        series=Field("role", "role", "role", "Input file"),
    ),
    _over_runs(
        "gate_values",
        "Gates against their thresholds",
        "Each data-quality gate's measured value and its threshold, run after run (the last 90 days). "
        "min_output_rows must stay at or above its threshold, the rates at or below theirs.",
        "pipeline_gate_results",
        GATES,
        (
            Field("measured", "measured", "measured", "Measured", "AVERAGE"),
            Field("threshold", "threshold", "threshold", "Threshold", "AVERAGE"),
        ),
        small_multiples=Field("gate", "gate", "gate", "Gate"),
        one_axis=True,
        height=14,
        differs="Each gate is a panel with its own y axis.",
    ),
    Insight(
        "recent_runs",
        "Recent runs",
        "The newest 20 runs: how each ended, what it read and published, and the gates that failed.",
        TABLE,
        RECENT_RUNS_QUERY,
        dimensions=(
            RUN_STARTED,
            Field("status", "status", "status", "Status"),
            Field("failed_gates", "failed_gates", "failed_gates", "Failed gates"),
        ),
        measures=(
            Field("input_rows", "input_rows", "input_rows", "Input rows"),
            Field("published_rows", "published_rows", "published_rows", "Rows published"),
            Field("quarantined_rows", "quarantined_rows", "quarantined_rows", "Quarantined"),
            Field("duplicate_rows", "duplicate_rows", "duplicate_rows", "Duplicates"),
            Field("seconds", "seconds", "seconds", "Seconds"),
        ),
        sort_field="started_at",
        limit=20,
        data_set=RUNS,
        sheet=HEALTH.sheet_id,
        empty_text=NO_RUNS,
        width="full",
    ),
)

# One date control for the whole sheet: it filters every history dataset by its started_at.
HEALTH_FILTER_CONTROLS = (
    FilterControl("run_started_range", "Run started", "started_at", RUNS, HEALTH.sheet_id, all_data_sets=True),
)
