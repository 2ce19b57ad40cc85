"""The offline twin of the QuickSight dashboard: one self-contained, interactive
HTML page drawn from the named queries' results.

Every chart is the insight of `view/insights.py` with the same id, drawn with
Altair (Vega-Lite). The Vega, Vega-Lite and vega-embed JavaScript comes from
vl-convert's bundle and is inlined, so the page opens offline: no CDN, no
fonts, no requests. The results may come from DuckDB (`make demo`) or Athena
(the cloud command line); a result without an insight still gets its table.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
from decimal import Decimal

import altair as alt
import vl_convert

from sql.queries import QueryResult
from view.insights import BAR, FILTER_CONTROLS, HISTOGRAM, INSIGHTS, KPI, LINE, PIE, SCATTER, TABLE, Insight
from view.tables import format_value

ACCENT = "#1db954"
SECOND = "#535bf2"
# Vega-Lite as Altair writes it (v6.4.x): the bundle must speak the same version.
VEGA_LITE_VERSION = ".".join(alt.SCHEMA_VERSION.lstrip("v").split(".")[:2])


@functools.lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """vega-embed, Vega-Lite and Vega as one script that sets window.vegaEmbed (≈ 0.9 MB)."""
    return vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)


def _json_value(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


# The bar chart's category axis: the row's label, numbered when a label repeats.
BAR_LABEL = "_bar_label"


def records(result: QueryResult) -> list[dict]:
    return [{c: _json_value(v) for c, v in zip(result.columns, row)} for row in result.rows]


def _tooltip(result: QueryResult, insight: Insight) -> list[alt.Tooltip]:
    """Every column of the query's row, under the insight's labels where it has one."""
    labels = {f.query_column: f.label for f in insight.fields}
    tooltips = []
    for index, column in enumerate(result.columns):
        sample = next((row[index] for row in result.rows if row[index] is not None), None)
        title = labels.get(column, column.replace("_", " "))
        if isinstance(sample, (int, float, Decimal)) and not isinstance(sample, bool):
            number_format = ",d" if isinstance(sample, int) else ",.1f"
            tooltips.append(alt.Tooltip(column, type="quantitative", title=title, format=number_format))
        else:
            tooltips.append(alt.Tooltip(column, type="nominal", title=title))
    return tooltips


def chart(insight: Insight, result: QueryResult) -> alt.TopLevelMixin:
    """The insight's chart over the query's rows, as wide as its section (KPIs and tables are HTML)."""
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


def _text(value) -> str:
    return html.escape(format_value(value) if value is not None else "(none)")


def data_table(result: QueryResult, *, open_: bool = False) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in result.columns)
    body = "".join("<tr>" + "".join(f"<td>{_text(v)}</td>" for v in row) + "</tr>" for row in result.rows)
    table = f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'
    if open_:
        return table
    return f"<details><summary>{len(result.rows)} rows</summary>{table}</details>"


def _kpis(results: dict[str, QueryResult], summary: dict | None) -> str:
    figures = []
    for insight in (i for i in INSIGHTS if i.chart == KPI):
        result = results.get(insight.query_id)
        if result and result.rows:
            (field,) = insight.measures
            value = result.rows[0][result.columns.index(field.query_column)]
            figures.append((insight.insight_id, insight.title, value))
    if summary:
        figures += [
            ("input_rows", "input rows", summary["input_rows"]),
            ("tracks_published", "tracks published", summary["output_rows"]),
            ("quarantined", "quarantined", summary["quarantined_rows"]),
            ("duplicates_removed", "duplicates removed", summary["duplicate_rows_removed"]),
            ("orphan_artist_rate", "orphan artist rate", f"{summary['orphans']['artist_rate']:.2%}"),
            ("orphan_track_rate", "orphan track rate", f"{summary['orphans']['track_rate']:.2%}"),
        ]
    cards = "".join(
        f'<div class="kpi" id="{html.escape(kpi_id)}"><b>{_text(value)}</b><span>{html.escape(title)}</span></div>'
        for kpi_id, title, value in figures
    )
    return f'<div class="kpis">{cards}</div>' if cards else ""


def _section(insight_id: str, width: str, title: str, description: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">In QuickSight: {html.escape(note)}</p>' if note else ""
    return (f'<section id="{html.escape(insight_id)}" class="{width}"><h2>{html.escape(title)}</h2>'
            f"<p>{html.escape(description)}</p>{body}{note_html}</section>")


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:20px;background:#f6f6f6;color:#191414}
h1{margin:0 0 4px;font-size:24px}.sub{color:#555;margin:0 0 16px;font-size:14px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-bottom:16px}
.kpi{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:10px 14px}
.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#555}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
.grid section.full{grid-column:1/-1}
@media (max-width:900px){.grid{grid-template-columns:minmax(0,1fr)}}
section{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:14px;min-width:0}
section h2{font-size:17px;margin:0 0 2px}section p{margin:0 0 10px;color:#555;font-size:13px}
section p.note{margin:8px 0 0;font-size:12px;color:#777}
.chart{width:100%}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:12px;margin-top:6px;width:100%}
td,th{border-bottom:1px solid #eee;padding:3px 8px;text-align:left;white-space:nowrap}
"""

# Draws every chart; marks each container as rendered (the browser check waits for it) or logs the error.
EMBED = """
for (const [id, spec] of Object.entries(JSON.parse(document.getElementById("chart-specs").textContent))) {
  const target = document.getElementById("chart-" + id);
  vegaEmbed(target, spec, {actions: false, renderer: "svg"})
    .then(() => { target.dataset.rendered = "true"; })
    .catch((error) => { target.dataset.rendered = "error"; console.error(id + ": " + error); });
}
"""


def render(results: list[QueryResult], summary: dict | None) -> str:
    by_query = {r.query.query_id: r for r in results}
    sections, specs, drawn = [], {}, set()
    for insight in INSIGHTS:
        result = by_query.get(insight.query_id)
        if insight.chart == KPI or result is None:
            continue
        drawn.add(insight.query_id)
        if insight.chart == TABLE:
            body = data_table(result, open_=True)
        elif not result.rows:
            body = '<p class="empty">No rows.</p>'
        else:
            specs[insight.insight_id] = chart(insight, result).to_dict()
            body = f'<div class="chart" id="chart-{html.escape(insight.insight_id)}"></div>{data_table(result)}'
        sections.append(_section(insight.insight_id, insight.width, insight.title, insight.description, body,
                                 insight.differs))
    for result in results:
        if result.query.query_id not in drawn and result.query.query_id not in {i.query_id for i in INSIGHTS}:
            sections.append(_section(result.query.query_id, "full", result.query.title, result.query.description,
                                     data_table(result, open_=True)))
    accounting = html.escape(summary["accounting"]) if summary else ""
    filters = ", ".join(title.lower() for _, title, _ in FILTER_CONTROLS)
    # "</" cannot end the script early inside a JSON string.
    spec_json = json.dumps(specs, separators=(",", ":")).replace("</", "<\\/")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Spotify pipeline dashboard</title>"
        f"<style>{STYLE}</style><script>{javascript_bundle()}</script></head><body>"
        "<h1>Spotify 2023 — pipeline dashboard</h1>"
        '<p class="sub">The offline twin of the QuickSight dashboard: the same insights, drawn from the Athena '
        f"named queries' results (QuickSight adds filters: {html.escape(filters)}). {accounting}</p>"
        f'{_kpis(by_query, summary)}<div class="grid">{"".join(sections)}</div>'
        f'<script type="application/json" id="chart-specs">{spec_json}</script>'
        f"<script>{EMBED}</script></body></html>\n"
    )


def write_dashboard(path: str, results: list[QueryResult], summary: dict | None) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render(results, summary))
