"""The offline twin of the QuickSight dashboard: one self-contained, interactive
HTML page drawn from the named queries' results.

One section per sheet of `view/insights.py` (its KPIs, then its grid); every
chart is the insight with the same id, drawn with Altair (Vega-Lite) by
`view/charts.py`. The Vega, Vega-Lite and vega-embed JavaScript comes from
vl-convert's bundle and is inlined, so the page opens offline: no CDN, no
fonts, no requests. The results may come from DuckDB (`make demo`) or Athena
(the cloud command line); a result without an insight still gets its table,
and a sheet none of whose queries ran (no run history yet) is left out.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json

import vl_convert

from etl.history import RUN_STATUSES, SUCCEEDED
from sql.queries import QueryResult
from view.charts import VEGA_LITE_VERSION, chart, is_faceted
from view.insights import FILTER_CONTROLS, INSIGHTS, KPI, OVERVIEW, SHEETS, TABLE, Insight, Sheet
from view.tables import format_value

RUN_SUMMARY_SHEET = OVERVIEW.sheet_id  # the run summary counts the tracks the run published
OTHER_QUERIES_ID = "other-queries"
# A data table shows at most this many rows (a year of hourly runs is thousands of gate rows); the page
# says how many there are. Longer cells are cut, their whole text in the cell's tooltip.
TABLE_ROW_CAP = 200
CELL_TEXT_LIMIT = 160
# A run's status (etl/history.py) gets its colour from a class named after it, in KPIs and tables.
STATUS_COLUMN = "status"


@functools.lru_cache(maxsize=1)
def javascript_bundle() -> str:
    """vega-embed, Vega-Lite and Vega as one script that sets window.vegaEmbed (≈ 0.9 MB)."""
    return vl_convert.javascript_bundle(vl_version=VEGA_LITE_VERSION)


def _text(value) -> str:
    return html.escape(format_value(value) if value is not None else "(none)")


def _status_class(value) -> str:
    return f"status-{value}" if isinstance(value, str) and value in RUN_STATUSES else ""


def _cell(column: str, value) -> str:
    text = format_value(value) if value is not None else "(none)"
    status = _status_class(value) if column == STATUS_COLUMN else ""
    attributes = f' class="{status}"' if status else ""
    if len(text) > CELL_TEXT_LIMIT:
        attributes += f' title="{html.escape(text)}"'
        text = text[:CELL_TEXT_LIMIT - 1] + "…"
    return f"<td{attributes}>{html.escape(text)}</td>"


def row_count(shown: int, total: int) -> str:
    """How many rows a table holds, or which of them it shows: "3 rows", "first 200 of 4,512 rows"."""
    noun = "row" if total == 1 else "rows"
    return f"{total:,} {noun}" if shown == total else f"first {shown:,} of {total:,} {noun}"


def data_table(result: QueryResult, *, open_: bool = False, limit: int | None = None) -> str:
    """The result's rows as a table: the first `limit` (an insight's), at most TABLE_ROW_CAP."""
    shown = result.rows[:min(limit or TABLE_ROW_CAP, TABLE_ROW_CAP)]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in result.columns)
    body = "".join("<tr>" + "".join(_cell(c, v) for c, v in zip(result.columns, row)) + "</tr>" for row in shown)
    table = f'<div class="scroll"><table><tr>{head}</tr>{body}</table></div>'
    said = html.escape(row_count(len(shown), len(result.rows)))
    if open_:
        return table + (f'<p class="rows">{said}</p>' if len(shown) < len(result.rows) else "")
    return f"<details><summary>{said}</summary>{table}</details>"


def _utc_label(value) -> str:
    if isinstance(value, dt.datetime):
        utc = value if value.tzinfo is None else value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    return format_value(value)


def _run_summary_figures(summary: dict) -> list[tuple[str, str, object]]:
    # A run that failed a gate published nothing (tracks/ keeps the previous run's), as its history record says;
    # a summary written before runs had a status is a succeeded run's.
    published = summary["output_rows"] if summary.get("status", SUCCEEDED) == SUCCEEDED else 0
    return [
        ("input_rows", "input rows", summary["input_rows"]),
        ("tracks_published", "tracks published", published),
        ("quarantined", "quarantined", summary["quarantined_rows"]),
        ("duplicates_removed", "duplicates removed", summary["duplicate_rows_removed"]),
        ("orphan_artist_rate", "orphan artist rate", f"{summary['orphans']['artist_rate']:.2%}"),
        ("orphan_track_rate", "orphan track rate", f"{summary['orphans']['track_rate']:.2%}"),
    ]


def _kpis(sheet: Sheet, results: dict[str, QueryResult], summary: dict | None) -> str:
    """The sheet's KPI strip: each KPI is its query's first row (for a `latest` one, the newest run)."""
    figures, empty_texts, newest = [], [], ""
    for insight in (i for i in INSIGHTS if i.chart == KPI and i.sheet == sheet.sheet_id):
        result = results.get(insight.query_id)
        if result is None:
            continue
        if not result.rows:
            if insight.empty_text not in empty_texts:
                empty_texts.append(insight.empty_text)
            continue
        (field,) = insight.measures
        first_row = dict(zip(result.columns, result.rows[0]))
        figures.append((insight.insight_id, insight.title, first_row[field.query_column]))
        if insight.latest and not newest:
            newest = (f"The newest run, {format_value(first_row[insight.latest.column])}, started "
                      f"{_utc_label(first_row[insight.latest.by])}.")
    if summary and sheet.sheet_id == RUN_SUMMARY_SHEET:
        figures += _run_summary_figures(summary)
    cards = "".join(
        f'<div class="{" ".join(filter(None, ("kpi", _status_class(value))))}" id="{html.escape(kpi_id)}">'
        f"<b>{_text(value)}</b><span>{html.escape(title)}</span></div>"
        for kpi_id, title, value in figures
    )
    return ((f'<div class="kpis">{cards}</div>' if cards else "")
            + (f'<p class="latest">{html.escape(newest)}</p>' if newest else "")
            + "".join(f'<p class="empty">{html.escape(text)}</p>' for text in empty_texts))


def _section(insight_id: str, width: str, title: str, description: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">In QuickSight: {html.escape(note)}</p>' if note else ""
    return (f'<section id="{html.escape(insight_id)}" class="{width}"><h3>{html.escape(title)}</h3>'
            f"<p>{html.escape(description)}</p>{body}{note_html}</section>")


def _insight_section(insight: Insight, result: QueryResult, specs: dict) -> str:
    """The insight drawn from its result: its chart (spec into `specs`) and rows, its table, or its empty text."""
    if not result.rows:
        body = f'<p class="empty">{html.escape(insight.empty_text)}</p>'
    elif insight.chart == TABLE:
        body = data_table(result, open_=True, limit=insight.limit)
    else:
        specs[insight.insight_id] = chart(insight, result).to_dict()
        # Small multiples have a fixed width: on a narrow screen they scroll rather than overflow.
        kind = "chart panels" if is_faceted(insight) else "chart"
        body = f'<div class="{kind}" id="chart-{html.escape(insight.insight_id)}"></div>{data_table(result)}'
    return _section(insight.insight_id, insight.width, insight.title, insight.description, body, insight.differs)


def _sheet(sheet_id: str, title: str, description: str, top: str, sections: list[str]) -> str:
    grid = f'<div class="grid">{"".join(sections)}</div>' if sections else ""
    return (f'<div class="sheet" id="sheet-{html.escape(sheet_id)}"><h2>{html.escape(title)}</h2>'
            f'<p class="sub">{html.escape(description)}</p>{top}{grid}</div>')


def _sheets(by_query: dict[str, QueryResult], summary: dict | None, specs: dict) -> list[tuple[str, str, str]]:
    """(id, name, HTML) of each sheet with something to show: a sheet whose queries are all missing
    (a warehouse without the run history) is left out."""
    drawn = []
    for sheet in SHEETS:
        sections = [_insight_section(i, by_query[i.query_id], specs) for i in INSIGHTS
                    if i.sheet == sheet.sheet_id and i.chart != KPI and i.query_id in by_query]
        kpis = _kpis(sheet, by_query, summary)
        if not kpis and not sections:
            continue
        filters = ", ".join(c.title.lower() for c in FILTER_CONTROLS if c.sheet == sheet.sheet_id)
        description = sheet.description + (f" QuickSight adds filters: {filters}." if filters else "")
        drawn.append((sheet.sheet_id, sheet.name, _sheet(sheet.sheet_id, sheet.title, description, kpis, sections)))
    declared = {i.query_id for i in INSIGHTS}
    others = [_section(r.query.query_id, "full", r.query.title, r.query.description, data_table(r, open_=True))
              for r in by_query.values() if r.query.query_id not in declared]
    if others:
        drawn.append((OTHER_QUERIES_ID, "Other queries", _sheet(
            OTHER_QUERIES_ID, "Other named queries", "Results no insight of view/insights.py draws: their rows.",
            "", others)))
    return drawn


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:20px;background:#f6f6f6;color:#191414}
h1{margin:0 0 4px;font-size:24px}.sub{color:#555;margin:0 0 16px;font-size:14px}
nav{margin:0 0 18px;font-size:14px}nav a{margin-right:14px;color:#0b6b2e}
.sheet{margin:0 0 32px}.sheet>h2{font-size:21px;margin:0 0 2px;padding-top:8px;border-top:3px solid #1db954}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px;margin-bottom:16px}
.kpi{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:10px 14px}
.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#555}
.kpi.status-succeeded{border-left:5px solid #1a7f37}.kpi.status-succeeded b,td.status-succeeded{color:#1a7f37}
.kpi.status-gate_failed{border-left:5px solid #d97706}.kpi.status-gate_failed b,td.status-gate_failed{color:#b45309}
.kpi.status-error{border-left:5px solid #c62828}.kpi.status-error b,td.status-error{color:#c62828}
td[class^=status-]{font-weight:600}
.sheet>p.latest{margin:-8px 0 16px;font-size:13px;color:#555}
.sheet>p.empty{background:#fff;border:1px dashed #ccc;border-radius:8px;padding:10px 14px;color:#555}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px}
.grid section.full{grid-column:1/-1}
@media (max-width:900px){.grid{grid-template-columns:minmax(0,1fr)}}
section{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:14px;min-width:0}
section h3{font-size:17px;margin:0 0 2px}section p{margin:0 0 10px;color:#555;font-size:13px}
section p.note{margin:8px 0 0;font-size:12px;color:#777}section p.rows{margin:6px 0 0;font-size:12px}
section p.empty{padding:18px 0;color:#777;font-style:italic}
.chart{width:100%}.chart.panels{overflow-x:auto}
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
    specs: dict = {}
    sheets = _sheets(by_query, summary, specs)
    links = "".join(f'<a href="#sheet-{html.escape(sheet_id)}">{html.escape(name)}</a>' for sheet_id, name, _ in sheets)
    nav = f"<nav>{links}</nav>" if len(sheets) > 1 else ""
    accounting = html.escape(summary["accounting"]) if summary else ""
    # "</" cannot end the script early inside a JSON string.
    spec_json = json.dumps(specs, separators=(",", ":")).replace("</", "<\\/")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Spotify pipeline dashboard</title>"
        f"<style>{STYLE}</style><script>{javascript_bundle()}</script></head><body>"
        "<h1>Spotify 2023 — pipeline dashboard</h1>"
        '<p class="sub">The offline twin of the QuickSight dashboard: the same insights, drawn from the Athena '
        f"named queries' results. {accounting}</p>"
        f'{nav}{"".join(html_text for _, _, html_text in sheets)}'
        f'<script type="application/json" id="chart-specs">{spec_json}</script>'
        f"<script>{EMBED}</script></body></html>\n"
    )


def write_dashboard(path: str, results: list[QueryResult], summary: dict | None) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render(results, summary))
