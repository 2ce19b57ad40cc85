"""The offline page's sections, the "Pipeline health" one above all, drawn from hand-made results of
the run-history queries (tests/view/support.py): one run, several runs with a failed gate,
no run at all, and histories longer than a table shows."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sql.queries import NamedQuery, QueryResult
from tests.view.support import FIRST_START, chart_specs, history_results, run_id
from view import charts
from view.charts import records
from view.dashboard_html import data_table, render
from view.health_insights import NO_RUNS
from view.insights import insight

HEALTH_CHARTS = ("quarantine_rate_by_file", "gate_values")
# 2026-03-01T06:00:05Z, the first hand-made run, in milliseconds since the epoch.
FIRST_START_MS = 1_772_344_805_000
HALF_HOUR_MS = 30 * 60 * 1000
RUN_SUMMARY = {"input_rows": 4442, "output_rows": 4389, "quarantined_rows": 36, "duplicate_rows_removed": 17,
               "accounting": "4442 input = 4389 output + 36 quarantined + 17 duplicates",
               "orphans": {"artist_rate": 0.0052, "track_rate": 0.0121}}


def page_of(statuses: list[str], summary: dict | None = None) -> str:
    return render(history_results(statuses), summary)


def element(page: str, start: str, end: str) -> str:
    """The page's text from `start` up to the first `end` after it."""
    text = page[page.index(start):]
    return text[:text.index(end) + len(end)]


def section(page: str, insight_id: str) -> str:
    return element(page, f'<section id="{insight_id}"', "</section>")


def health_sheet(page: str) -> str:
    return element(page, '<div class="sheet" id="sheet-health">', '<script type="application/json"')


def expected_files(index: int, status: str, iso: str) -> list[dict]:
    """The quarantine-rates rows of hand-made run `index` as the chart's JSON carries them."""
    keys = {"started_at": iso, "run_id": run_id(index), "status": status}
    return [
        {**keys, "role": "albums", "file": "staging/albums.csv", "input_rows": 4442, "quarantined_rows": 36,
         "quarantine_rate": 0.008104, "unparseable_values": 230, "unparseable_rate": 0.052404,
         "out_of_range_values": 0, "orphan_rows": None},
        {**keys, "role": "artists", "file": "staging/artists.csv", "input_rows": 371, "quarantined_rows": 1,
         "quarantine_rate": 0.002695, "unparseable_values": 5, "unparseable_rate": 0.013514,
         "out_of_range_values": 0, "orphan_rows": 23},
    ]


def expected_gate(index: int, iso: str, gate: str, passed: bool = True) -> dict:
    measured, threshold, message = {
        "max_quarantine_rate": (0.008104, 0.05 if passed else 0.0001,
                                "albums.csv quarantined 0.81% of its rows (36 of 4442; maximum 0.01%)"),
        "min_output_rows": (4389.0, 1.0, "4389 output rows (minimum 1)"),
    }[gate]
    return {"started_at": iso, "run_id": run_id(index), "gate": gate, "measured": measured, "threshold": threshold,
            "passed": passed, "message": message}


# --- one run ------------------------------------------------------------------------------------------


def test_one_run_kpis_are_that_runs_values_and_status():
    sheet = health_sheet(page_of(["succeeded"]))
    assert ('<div class="kpi status-succeeded" id="kpi_last_run_status"><b>succeeded</b><span>Last run</span></div>'
            in sheet)
    assert '<div class="kpi" id="kpi_last_run_published"><b>4389</b><span>Rows published</span></div>' in sheet
    assert '<div class="kpi" id="kpi_last_run_quarantined"><b>36</b><span>Rows quarantined</span></div>' in sheet
    assert '<div class="kpi" id="kpi_last_run_seconds"><b>14.00</b><span>Run seconds</span></div>' in sheet
    assert ('<p class="latest">The newest run, 20260301T060005Z-run0, started 2026-03-01 06:00:05 UTC.</p>'
            in sheet)


def test_one_run_quarantine_chart_is_one_dot_per_file_on_a_padded_utc_time_axis():
    spec = chart_specs(page_of(["succeeded"]))["quarantine_rate_by_file"]
    assert spec["data"]["values"] == expected_files(0, "succeeded", "2026-03-01T06:00:05.000Z")
    (line,) = spec["layer"]
    assert line["mark"]["type"] == "line" and line["mark"]["point"]["filled"] is True
    x = line["encoding"]["x"]
    assert (x["field"], x["type"], x["title"]) == ("started_at", "temporal", "Run started (UTC)")
    # One instant is no range: half an hour either side of it, so the axis ticks minutes, not milliseconds.
    assert x["scale"] == {"type": "utc", "domain": [FIRST_START_MS - HALF_HOUR_MS, FIRST_START_MS + HALF_HOUR_MS]}
    assert x["axis"]["labelExpr"] == charts.TIME_LABEL_EXPRESSION
    assert line["encoding"]["color"] == {"field": "role", "type": "nominal", "title": "Input file",
                                         "legend": {"orient": "top"}}
    assert line["encoding"]["y"]["field"] == "quarantine_rate"
    assert spec["width"] == "container"


def test_one_run_gate_chart_is_a_panel_per_gate_with_measured_and_threshold_on_one_axis():
    spec = chart_specs(page_of(["succeeded"]))["gate_values"]
    assert spec["data"]["values"] == [
        expected_gate(0, "2026-03-01T06:00:05.000Z", "max_quarantine_rate"),
        expected_gate(0, "2026-03-01T06:00:05.000Z", "min_output_rows"),
    ]
    assert spec["facet"]["field"] == "gate" and spec["facet"]["type"] == "nominal"
    assert spec["columns"] == charts.PANEL_COLUMNS
    assert spec["resolve"] == {"scale": {"y": "independent"}, "axis": {"x": "independent"}}
    measured, threshold = spec["spec"]["layer"]  # every gate passed: no layer of failed points
    assert [measured["encoding"]["y"]["field"], threshold["encoding"]["y"]["field"]] == ["measured", "threshold"]
    assert "resolve" not in spec["spec"]  # one y axis for both measures
    assert "strokeDash" not in measured["mark"] and threshold["mark"]["strokeDash"] == [5, 4]
    assert measured["mark"]["point"] == {"filled": True, "size": 45}
    assert threshold["mark"]["point"] == {"filled": False, "size": 30}
    assert [layer["transform"] for layer in (measured, threshold)] == [
        [{"calculate": '"Measured"', "as": charts.LEGEND_FIELD}],
        [{"calculate": '"Threshold"', "as": charts.LEGEND_FIELD}],
    ]
    assert measured["encoding"]["color"]["scale"] == {"domain": ["Measured", "Threshold"],
                                                      "range": [charts.ACCENT, charts.THRESHOLD_GREY]}
    assert measured["encoding"]["x"]["scale"]["domain"] == [FIRST_START_MS - HALF_HOUR_MS,
                                                            FIRST_START_MS + HALF_HOUR_MS]


def test_one_run_recent_runs_table_has_its_row():
    runs = section(page_of(["succeeded"]), "recent_runs")
    assert runs.count("<tr>") == 2
    assert ("<tr><td>2026-03-01T06:00:05</td><td>20260301T060005Z-run0</td><td class=\"status-succeeded\">succeeded"
            "</td><td>4442</td><td>4389</td><td>36</td><td>17</td><td>14.00</td><td>(none)</td><td>(none)</td></tr>"
            in runs)
    assert '<p class="rows">' not in runs


# --- several runs -------------------------------------------------------------------------------------

SEVERAL = ["succeeded", "succeeded", "gate_failed"]
ISO = ["2026-03-01T06:00:05.000Z", "2026-03-01T07:00:05.000Z", "2026-03-01T08:00:05.000Z"]


def test_several_runs_kpis_are_the_newest_runs():
    sheet = health_sheet(page_of(SEVERAL))
    assert ('<div class="kpi status-gate_failed" id="kpi_last_run_status"><b>gate_failed</b><span>Last run</span>'
            "</div>" in sheet)
    assert '<div class="kpi" id="kpi_last_run_published"><b>0</b><span>Rows published</span></div>' in sheet
    assert '<div class="kpi" id="kpi_last_run_quarantined"><b>36</b><span>Rows quarantined</span></div>' in sheet
    assert '<div class="kpi" id="kpi_last_run_seconds"><b>13.70</b><span>Run seconds</span></div>' in sheet
    assert "The newest run, 20260301T080005Z-run2, started 2026-03-01 08:00:05 UTC." in sheet


@pytest.mark.parametrize(("status", "published"), [("succeeded", "4389"), ("gate_failed", "0"),
                                                   ("error", "(none)")])
def test_the_status_kpi_is_coloured_by_its_value(status, published):
    sheet = health_sheet(page_of(["succeeded", status]))
    assert f'<div class="kpi status-{status}" id="kpi_last_run_status"><b>{status}</b>' in sheet
    assert f'<div class="kpi" id="kpi_last_run_published"><b>{published}</b>' in sheet


def test_several_runs_charts_carry_exactly_the_queries_rows():
    specs = chart_specs(page_of(SEVERAL))
    quarantine = specs["quarantine_rate_by_file"]
    assert quarantine["data"]["values"] == [
        *expected_files(0, "succeeded", ISO[0]), *expected_files(1, "succeeded", ISO[1]),
        *expected_files(2, "gate_failed", ISO[2]),
    ]
    assert "domain" not in quarantine["layer"][0]["encoding"]["x"]["scale"]  # three instants are a range
    gates = specs["gate_values"]
    assert gates["data"]["values"] == [  # the query's order: failed first, then the newest
        expected_gate(2, ISO[2], "max_quarantine_rate", passed=False),
        expected_gate(2, ISO[2], "min_output_rows"),
        expected_gate(1, ISO[1], "max_quarantine_rate"),
        expected_gate(1, ISO[1], "min_output_rows"),
        expected_gate(0, ISO[0], "max_quarantine_rate"),
        expected_gate(0, ISO[0], "min_output_rows"),
    ]


def test_failed_gates_get_a_red_point_named_in_the_legend():
    measured, threshold, failed = chart_specs(page_of(SEVERAL))["gate_values"]["spec"]["layer"]
    legend_scale = {"domain": ["Measured", "Threshold", "Failed"],
                    "range": [charts.ACCENT, charts.THRESHOLD_GREY, charts.FAILED_RED]}
    assert measured["encoding"]["color"]["scale"] == legend_scale == failed["encoding"]["color"]["scale"]
    assert failed["mark"] == {"type": "point", "filled": True, "size": 110}
    assert failed["encoding"]["y"]["field"] == "measured"
    assert failed["encoding"]["opacity"] == {"condition": {"test": "datum.passed === false", "value": 1}, "value": 0}
    assert failed["transform"] == [{"calculate": '"Failed"', "as": charts.LEGEND_FIELD}]


def test_several_runs_table_lists_them_newest_first_with_their_status_colour():
    runs = section(page_of(SEVERAL), "recent_runs")
    assert runs.count("<tr>") == 4
    assert [runs.index(run_id(i)) for i in (2, 1, 0)] == sorted(runs.index(run_id(i)) for i in (2, 1, 0))
    assert '<td class="status-gate_failed">gate_failed</td>' in runs
    assert runs.count('<td class="status-succeeded">succeeded</td>') == 2


def test_an_error_run_without_files_or_gates_leaves_the_others_charted():
    specs = chart_specs(page_of(["succeeded", "error"]))
    assert specs["quarantine_rate_by_file"]["data"]["values"] == expected_files(0, "succeeded", ISO[0])
    assert len(specs["gate_values"]["data"]["values"]) == 2


def test_tooltips_name_the_instant_in_utc_and_rates_in_significant_digits():
    (line,) = chart_specs(page_of(SEVERAL))["quarantine_rate_by_file"]["layer"]
    tooltip = {t["field"]: t for t in line["encoding"]["tooltip"]}
    assert tooltip["started_at"] == {"field": "started_at", "type": "temporal", "title": "Run started (UTC)",
                                     "timeUnit": "utcyearmonthdatehoursminutesseconds",
                                     "format": "%Y-%m-%d %H:%M:%S"}
    assert tooltip["quarantine_rate"]["format"] == ",.6~r"
    assert set(tooltip) == set(history_results(SEVERAL)[1].columns)


# --- limits, empty and missing results ----------------------------------------------------------------


def test_the_recent_runs_table_shows_at_most_its_limit():
    assert insight("recent_runs").limit == 20
    runs = section(page_of(["succeeded"] * 25), "recent_runs")
    assert runs.count("<tr>") == 21  # the header and the 20 newest
    assert run_id(24) in runs and run_id(5) in runs and run_id(4) not in runs
    assert '<p class="rows">first 20 of 25 rows</p>' in runs


def test_data_tables_show_at_most_200_rows_and_say_so():
    page = page_of(["succeeded"] * 120)  # 240 gate rows, 240 file rows
    specs = chart_specs(page)
    assert len(specs["gate_values"]["data"]["values"]) == 240  # the chart draws them all
    gates = section(page, "gate_values")
    assert "<details><summary>first 200 of 240 rows</summary>" in gates
    assert gates.count("<tr>") == 201
    assert "<details><summary>2 rows</summary>" in section(page_of(["succeeded"]), "gate_values")
    runs = history_results(["succeeded"])[0]
    assert data_table(runs).startswith("<details><summary>1 row</summary>")


def test_no_runs_show_the_empty_text_and_no_chart():
    page = page_of([])
    assert not set(HEALTH_CHARTS) & set(chart_specs(page))
    sheet = health_sheet(page)
    empty = f'<p class="empty">{NO_RUNS}</p>'
    assert sheet.count(empty) == 4  # once for the KPIs, once for each chart and the table
    for insight_id in (*HEALTH_CHARTS, "recent_runs"):
        body = section(page, insight_id)
        assert empty in body and "<table>" not in body and 'class="chart' not in body
    assert 'id="kpi_last_run_status"' not in page and '<div class="kpis">' not in sheet


def test_a_warehouse_without_run_history_has_no_health_section():
    songs = NamedQuery("most_popular_songs", "Most popular songs", "The top tracks.", "SELECT 1")
    page = render([QueryResult(songs, ["track_name", "track_popularity"], [("Song", 91)])], None)
    assert 'id="sheet-overview"' in page
    assert 'id="sheet-health"' not in page and "kpi_last_run" not in page and "<nav>" not in page


def test_each_sheet_has_its_heading_and_quicksight_filters():
    songs = NamedQuery("most_popular_songs", "Most popular songs", "The top tracks.", "SELECT 1")
    page = render([QueryResult(songs, ["track_name", "track_popularity"], [("Song", 91)]),
                   *history_results(["succeeded"])], None)
    assert ('<div class="sheet" id="sheet-overview"><h2>Spotify 2023: tracks, artists, albums</h2><p class="sub">'
            "What the warehouse&#x27;s tracks table holds. QuickSight adds filters: release date, genre, explicit.</p>"
            in page)
    assert ('<div class="sheet" id="sheet-health"><h2>Pipeline health: every run&#x27;s accounting and data-quality '
            "gates</h2><p class=\"sub\">Each run of the Glue job, succeeded or not, as it recorded itself in the run "
            "history. QuickSight adds filters: run started.</p>" in page)
    assert ('<nav><a href="#sheet-overview">Spotify tracks</a><a href="#sheet-health">Pipeline health</a></nav>'
            in page)
    assert page.index('id="sheet-overview"') < page.index('id="sheet-health"')


def test_the_run_summary_stays_on_the_overview_and_a_failed_gate_published_nothing():
    page = render(history_results(["gate_failed"]), {**RUN_SUMMARY, "status": "gate_failed"})
    overview = element(page, '<div class="sheet" id="sheet-overview">', '<div class="sheet" id="sheet-health">')
    assert '<div class="kpi" id="input_rows"><b>4442</b><span>input rows</span></div>' in overview
    assert '<div class="kpi" id="tracks_published"><b>0</b><span>tracks published</span></div>' in overview
    assert 'id="tracks_published"' not in health_sheet(page)
    succeeded = render([], RUN_SUMMARY)  # a summary written before runs had a status
    assert '<div class="kpi" id="tracks_published"><b>4389</b><span>tracks published</span></div>' in succeeded


# --- what did not change ------------------------------------------------------------------------------


def test_year_lines_keep_their_year_axis():
    trends = insight("release_trends_by_year")
    result = QueryResult(NamedQuery("release_trends_by_year", "Trends", "By year.", "SELECT 1"),
                         ["release_year", "tracks", "albums", "avg_track_popularity", "avg_duration_minutes"],
                         [(2020, 3, 1, 50.0, 3.5), (2021, 4, 2, 60.0, 3.7)])
    spec = charts.chart(trends, result).to_dict()
    assert [layer["encoding"]["x"] for layer in spec["layer"]] == [
        {"field": "release_year", "type": "quantitative", "title": "Release year", "axis": {"format": "d"}}] * 2
    assert spec["resolve"] == {"scale": {"y": "independent"}}
    assert "temporal" not in json.dumps(spec)


def test_timestamps_reach_the_browser_in_utc_with_a_z():
    query = NamedQuery("q", "Q", "A query.", "SELECT 1")
    paris = dt.timezone(dt.timedelta(hours=1))
    result = QueryResult(query, ["naive", "aware", "day"],
                         [(FIRST_START, dt.datetime(2026, 3, 1, 7, 0, 5, 123456, tzinfo=paris), dt.date(2026, 3, 1))])
    assert records(result) == [{"naive": "2026-03-01T06:00:05.000Z", "aware": "2026-03-01T06:00:05.123Z",
                                "day": "2026-03-01"}]
