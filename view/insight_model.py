"""The vocabulary the dashboards are declared in: fields, insights, sheets, filter controls.

`view/insights.py` (the tracks) and `view/health_insights.py` (the pipeline's run history)
declare the insights; `stacks/quicksight_dashboard.py` and `view/dashboard_html.py` draw them.
"""

from __future__ import annotations

from dataclasses import dataclass

# Chart kinds, as both dashboards draw them.
KPI, BAR, LINE, SCATTER, TABLE, HISTOGRAM, PIE = "kpi", "bar", "line", "scatter", "table", "histogram", "pie"
CHART_KINDS = (KPI, BAR, LINE, SCATTER, TABLE, HISTOGRAM, PIE)
# QuickSight's grid is 36 columns wide; the offline page uses the same spans.
GRID_COLUMNS = 36
SPANS = {"quarter": 9, "half": 18, "full": 36}
AGGREGATIONS = ("SUM", "AVERAGE", "MIN", "MAX", "COUNT", "DISTINCT_COUNT")


@dataclass(frozen=True)
class Field:
    """One field of a visual.

    column: the dataset column (or a calculated field below) QuickSight reads.
    query_column: the named query's result column with the same values.
    aggregation: how QuickSight aggregates a measure (None: a dimension, or a
    table's / histogram's raw value).
    date_granularity: how QuickSight groups a date dimension: YEAR (the query shows the year, and the
    offline chart a year axis) or a finer one such as MINUTE (a time axis in both).
    """

    field_id: str
    column: str
    query_column: str
    label: str
    aggregation: str | None = None
    date_granularity: str | None = None


@dataclass(frozen=True)
class CalculatedField:
    """A column QuickSight computes from the dataset (an expression in its own language)."""

    name: str
    expression: str
    column_type: str  # the type QuickSight gives the result: STRING, INTEGER, DECIMAL, DATETIME
    data_set: str = "tracks"


@dataclass(frozen=True)
class AtLeast:
    """Keep only groups whose aggregated column reaches a minimum (the query's HAVING)."""

    column: str
    aggregation: str
    minimum: int


@dataclass(frozen=True)
class Latest:
    """Keep the newest row only: the `column` value whose `by` (a date) is the greatest."""

    column: str
    by: str


@dataclass(frozen=True)
class Sheet:
    """A sheet of the QuickSight analysis and dashboard, and a section of the offline page."""

    sheet_id: str
    name: str
    title: str
    description: str


@dataclass(frozen=True)
class FilterControl:
    """A sheet-wide filter with its control (QuickSight only: the offline page shows fixed results).

    With `all_data_sets`, the filter applies to every dataset of the sheet with a column of that name."""

    filter_id: str
    title: str
    column: str
    data_set: str
    sheet: str
    all_data_sets: bool = False


@dataclass(frozen=True)
class Insight:
    insight_id: str
    title: str
    description: str
    chart: str
    query_id: str
    dimensions: tuple[Field, ...] = ()
    measures: tuple[Field, ...] = ()
    # The field the visual sorts by (a dimension or a measure of this insight) and its direction.
    sort_field: str | None = None
    sort_descending: bool = True
    # How many categories (bars, points, rows) the visual shows; the query's LIMIT.
    limit: int | None = None
    # Columns whose nulls the query excludes; QuickSight gets the same visual filter.
    non_null: tuple[str, ...] = ()
    at_least: AtLeast | None = None
    bin_width: int | None = None  # histogram
    log_scale: bool = False  # scatter: the first measure (x) spans orders of magnitude
    width: str = "half"
    height: int = 10  # QuickSight grid rows
    # Where the QuickSight visual deliberately differs from its named query, said plainly.
    differs: str = ""
    # False: drawn offline only, over a column QuickSight cannot read (arrays); `differs` says why.
    in_quicksight: bool = True
    # The QuickSight dataset whose columns the fields name, and the sheet (SHEETS) the visual is on.
    data_set: str = "tracks"
    sheet: str = "overview"
    # Line charts: one line per value of `series` (QuickSight's Colors well), one panel per value of
    # `small_multiples`; with `one_axis` every measure shares the y axis (a value and its threshold).
    series: Field | None = None
    small_multiples: Field | None = None
    one_axis: bool = False
    # Only the newest row of the dataset: QuickSight keeps the top 1 `column` by MAX(`by`); the named
    # query lists the newest first, and the offline page reads its first row.
    latest: Latest | None = None
    empty_text: str = "No rows."

    @property
    def fields(self) -> tuple[Field, ...]:
        """Every field of the visual: dimensions, series and panels, then measures."""
        extra = tuple(f for f in (self.series, self.small_multiples) if f is not None)
        return self.dimensions + extra + self.measures

    @property
    def column_span(self) -> int:
        return SPANS[self.width]
