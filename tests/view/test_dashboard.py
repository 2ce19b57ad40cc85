"""The offline dashboard: drawn from view/insights.py and the named queries' results, checked
against those results and in headless Chromium (every chart renders, no console errors, no
network requests, tooltips say what a mark is)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile

import pytest
import sqlglot

from local_pipeline import athena
from sql.queries import NamedQuery, QueryResult, load_named_queries
from tests.view.support import chart_specs, history_results
from view import charts, dashboard_html
from view.charts import BAR_LABEL, records
from view.dashboard_html import write_dashboard
from view.insights import INSIGHTS, KPI, TABLE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
CHARTED = [i for i in INSIGHTS if i.chart not in (KPI, TABLE)]


@pytest.fixture(scope="module")
def query_results(demo_run):
    return athena.run_named_queries(os.path.join(demo_run["output"], "catalog.duckdb"))


@pytest.fixture(scope="module")
def page(demo_run):
    with open(os.path.join(demo_run["output"], "dashboard.html"), encoding="utf-8") as handle:
        return handle.read()


def test_every_insight_names_a_query_and_its_result_columns():
    queries = {q.query_id: q for q in load_named_queries()}
    ids = [i.insight_id for i in INSIGHTS]
    assert len(ids) == len(set(ids))
    for insight in INSIGHTS:
        assert insight.query_id in queries, insight.insight_id
        selected = sqlglot.parse_one(queries[insight.query_id].text, read="trino").named_selects
        for field in insight.fields:
            assert field.query_column in selected, (insight.insight_id, field.query_column, selected)
        if insight.sort_field:
            assert insight.sort_field in {f.field_id for f in insight.fields}, insight.insight_id


@pytest.mark.parametrize("insight", CHARTED, ids=lambda i: i.insight_id)
def test_each_chart_draws_exactly_its_query_result(page, query_results, insight):
    """The chart's data are the named query's rows, and its encodings read the insight's columns."""
    result = next(r for r in query_results if r.query.query_id == insight.query_id)
    spec = chart_specs(page)[insight.insight_id]
    values = spec["data"]["values"]
    assert [{k: v for k, v in row.items() if k != BAR_LABEL} for row in values] == json.loads(
        json.dumps(records(result)))
    assert len(result.rows) > 0
    encodings = list(_encodings(spec))
    encoded = json.dumps(encodings) + json.dumps(spec.get("facet", {}))
    for field in insight.fields:
        assert f'"field": "{field.query_column}"' in encoded, (insight.insight_id, field.query_column)
    tooltip_fields = re.findall(r'"field": "([^"]+)"', json.dumps([e.get("tooltip") for e in encodings]))
    assert set(result.columns) - {insight.dimensions[0].query_column} <= set(tooltip_fields), insight.insight_id


def _encodings(spec: dict):
    """The encoding of every view of a spec: single, layered, or faceted (a layer inside `spec`)."""
    if "encoding" in spec:
        yield spec["encoding"]
    for layer in spec.get("layer", []):
        yield from _encodings(layer)
    if "spec" in spec:
        yield from _encodings(spec["spec"])


def test_rows_sharing_a_name_get_a_bar_each():
    """Two artists of one name are two rows of the query; stacked on one band they would read as one
    artist with the sum of both averages (seen on the sample: 57.2 + 49.5 drawn as 106.7)."""
    top = next(i for i in INSIGHTS if i.insight_id == "top_artists_by_track_popularity")
    query = next(q for q in load_named_queries() if q.query_id == top.query_id)
    result = QueryResult(query, ["artist_name", "rated_tracks", "avg_track_popularity", "max_track_popularity"],
                         [("Wild Cartel", 21, 57.2, 83), ("Neon", 4, 50.0, 60), ("Wild Cartel", 6, 49.5, 64)])
    spec = charts.chart(top, result).to_dict()
    assert [row[BAR_LABEL] for row in spec["data"]["values"]] == ["Wild Cartel", "Neon", "Wild Cartel (2)"]
    assert spec["encoding"]["y"]["field"] == BAR_LABEL


def test_kpis_and_table_show_the_query_values_and_the_run_summary(page, query_results, demo_run):
    kpis = next(r for r in query_results if r.query.query_id == "dashboard_kpis")
    tracks, artists, albums, popularity = kpis.rows[0]
    assert tracks == len(demo_run["expected_rows"])
    assert f'<div class="kpi" id="kpi_tracks"><b>{tracks}</b><span>Tracks</span>' in page
    assert f'<div class="kpi" id="kpi_artists"><b>{artists}</b><span>Artists</span>' in page
    assert f'<div class="kpi" id="kpi_albums"><b>{albums}</b><span>Albums</span>' in page
    assert f'<div class="kpi" id="kpi_avg_track_popularity"><b>{popularity:,.2f}</b>' in page
    assert f"<b>{tracks}</b><span>tracks published</span>" in page
    songs = next(r for r in query_results if r.query.query_id == "most_popular_songs")
    section = page[page.index('<section id="most_popular_songs"'):]
    section = section[:section.index("</section>")]
    assert section.count("<tr>") == len(songs.rows) + 1
    assert f"<td>{songs.rows[0][0]}</td>" in section


def test_page_loads_nothing_from_outside(page):
    assert "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "vegaEmbed" in page and len(page) < 1_500_000


def test_results_fetched_elsewhere_render_too(tmp_path):
    """The cloud command line passes Athena's results: any subset, any extra query."""
    query = NamedQuery("my_new_query", "My new query", "A query no insight declares yet.", "SELECT 1")
    songs = NamedQuery("most_popular_songs", "Most popular songs", "The top tracks.", "SELECT 1")
    results = [
        QueryResult(query, ["artist_name", "collaborations"], [("A <b>", 3)]),
        QueryResult(songs, ["track_name", "artist_name", "album_name", "track_popularity", "release_date"],
                    [("Song", "A", "B", 91, dt.date(2020, 1, 2))]),
    ]
    path = tmp_path / "dashboard.html"
    write_dashboard(str(path), results, None)
    text = path.read_text(encoding="utf-8")
    assert '<section id="my_new_query" class="full">' in text and "<td>A &lt;b&gt;</td>" in text
    assert "<td>2020-01-02</td>" in text and chart_specs(text) == {}
    assert '<div class="kpis">' not in text


def test_the_javascript_bundle_matches_altairs_vega_lite():
    assert charts.VEGA_LITE_VERSION.startswith("6.")
    assert "window.vegaEmbed" in dashboard_html.javascript_bundle()


HEALTH_CHARTS = ["chart-quarantine_rate_by_file", "chart-gate_values"]
# The reader's clock is not UTC: the time axes and tooltips must still say the runs' UTC times.
READER_TIME_ZONE = "America/New_York"
CHARTS_RENDERED = ("document.querySelectorAll('.chart[data-rendered]').length"
                   " === document.querySelectorAll('.chart').length")
CHART_STATES = """elements => elements.map(e => ({
    id: e.id, state: e.dataset.rendered, width: e.getBoundingClientRect().width,
    marks: e.querySelectorAll('svg .role-mark > *').length}))"""
TIME_AXIS_LABELS = "elements => elements.map(e => e.textContent)"


def _rendered_charts(tab, path: str) -> list[dict]:
    tab.goto(f"file://{path}")
    tab.wait_for_function(CHARTS_RENDERED, timeout=30_000)
    return tab.eval_on_selector_all(".chart", CHART_STATES)


def _hover_tooltip(tab, selector: str) -> str:
    tab.hover(selector)
    tab.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
    return tab.inner_text("#vg-tooltip-element")


def test_in_headless_chromium_every_chart_renders_offline_with_tooltips(page, query_results, demo_run, tmp_path):
    """The demo's page, then hand-made run histories: one run (a dot per line, not an empty frame) and
    three with a failed gate."""
    from playwright.sync_api import sync_playwright

    assert os.path.exists(CHROMIUM), "make test installs Chromium (apt-get) when none is on PATH"
    path = os.path.join(demo_run["output"], "dashboard.html")
    one_run, several_runs = str(tmp_path / "one_run.html"), str(tmp_path / "several_runs.html")
    write_dashboard(one_run, history_results(["succeeded"]), None)
    write_dashboard(several_runs, history_results(["succeeded", "succeeded", "gate_failed"]), None)
    console, requests, page_errors = [], [], []
    with sync_playwright() as playwright, tempfile.TemporaryDirectory() as profile:
        browser = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1366, "height": 900}, timezone_id=READER_TIME_ZONE,
        )
        try:
            tab = browser.new_page()
            tab.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
            tab.on("pageerror", lambda error: page_errors.append(str(error)))
            tab.on("request", lambda request: requests.append(request.url))
            charts = _rendered_charts(tab, path)
            scatter = next(r for r in query_results if r.query.query_id == "artist_followers_vs_popularity")
            tooltip = _hover_tooltip(tab, "#chart-artist_followers_vs_popularity svg .mark-symbol path >> nth=0")
            grid_columns = tab.eval_on_selector(
                ".grid", "e => getComputedStyle(e).gridTemplateColumns.split(' ').length")
            one_run_charts = _rendered_charts(tab, one_run)
            one_run_labels = tab.eval_on_selector_all(
                "#chart-quarantine_rate_by_file svg [aria-label^='X-axis'] .role-axis-label text", TIME_AXIS_LABELS)
            gate_tooltip = _hover_tooltip(tab, "#chart-gate_values svg .mark-symbol path >> nth=0")
            several_runs_charts = _rendered_charts(tab, several_runs)
            several_runs_labels = tab.eval_on_selector_all(
                "#chart-quarantine_rate_by_file svg [aria-label^='X-axis'] .role-axis-label text", TIME_AXIS_LABELS)
        finally:
            browser.close()
    assert [c["id"] for c in charts] == [f"chart-{i.insight_id}" for i in CHARTED]
    assert [c["id"] for c in one_run_charts] == [c["id"] for c in several_runs_charts] == HEALTH_CHARTS
    for chart in charts + one_run_charts + several_runs_charts:
        assert chart["state"] == "true", chart
        assert chart["marks"] > 0, chart
        assert 300 < chart["width"] < 1366, chart
    assert console == [] and page_errors == []
    assert requests == [f"file://{path}", f"file://{one_run}", f"file://{several_runs}"]
    first_artist = scatter.rows[0][scatter.columns.index("artist_name")]
    assert first_artist in tooltip and "Followers" in tooltip, tooltip
    assert grid_columns == 2  # two charts side by side at laptop width
    # One run at 06:00:05 UTC: 24-hour UTC minutes around it, the first one dated (01:00 would be New York's).
    assert one_run_labels[0].endswith("2026-03-01") and "06:00" in one_run_labels, one_run_labels
    assert all(re.fullmatch(r"\d\d:\d\d(2026-03-01)?", label) for label in one_run_labels), one_run_labels
    assert "Run started (UTC)" in gate_tooltip and "2026-03-01 06:00:05" in gate_tooltip, gate_tooltip
    assert several_runs_labels[0].endswith("2026-03-01") and "07:00" in several_runs_labels, several_runs_labels


def test_new_queries_on_a_hand_made_table_match_the_oracle():
    """Edge cases the generated data lacks: explicit flags, popularity 0 and 100, null labels."""
    import duckdb

    from tests.local_pipeline.support import oracle

    rows = [
        {"track_id": f"t{i}", "artist_id": f"a{i % 3}", "artist_name": f"Artist {i % 3}", "album_id": f"b{i % 4}",
         "label": [None, "Sub Pop", "XL"][i % 3], "explicit": [True, False, None, True][i % 4],
         "track_popularity": [0, 9, 10, 100, None, 55][i % 6], "followers": [None, 10, 2000][i % 3],
         "artist_popularity": [None, 50, 70][i % 3]}
        for i in range(12)
    ]
    columns = list(rows[0])
    with duckdb.connect() as connection:
        connection.execute("CREATE TABLE tracks (track_id VARCHAR, artist_id VARCHAR, artist_name VARCHAR, "
                           "album_id VARCHAR, label VARCHAR, explicit BOOLEAN, track_popularity INTEGER, "
                           "followers BIGINT, artist_popularity INTEGER)")
        connection.executemany(f"INSERT INTO tracks VALUES ({', '.join('?' * len(columns))})",
                               [tuple(r[c] for c in columns) for r in rows])
        queries = {q.query_id: q for q in load_named_queries()}
        for query_id in ("explicit_share", "track_popularity_distribution", "top_labels_by_track_count",
                         "top_artists_by_followers", "dashboard_kpis"):
            _, got = athena.run_sql(connection, queries[query_id].text)
            assert got == oracle.EXPECTED[query_id](rows), query_id
    assert oracle.explicit_share(rows) == [("explicit", 6, 50.0), ("clean", 3, 25.0), ("unknown", 3, 25.0)]
    assert oracle.track_popularity_distribution(rows) == [(0, 4), (10, 2), (50, 2), (100, 2)]
