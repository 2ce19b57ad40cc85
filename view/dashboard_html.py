"""Stage 5 (QuickSight stand-in): one self-contained HTML file with a chart per
named query and the run summary. Charts are inline SVG drawn here, so the
page opens offline: no scripts, fonts or styles from a CDN."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

from sql.queries import QueryResult
from view.tables import format_value

WIDTH = 640
ACCENT = "#1db954"


@dataclass(frozen=True)
class Bar:
    label: str
    value: str


@dataclass(frozen=True)
class Line:
    x: str
    y: str


@dataclass(frozen=True)
class Scatter:
    x: str
    y: str
    label: str
    log_x: bool = True


CHARTS = {
    "top_artists_by_track_popularity": Bar(label="artist_name", value="avg_track_popularity"),
    "release_trends_by_year": Line(x="release_year", y="tracks"),
    "genre_analysis": Bar(label="genre", value="tracks"),
    "albums_with_most_tracks": Bar(label="album_name", value="tracks"),
    "artist_followers_vs_popularity": Scatter(x="followers", y="artist_popularity", label="artist_name"),
    "most_popular_songs": Bar(label="track_name", value="track_popularity"),
}


def _text(value) -> str:
    return html.escape(format_value(value) if value is not None else "(none)")


def _column(result: QueryResult, name: str) -> list:
    index = result.columns.index(name)
    return [row[index] for row in result.rows]


def bar_chart(result: QueryResult, spec: Bar) -> str:
    labels, values = _column(result, spec.label), [v or 0 for v in _column(result, spec.value)]
    top = max([float(v) for v in values] + [1.0])
    row_height, label_width = 22, 220
    height = row_height * len(values) + 30
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">']
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 10 + i * row_height
        width = (WIDTH - label_width - 70) * float(value) / top
        name = _text(label)
        short = name if len(str(label or "")) <= 30 else html.escape(str(label)[:29]) + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end">{short}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row_height - 6}" fill="{ACCENT}">'
            f"<title>{name}: {_text(value)}</title></rect>"
            f'<text x="{label_width + width + 5:.1f}" y="{y + 15}">{_text(value)}</text>'
        )
    parts.append(f'<text x="{label_width}" y="{height - 4}" class="axis">{html.escape(spec.value)}</text></svg>')
    return "".join(parts)


def line_chart(result: QueryResult, spec: Line) -> str:
    points = [(x, y) for x, y in zip(_column(result, spec.x), _column(result, spec.y)) if x is not None and y is not None]
    height, left, bottom = 260, 50, 30
    if not points:
        return '<svg class="chart" role="img" viewBox="0 0 10 10"><text x="0" y="8">no data</text></svg>'
    xs, ys = [float(x) for x, _ in points], [float(y) for _, y in points]
    x_low, x_high = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y_high = max(ys) or 1.0

    def position(x, y):
        return (left + (WIDTH - left - 20) * (x - x_low) / (x_high - x_low),
                height - bottom - (height - bottom - 10) * y / y_high)

    coordinates = " ".join(f"{px:.1f},{py:.1f}" for px, py in (position(x, y) for x, y in zip(xs, ys)))
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - 10}" y2="{height - bottom}" class="grid"/>',
             f'<polyline points="{coordinates}" fill="none" stroke="{ACCENT}" stroke-width="2"/>']
    for x, y in zip(xs, ys):
        px, py = position(x, y)
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{ACCENT}"><title>{int(x)}: {int(y)}</title></circle>')
    for x in (x_low, (x_low + x_high) / 2, x_high):
        px, _ = position(x, 0)
        parts.append(f'<text x="{px:.1f}" y="{height - 10}" text-anchor="middle">{int(round(x))}</text>')
    parts.append(f'<text x="{left - 6}" y="16" text-anchor="end">{int(y_high)}</text>')
    parts.append(f'<text x="{WIDTH - 10}" y="{height - bottom - 6}" text-anchor="end" class="axis">'
                 f"{html.escape(spec.y)} per {html.escape(spec.x)}</text></svg>")
    return "".join(parts)


def scatter_chart(result: QueryResult, spec: Scatter) -> str:
    rows = [(x, y, label) for x, y, label in zip(_column(result, spec.x), _column(result, spec.y),
                                                 _column(result, spec.label)) if x is not None and y is not None]
    height, left, bottom = 300, 50, 30
    if not rows:
        return '<svg class="chart" role="img" viewBox="0 0 10 10"><text x="0" y="8">no data</text></svg>'

    def scale_x(value):
        return math.log10(max(float(value), 1.0)) if spec.log_x else float(value)

    xs = [scale_x(x) for x, _, _ in rows]
    x_low, x_high = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{WIDTH - 10}" y2="{height - bottom}" class="grid"/>',
             f'<line x1="{left}" y1="10" x2="{left}" y2="{height - bottom}" class="grid"/>']
    for (x, y, label), sx in zip(rows, xs):
        px = left + (WIDTH - left - 20) * (sx - x_low) / (x_high - x_low)
        py = height - bottom - (height - bottom - 10) * float(y) / 100
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{ACCENT}" fill-opacity="0.7">'
                     f"<title>{_text(label)}: {_text(x)} followers, popularity {_text(y)}</title></circle>")
    parts.append(f'<text x="{left}" y="{height - 10}">{_text(round(10 ** x_low) if spec.log_x else x_low)}</text>')
    parts.append(f'<text x="{WIDTH - 10}" y="{height - 10}" text-anchor="end">'
                 f"{_text(round(10 ** x_high) if spec.log_x else x_high)} {html.escape(spec.x)}"
                 f"{' (log scale)' if spec.log_x else ''}</text>")
    parts.append(f'<text x="{left - 6}" y="16" text-anchor="end">100</text>'
                 f'<text x="{left + 6}" y="22" class="axis">{html.escape(spec.y)}</text></svg>')
    return "".join(parts)


def chart_for(result: QueryResult) -> str:
    spec = CHARTS.get(result.query.query_id)
    if isinstance(spec, Line):
        return line_chart(result, spec)
    if isinstance(spec, Scatter):
        return scatter_chart(result, spec)
    if isinstance(spec, Bar):
        return bar_chart(result, spec)
    # A query added without a chart spec: bar chart of its first two columns.
    return bar_chart(result, Bar(label=result.columns[0], value=result.columns[-1]))


def data_table(result: QueryResult) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in result.columns)
    body = "".join("<tr>" + "".join(f"<td>{_text(v)}</td>" for v in row) + "</tr>" for row in result.rows)
    return f"<details><summary>{len(result.rows)} rows</summary><table><tr>{head}</tr>{body}</table></details>"


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;background:#fafafa;color:#191414}
h1{margin:0 0 4px}.sub{color:#555;margin:0 0 20px}
.grid-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(680px,1fr));gap:18px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:14px}
section h2{font-size:17px;margin:0 0 2px}section p{margin:0 0 10px;color:#555;font-size:13px}
svg text{font-size:11px;fill:#191414}svg .axis{fill:#777}svg .grid{stroke:#ccc}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:18px}
.kpi{background:#fff;border:1px solid #e3e3e3;border-radius:8px;padding:10px 14px;min-width:120px}
.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:12px;margin-top:6px}td,th{border-bottom:1px solid #eee;padding:2px 8px;text-align:left}
"""


def render(results: list[QueryResult], summary: dict | None) -> str:
    kpis = ""
    if summary:
        figures = [
            ("input rows", summary["input_rows"]), ("tracks published", summary["output_rows"]),
            ("quarantined", summary["quarantined_rows"]), ("duplicates removed", summary["duplicate_rows_removed"]),
            ("orphan artist rate", f"{summary['orphans']['artist_rate']:.2%}"),
            ("orphan track rate", f"{summary['orphans']['track_rate']:.2%}"),
        ]
        kpis = '<div class="kpis">' + "".join(
            f'<div class="kpi"><b>{_text(v)}</b><span>{html.escape(k)}</span></div>' for k, v in figures
        ) + "</div>"
    sections = "".join(
        f'<section id="{html.escape(r.query.query_id)}"><h2>{html.escape(r.query.title)}</h2>'
        f"<p>{html.escape(r.query.description)}</p>{chart_for(r)}{data_table(r)}</section>"
        for r in results
    )
    accounting = html.escape(summary["accounting"]) if summary else ""
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>Spotify pipeline dashboard (local)</title>"
        f"<style>{STYLE}</style></head><body><h1>Spotify 2023 — pipeline dashboard</h1>"
        f'<p class="sub">Local stand-in for the QuickSight dashboard: the Athena named queries run on the local catalog. '
        f"{accounting}</p>{kpis}<div class=\"grid-cards\">{sections}</div></body></html>\n"
    )


def write_dashboard(path: str, results: list[QueryResult], summary: dict | None) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(render(results, summary))
