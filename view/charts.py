"""The offline dashboard's charts: each insight of `view/insights.py` as a Vega-Lite spec, drawn
with Altair over its named query's rows (`view/dashboard_html.py` puts them on the page)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import altair as alt

from sql.queries import QueryResult
from view.insight_model import BAR, HISTOGRAM, LINE, PIE, SCATTER, Field, Insight

ACCENT = "#1db954"
SECOND = "#535bf2"
THRESHOLD_GREY = "#8a8a8a"
FAILED_RED = "#d62728"
# Vega-Lite as Altair writes it (v6.4.x): the page's JavaScript bundle must speak the same version.
VEGA_LITE_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])
# The bar chart's category axis: the row's label, numbered when a label repeats.
BAR_LABEL = "_bar_label"
# Small multiples: fixed panels (Vega-Lite cannot fit a faceted chart to its container's width); three
# panels of this width fit a full-width section at laptop width.
PANEL_WIDTH, PANEL_HEIGHT, PANEL_COLUMNS = 340, 170, 3
# The column of a gate's result that says whether it passed: its failed runs get a red point.
PASSED_COLUMN = "passed"
FAILED_LABEL = "Failed"
# The legend entry a layer of the time lines draws (its measure's label, or FAILED_LABEL).
LEGEND_FIELD = "_legend"
SINGLE_INSTANT_PAD_MS = 30 * 60 * 1000
# Time-axis labels: 24-hour UTC time; a midnight tick is its date, and the first tick adds its date below.
_TIME = "utcFormat(datum.value, utcseconds(datum.value) ? '%H:%M:%S' : '%H:%M')"
_DATE = "utcFormat(datum.value, '%Y-%m-%d')"
TIME_LABEL_EXPRESSION = (f"utchours(datum.value) + utcminutes(datum.value) + utcseconds(datum.value) == 0 ? {_DATE}"
                         f" : datum.index == 0 ? [{_TIME}, {_DATE}] : {_TIME}")


def _utc_text(value: dt.datetime) -> str:
    """ISO 8601 in UTC with a Z, which every browser parses alike (without an offset, a browser reads
    local time). A naive timestamp is UTC: the run history and Athena store UTC."""
    utc = value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return _utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def records(result: QueryResult) -> list[dict]:
    return [{c: _json_value(v) for c, v in zip(result.columns, row)} for row in result.rows]


def _tooltip(result: QueryResult, insight: Insight, float_format: str = ",.1f") -> list[alt.Tooltip]:
    """Every column of the query's row, under the insight's labels where it has one."""
    labels = {f.query_column: f.label for f in insight.fields}
    tooltips = []
    for index, column in enumerate(result.columns):
        sample = next((row[index] for row in result.rows if row[index] is not None), None)
        title = labels.get(column, column.replace("_", " "))
        if isinstance(sample, (int, float, Decimal)) and not isinstance(sample, bool):
            number_format = ",d" if isinstance(sample, int) else float_format
            tooltips.append(alt.Tooltip(column, type="quantitative", title=title, format=number_format))
        elif isinstance(sample, dt.datetime):
            # A UTC time unit makes Vega-Lite print the instant in UTC, not in the reader's time zone.
            tooltips.append(alt.Tooltip(column, type="temporal", title=f"{title} (UTC)",
                                        timeUnit="utcyearmonthdatehoursminutesseconds", format="%Y-%m-%d %H:%M:%S"))
        else:
            tooltips.append(alt.Tooltip(column, type="nominal", title=title))
    return tooltips


def is_faceted(insight: Insight) -> bool:
    return insight.chart == LINE and insight.small_multiples is not None


def is_over_time(insight: Insight) -> bool:
    """A line over a date finer than a year: a time axis (a year axis reads years as plain numbers)."""
    return insight.chart == LINE and insight.dimensions[0].date_granularity not in (None, "YEAR")


def chart(insight: Insight, result: QueryResult) -> alt.TopLevelMixin:
    """The insight's chart over the query's rows, as wide as its section (KPIs and tables are HTML)."""
    if is_over_time(insight):
        return _time_lines(insight, result)
    return _marks(insight, result).properties(
        width="container", autosize=alt.AutoSizeParams(type="fit-x", contains="padding")
    )


def _marks(insight: Insight, result: QueryResult) -> alt.TopLevelMixin:
    rows = records(result)
    tooltip = _tooltip(result, insight)
    data = alt.Data(values=rows)
    base = alt.Chart(data)
    if insight.chart == BAR:
        (category,) = insight.dimensions
        value = insight.measures[0]
        # One bar per row: rows sharing a label (two artists of one name) would stack on one band otherwise.
        seen: dict = {}
        for row in rows:
            label = str(row[category.query_column])
            seen[label] = seen.get(label, 0) + 1
            row[BAR_LABEL] = label if seen[label] == 1 else f"{label} ({seen[label]})"
        bars = alt.Chart(alt.Data(values=rows)).mark_bar(color=ACCENT).encode(
            y=alt.Y(BAR_LABEL, type="nominal", sort=None, title=None, axis=alt.Axis(labelLimit=170)),
            x=alt.X(value.query_column, type="quantitative", title=value.label),
            tooltip=tooltip,
        )
        if len(insight.measures) > 1:
            # A second measure shades the bars: e.g. tracks per genre, coloured by their average popularity.
            shade = insight.measures[1]
            bars = bars.encode(color=alt.Color(shade.query_column, type="quantitative", title=shade.label,
                                               scale=alt.Scale(scheme="greens")))
        # A fixed height per bar (not a Vega-Lite step, which conflicts with the container width).
        return bars.properties(height=18 * len(rows))
    if insight.chart == LINE:
        (year,) = insight.dimensions
        x = alt.X(year.query_column, type="quantitative", title=year.label, axis=alt.Axis(format="d"))
        layers = [
            base.mark_line(point=True, color=colour).encode(
                x=x, y=alt.Y(measure.query_column, type="quantitative", title=measure.label,
                             axis=alt.Axis(titleColor=colour, orient=orient)), tooltip=tooltip)
            for measure, colour, orient in zip(insight.measures, (ACCENT, SECOND), ("left", "right"))
            # A measure with no value at all (no collaborations in the workshop layout, say) has no axis to draw.
            if any(row[measure.query_column] is not None for row in rows)
        ]
        return alt.layer(*layers).resolve_scale(y="independent").properties(height=260)
    if insight.chart == SCATTER:
        x_field, y_field = insight.measures
        return base.mark_circle(size=70, opacity=0.75, color=ACCENT).encode(
            x=alt.X(x_field.query_column, type="quantitative", title=x_field.label,
                    scale=alt.Scale(type="log") if insight.log_scale else alt.Undefined),
            y=alt.Y(y_field.query_column, type="quantitative", title=y_field.label),
            tooltip=tooltip,
        ).properties(height=300)
    if insight.chart == HISTOGRAM:
        (value,) = insight.dimensions
        count = insight.measures[0]
        width = insight.bin_width
        return base.transform_calculate(
            band_to=f"datum.{value.query_column} + {width}",
            band=f"datum.{value.query_column} + '–' + (datum.{value.query_column} + {width - 1})",
        ).mark_bar(color=ACCENT, binSpacing=1).encode(
            x=alt.X(value.query_column, type="quantitative", bin="binned", title=value.label,
                    scale=alt.Scale(domain=[0, 100 + width])),
            x2="band_to:Q",
            y=alt.Y(count.query_column, type="quantitative", title=count.label),
            tooltip=[alt.Tooltip("band:N", title=value.label), *tooltip[1:]],
        ).properties(height=260)
    if insight.chart == PIE:
        (category,) = insight.dimensions
        value = insight.measures[0]
        return base.mark_arc(innerRadius=55).encode(
            theta=alt.Theta(value.query_column, type="quantitative"),
            color=alt.Color(category.query_column, type="nominal", title=category.label,
                            scale=alt.Scale(domain=["explicit", "clean", "unknown"],
                                            range=["#e4572e", ACCENT, "#b0b0b0"])),
            tooltip=tooltip,
        ).properties(height=260)
    raise ValueError(f"{insight.insight_id}: no chart for kind {insight.chart!r}")


def _time_axis(when: Field, rows: list[dict], tick_count: int) -> alt.X:
    """A UTC time axis (the run history's clock, whatever the reader's time zone), labelled in 24-hour
    time, dated at midnight and on the first tick (Vega's own labels are 12-hour, undated)."""
    instants = {row[when.query_column] for row in rows if row[when.query_column] is not None}
    domain = alt.Undefined
    if len(instants) == 1:
        # One instant is no range: Vega would tick its milliseconds. An hour around it ticks minutes.
        (only,) = instants
        middle = round(dt.datetime.fromisoformat(only.replace("Z", "+00:00")).timestamp() * 1000)
        domain = [middle - SINGLE_INSTANT_PAD_MS, middle + SINGLE_INSTANT_PAD_MS]
    return alt.X(when.query_column, type="temporal", title=f"{when.label} (UTC)",
                 scale=alt.Scale(type="utc", domain=domain),
                 axis=alt.Axis(labelExpr=TIME_LABEL_EXPRESSION, tickCount=tick_count, labelOverlap=True,
                               labelAngle=0, labelFlush=False))


def _named(layer: alt.Chart, name: str) -> alt.Chart:
    """The layer's marks under one legend entry: a constant field, as Vega-Lite legends read fields."""
    return layer.transform_calculate(**{LEGEND_FIELD: json.dumps(name)})


def _time_lines(insight: Insight, result: QueryResult) -> alt.TopLevelMixin:
    """Lines over time, points always drawn (one run is one dot per line, not an empty frame).

    `series`: one colour per value, with a legend. Otherwise one colour per measure, named in the
    legend, the second one dashed. `small_multiples`: one panel per value, each with its own y scale.
    """
    rows = records(result)
    # Rates and thresholds are small fractions: significant digits, not one decimal, say what they are.
    tooltip = _tooltip(result, insight, float_format=",.6~r")
    (when,) = insight.dimensions
    x = _time_axis(when, rows, tick_count=4 if insight.small_multiples else 8)
    legend = alt.Legend(orient="top", title=None)
    labels = [m.label for m in insight.measures]
    # On one axis the second measure is a threshold: grey, behind the value it bounds.
    colours = [ACCENT, THRESHOLD_GREY if insight.one_axis else SECOND][:len(labels)]
    failed = (PASSED_COLUMN in result.columns and insight.series is None
              and any(row[PASSED_COLUMN] is False for row in rows))
    if failed:
        labels, colours = labels + [FAILED_LABEL], colours + [FAILED_RED]
    measure_colours = alt.Scale(domain=labels, range=colours)
    shared_axis = insight.one_axis or len(insight.measures) == 1
    layers = []
    for index, measure in enumerate(insight.measures):
        dashed = index > 0
        y = alt.Y(measure.query_column, type="quantitative",
                  title=None if insight.one_axis and len(insight.measures) > 1 else measure.label,
                  axis=alt.Axis(orient="left" if shared_axis or index == 0 else "right"))
        layer = alt.Chart()
        if insight.series is not None:
            colour = alt.Color(insight.series.query_column, type="nominal", title=insight.series.label,
                               legend=alt.Legend(orient="top"))
        else:
            layer = _named(layer, measure.label)
            colour = alt.Color(LEGEND_FIELD, type="nominal", scale=measure_colours, legend=legend)
        layers.append(layer.mark_line(
            point=alt.OverlayMarkDef(filled=not dashed, size=30 if dashed else 45),
            strokeDash=[5, 4] if dashed else alt.Undefined, strokeWidth=1.5 if dashed else 2,
        ).encode(x=x, y=y, color=colour, tooltip=tooltip))
    if failed:
        # The first measure's value in the runs where the gate failed, in red over its point.
        first = insight.measures[0]
        # Every row, the passed ones transparent: a filter would leave some panels with no data at all, and
        # Vega warns of their empty extent.
        layers.append(_named(alt.Chart(), FAILED_LABEL).mark_point(filled=True, size=110).encode(
            x=x, y=alt.Y(first.query_column, type="quantitative"),
            color=alt.Color(LEGEND_FIELD, type="nominal", scale=measure_colours, legend=legend),
            opacity=alt.condition(f"datum.{PASSED_COLUMN} === false", alt.value(1), alt.value(0)),
            tooltip=tooltip))
    lines = alt.layer(*layers, data=alt.Data(values=rows))
    if not shared_axis:
        lines = lines.resolve_scale(y="independent")
    if insight.small_multiples is None:
        return lines.properties(height=260, width="container",
                                autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    panel = insight.small_multiples
    return lines.properties(width=PANEL_WIDTH, height=PANEL_HEIGHT).facet(
        facet=alt.Facet(panel.query_column, type="nominal", title=None,
                        header=alt.Header(labelFontSize=13, labelFontWeight="bold", labelAnchor="start")),
        columns=PANEL_COLUMNS,
    ).resolve_scale(y="independent").resolve_axis(x="independent")
