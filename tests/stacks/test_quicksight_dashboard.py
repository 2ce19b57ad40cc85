"""The QuickSight analysis and dashboard: offline invariants over the generated Definition (what
the service would reject only at deploy time), the synthesized resources, and the setting."""

from __future__ import annotations

import dataclasses
import json
import os
import re

import pytest

from stacks.dashboard_filters import visual_filters
from stacks.dashboard_visuals import column_types, visual
from stacks.dataset_columns import INPUT_COLUMNS
from stacks.quicksight_dashboard import (
    ANALYSIS_OWNER_ACTIONS,
    DASHBOARD_OWNER_ACTIONS,
    DASHBOARD_VIEWER_ACTIONS,
    definition,
)
from stacks.settings import SettingsError, settings_from_context
from tests.stacks.conftest import QUICKSIGHT_USER, QUICKSIGHT_VIEWERS
from tests.stacks.support.synth import ROOT, assert_matches_snapshot, cdk_context, resources
from view.insights import (
    FILTER_CONTROLS,
    GRID_COLUMNS,
    INSIGHTS,
    QUICKSIGHT_INSIGHTS,
    SHEETS,
    Field,
    Insight,
    Latest,
)

ID = re.compile(r"^[\w\-]+$")
DATA_SETS = ("tracks", "pipeline_runs", "pipeline_run_files", "pipeline_run_gates")
DATA_SET_ARNS = {name: f"arn:aws:quicksight:us-east-1:123456789012:dataset/spotify-spotify-{name.replace('_', '-')}"
                 for name in DATA_SETS}
NUMERIC = ("INTEGER", "DECIMAL")
# Which column types each kind of field may carry (QuickSight rejects the rest at version creation).
LEGAL_TYPES = {
    "CategoricalDimensionField": ("STRING",),
    "NumericalDimensionField": NUMERIC,
    "DateDimensionField": ("DATETIME",),
    "NumericalMeasureField": NUMERIC,
    "CategoricalMeasureField": ("STRING",),
}
INSIGHT = {i.insight_id: i for i in QUICKSIGHT_INSIGHTS}


@pytest.fixture(scope="module")
def body():
    return definition(DATA_SET_ARNS)


def walk(node, path=()):
    """Every (path, dict) in the definition, depth first."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, path + (index,))


def visuals(body) -> dict[str, tuple[str, dict]]:
    """visual id -> (kind, visual body) over every sheet."""
    found = {}
    for sheet in body["Sheets"]:
        for entry in sheet["Visuals"]:
            ((kind, content),) = entry.items()
            found[content["VisualId"]] = (kind, content)
    return found


def sheet_visuals(body) -> dict[str, set[str]]:
    """sheet id -> the ids of its visuals."""
    return {sheet["SheetId"]: {next(iter(v.values()))["VisualId"] for v in sheet["Visuals"]}
            for sheet in body["Sheets"]}


def field_ids(content) -> set[str]:
    return {node["FieldId"] for path, node in walk(content.get("ChartConfiguration", {}))
            if "FieldId" in node and "Column" in node}


def groups_by_id(body) -> dict[str, dict]:
    return {g["FilterGroupId"]: g for g in body["FilterGroups"]}


def test_every_id_is_unique_and_well_formed(body):
    ids = {"visual": [], "field": [], "filter": [], "filter group": [], "control": [], "sheet": []}
    for _, node in walk(body):
        for key, kind in (("VisualId", "visual"), ("FilterId", "filter"), ("FilterGroupId", "filter group"),
                          ("FilterControlId", "control"), ("SheetId", "sheet")):
            if key in node and not (key == "SheetId" and "Scope" in node):
                ids[kind].append(node[key])
        if "FieldId" in node and "Column" in node:
            ids["field"].append(node["FieldId"])
    for kind, values in ids.items():
        assert values, kind
        assert len(values) == len(set(values)), (kind, sorted(values))
        assert all(ID.match(value) for value in values), (kind, values)
    assert sorted(ids["visual"]) == sorted(i.insight_id for i in QUICKSIGHT_INSIGHTS)
    assert ids["sheet"] == [s.sheet_id for s in SHEETS] == ["overview", "health"]


def test_sheets_are_the_declared_ones_each_with_its_own_visuals(body):
    assert [(s["SheetId"], s["Name"], s["Title"], s["Description"]) for s in body["Sheets"]] == [
        (s.sheet_id, s.name, s.title, s.description) for s in SHEETS]
    assert sheet_visuals(body) == {
        sheet.sheet_id: {i.insight_id for i in QUICKSIGHT_INSIGHTS if i.sheet == sheet.sheet_id} for sheet in SHEETS}
    assert sheet_visuals(body)["health"] == {
        "kpi_last_run_published", "kpi_last_run_quarantined", "kpi_last_run_seconds", "quarantine_rate_by_file",
        "gate_values", "recent_runs"}


def test_every_column_exists_in_its_own_dataset_with_a_legal_field_type(body):
    """A visual reads its insight's dataset only; a column is an input column or a calculated field of it."""
    used = 0
    for path, node in walk(body):
        if "ColumnName" not in node:
            continue
        used += 1
        types = column_types(node["DataSetIdentifier"])
        assert node["ColumnName"] in types, (path, node)
        kind = next((p for p in reversed(path) if isinstance(p, str) and p in LEGAL_TYPES), None)
        if kind:
            assert types[node["ColumnName"]] in LEGAL_TYPES[kind], (path, node["ColumnName"])
    assert used > 70
    for visual_id, (_, content) in visuals(body).items():
        assert {n["DataSetIdentifier"] for _, n in walk(content) if "ColumnName" in n} == {
            INSIGHT[visual_id].data_set}, visual_id
    for group in body["FilterGroups"]:
        scope = group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"][0]
        expected = ({INSIGHT[v].data_set for v in scope["VisualIds"]} if "VisualIds" in scope else
                    {c.data_set for c in FILTER_CONTROLS if group["FilterGroupId"] == f"{c.sheet}-{c.filter_id}"})
        assert {n["DataSetIdentifier"] for _, n in walk(group) if "ColumnName" in n} == expected, group["FilterGroupId"]
    for calculated in body["CalculatedFields"]:
        own = INPUT_COLUMNS[calculated["DataSetIdentifier"]]
        assert calculated["Name"] not in own
        for column in re.findall(r"\{(\w+)\}", calculated["Expression"]):
            assert column in own, calculated
    assert [(c["DataSetIdentifier"], c["Name"]) for c in body["CalculatedFields"]] == [
        ("tracks", "explicit_label"), ("tracks", "explicit_percent")]


def test_no_column_appears_twice_in_one_visuals_dimensions(body):
    for visual_id, (_, content) in visuals(body).items():
        wells = content["ChartConfiguration"]["FieldWells"]
        dimension_columns = [node["Column"]["ColumnName"] for path, node in walk(wells)
                             if path and path[-1] in ("CategoricalDimensionField", "NumericalDimensionField",
                                                      "DateDimensionField")]
        assert len(dimension_columns) == len(set(dimension_columns)), visual_id


def test_declared_datasets_are_exactly_the_used_ones(body):
    declared = [d["Identifier"] for d in body["DataSetIdentifierDeclarations"]]
    used = {node["DataSetIdentifier"] for _, node in walk(body) if "DataSetIdentifier" in node}
    assert set(declared) == used == set(DATA_SETS)
    assert body["DataSetIdentifierDeclarations"] == [
        {"Identifier": name, "DataSetArn": DATA_SET_ARNS[name]} for name in DATA_SETS]


def test_a_missing_dataset_arn_stops_synth():
    with pytest.raises(ValueError, match="^no dataset ARN for pipeline_run_gates: "):
        definition({k: v for k, v in DATA_SET_ARNS.items() if k != "pipeline_run_gates"})


def test_each_sheets_layout_places_each_of_its_visuals_once_inside_the_grid_without_overlap(body):
    for sheet in body["Sheets"]:
        (layout,) = sheet["Layouts"]
        elements = layout["Configuration"]["GridLayout"]["Elements"]
        assert sorted(e["ElementId"] for e in elements) == sorted(sheet_visuals(body)[sheet["SheetId"]])
        assert all(e["ElementType"] == "VISUAL" for e in elements)
        cells = set()
        for e in elements:
            assert 1 <= e["ColumnSpan"] <= GRID_COLUMNS and 1 <= e["RowSpan"] <= 21, e
            assert 0 <= e["ColumnIndex"] and e["ColumnIndex"] + e["ColumnSpan"] <= GRID_COLUMNS, e
            area = {(r, c) for r in range(e["RowIndex"], e["RowIndex"] + e["RowSpan"])
                    for c in range(e["ColumnIndex"], e["ColumnIndex"] + e["ColumnSpan"])}
            assert not cells & area, e
            cells |= area


def test_sorts_refer_to_their_own_visuals_fields(body):
    sorted_visuals = 0
    for visual_id, (_, content) in visuals(body).items():
        own = field_ids(content)
        sort = content["ChartConfiguration"].get("SortConfiguration", {})
        for _, node in walk(sort):
            if "FieldSort" in node:
                sorted_visuals += 1
                assert node["FieldSort"]["FieldId"] in own, (visual_id, node)
        for _, node in walk(content["ChartConfiguration"].get("Series", [])):
            if "AxisBinding" in node:
                assert node["FieldId"] in own, visual_id
    assert sorted_visuals == sum(1 for i in QUICKSIGHT_INSIGHTS if i.sort_field and i.chart not in ("scatter",))


def test_filters_scope_existing_visuals_of_their_own_sheet_and_controls_their_sheets_filters(body):
    on_sheet = sheet_visuals(body)
    filters_by_sheet = {sheet_id: set() for sheet_id in on_sheet}
    for group in body["FilterGroups"]:
        (scope,) = group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]
        assert scope["SheetId"] in on_sheet
        assert ("VisualIds" in scope) == (scope["Scope"] == "SELECTED_VISUALS")
        assert set(scope.get("VisualIds", [])) <= on_sheet[scope["SheetId"]], group["FilterGroupId"]
        for item in group["Filters"]:
            ((_, content),) = item.items()
            filters_by_sheet[scope["SheetId"]].add(content["FilterId"])
    titles = {}
    for sheet in body["Sheets"]:
        controls = [next(iter(c.values())) for c in sheet["FilterControls"]]
        assert {c["SourceFilterId"] for c in controls} <= filters_by_sheet[sheet["SheetId"]]
        titles[sheet["SheetId"]] = [c["Title"] for c in controls]
    assert titles == {"overview": ["Release date", "Genre", "Explicit"], "health": ["Run started"]}


def test_only_the_run_date_control_spans_every_dataset_of_its_sheet(body):
    """ALL_DATASETS applies the filter to each dataset of the sheet with a column of that name and type:
    every dataset the health sheet reads has started_at as a DATETIME, so the control reaches every visual."""
    groups = groups_by_id(body)
    assert {g["FilterGroupId"]: g["CrossDataset"] for g in body["FilterGroups"] if g["CrossDataset"] != "SINGLE_DATASET"
            } == {"health-run_started_range": "ALL_DATASETS"}
    group = groups["health-run_started_range"]
    assert group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"] == [
        {"SheetId": "health", "Scope": "ALL_VISUALS"}]
    ((kind, time_range),) = group["Filters"][0].items()
    assert kind == "TimeRangeFilter" and time_range["Column"] == {
        "DataSetIdentifier": "pipeline_runs", "ColumnName": "started_at"}
    health_data_sets = {INSIGHT[v].data_set for v in sheet_visuals(body)["health"]}
    assert health_data_sets == {"pipeline_runs", "pipeline_run_files", "pipeline_run_gates"}
    assert {column_types(d)["started_at"] for d in health_data_sets} == {"DATETIME"}
    (control,) = next(s for s in body["Sheets"] if s["SheetId"] == "health")["FilterControls"]
    assert control == {"DateTimePicker": {"FilterControlId": "run_started_range-control", "Title": "Run started",
                                          "SourceFilterId": "run_started_range", "Type": "DATE_RANGE"}}


def test_the_health_kpis_show_the_latest_run_only(body):
    groups = groups_by_id(body)
    kpis = sorted(v for v, (kind, _) in visuals(body).items() if kind == "KPIVisual" and INSIGHT[v].sheet == "health")
    assert kpis == ["kpi_last_run_published", "kpi_last_run_quarantined", "kpi_last_run_seconds"]
    for kpi in kpis:
        group = groups[f"{kpi}-filters"]
        assert group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"] == [
            {"SheetId": "health", "Scope": "SELECTED_VISUALS", "VisualIds": [kpi]}]
        assert group["Filters"] == [{"TopBottomFilter": {
            "FilterId": f"{kpi}-latest",
            "Column": {"DataSetIdentifier": "pipeline_runs", "ColumnName": "run_id"},
            "Limit": 1,
            "AggregationSortConfigurations": [{
                "Column": {"DataSetIdentifier": "pipeline_runs", "ColumnName": "started_at"},
                "SortDirection": "DESC",
                "AggregationFunction": {"DateAggregationFunction": "MAX"},
            }],
        }}]
    # The other visuals show every run: no latest-run filter anywhere else.
    latest = {g["FilterGroupId"] for g in body["FilterGroups"] if "-latest" in json.dumps(g)}
    assert latest == {f"{kpi}-filters" for kpi in kpis}


def line(body, visual_id: str) -> dict:
    kind, content = visuals(body)[visual_id]
    assert kind == "LineChartVisual"
    return content["ChartConfiguration"]


def dimension_columns(well: list[dict]) -> list[tuple[str, str, str]]:
    return [(kind, d["Column"]["DataSetIdentifier"], d["Column"]["ColumnName"])
            for entry in well for kind, d in entry.items()]


def test_line_charts_over_the_run_history_draw_series_panels_and_single_runs(body):
    markers = {"MarkerStyleSettings": {"MarkerVisibility": "VISIBLE"}}
    rates = line(body, "quarantine_rate_by_file")
    wells = rates["FieldWells"]["LineChartAggregatedFieldWells"]
    assert dimension_columns(wells["Colors"]) == [("CategoricalDimensionField", "pipeline_run_files", "role")]
    assert "SmallMultiples" not in wells and "Series" not in rates and "SmallMultiplesOptions" not in rates
    assert wells["Category"] == [{"DateDimensionField": {
        "FieldId": "quarantine_rate_by_file-started_at", "DateGranularity": "MINUTE",
        "Column": {"DataSetIdentifier": "pipeline_run_files", "ColumnName": "started_at"}}}]
    assert rates["DefaultSeriesSettings"] == markers
    gates = line(body, "gate_values")
    wells = gates["FieldWells"]["LineChartAggregatedFieldWells"]
    assert dimension_columns(wells["SmallMultiples"]) == [("CategoricalDimensionField", "pipeline_run_gates", "gate")]
    assert "Colors" not in wells
    assert [m["NumericalMeasureField"]["Column"]["ColumnName"] for m in wells["Values"]] == ["measured", "threshold"]
    assert "Series" not in gates  # one axis: a gate's value and its threshold are compared on the same scale
    assert gates["SmallMultiplesOptions"] == {"YAxis": {"Scale": "INDEPENDENT"}}
    assert gates["DefaultSeriesSettings"] == markers
    # A yearly trend has a point per year: no markers, and its second measure on its own axis.
    trend = line(body, "release_trends_by_year")
    assert "DefaultSeriesSettings" not in trend and set(trend["FieldWells"]["LineChartAggregatedFieldWells"]) == {
        "Category", "Values"}
    assert trend["Series"] == [{"FieldSeriesItem": {"FieldId": "release_trends_by_year-avg_track_popularity",
                                                    "AxisBinding": "SECONDARY_YAXIS"}}]


def test_recent_runs_table_pages_the_newest_runs_first(body):
    kind, content = visuals(body)["recent_runs"]
    assert kind == "TableVisual"
    configuration = content["ChartConfiguration"]
    values = configuration["FieldWells"]["TableUnaggregatedFieldWells"]["Values"]
    assert [(v["Column"]["DataSetIdentifier"], v["Column"]["ColumnName"]) for v in values][:3] == [
        ("pipeline_runs", "started_at"), ("pipeline_runs", "status"), ("pipeline_runs", "failed_gates")]
    assert configuration["SortConfiguration"] == {
        "RowSort": [{"FieldSort": {"FieldId": "recent_runs-started_at", "Direction": "DESC"}}],
        "PaginationConfiguration": {"PageSize": 20, "PageNumber": 1}}


def test_each_visual_carries_its_querys_where_having_and_limit(body):
    """Spot checks that the query semantics reach QuickSight: HAVING COUNT >= 3, top 50, LIMIT 20."""
    groups = groups_by_id(body)
    popularity = json.dumps(groups["top_artists_by_track_popularity-filters"])
    assert '"SimpleNumericalAggregation": "COUNT"' in popularity and '"StaticValue": 3' in popularity
    top = groups["artist_followers_vs_popularity-filters"]["Filters"][-1]["TopBottomFilter"]
    assert top["Limit"] == 50 and top["Column"]["ColumnName"] == "artist_name"
    assert top["AggregationSortConfigurations"][0]["Column"]["ColumnName"] == "followers"
    kind, labels = visuals(body)["top_labels_by_track_count"]
    assert kind == "BarChartVisual"
    assert labels["ChartConfiguration"]["SortConfiguration"]["CategoryItemsLimit"]["ItemsLimit"] == 20
    assert visuals(body)["genre_analysis"][1]["ChartConfiguration"]["FieldWells"]["BarChartAggregatedFieldWells"][
        "Category"][0]["CategoricalDimensionField"]["Column"]["ColumnName"] == "genre"


def test_definition_matches_its_snapshot(body):
    """Set UPDATE_SNAPSHOTS=1 to accept an intended change of the dashboard."""
    assert_matches_snapshot(os.path.join(ROOT, "tests", "stacks", "snapshots", "quicksight-definition.json"), body)


# --- the synthesized template -------------------------------------------------------------------


def quicksight_resources(app):
    """{dataset identifier (its table): logical id}, the analysis's and the dashboard's properties."""
    template = app.template_json("pipeline")
    data_sets = {
        next(iter(d["Properties"]["PhysicalTableMap"].values()))["RelationalTable"]["Name"]: logical_id
        for logical_id, d in resources(template, "AWS::QuickSight::DataSet").items()
    }
    (analysis,) = resources(template, "AWS::QuickSight::Analysis").values()
    (dashboard,) = resources(template, "AWS::QuickSight::Dashboard").values()
    return data_sets, analysis["Properties"], dashboard["Properties"]


def test_template_carries_the_generated_definition_verbatim_over_the_four_datasets(full_app):
    data_sets, analysis, dashboard = quicksight_resources(full_app)
    assert list(data_sets) == list(DATA_SETS)
    expected = definition({name: {"Fn::GetAtt": [logical_id, "Arn"]} for name, logical_id in data_sets.items()})
    assert analysis["Definition"] == expected  # nothing dropped or renamed on the way
    assert dashboard["Definition"] == expected
    assert [s["SheetId"] for s in expected["Sheets"]] == ["overview", "health"]
    assert [d["DataSetArn"] for d in expected["DataSetIdentifierDeclarations"]] == [
        {"Fn::GetAtt": [data_sets[name], "Arn"]} for name in DATA_SETS]
    assert analysis["ValidationStrategy"] == dashboard["ValidationStrategy"] == {"Mode": "STRICT"}
    assert (analysis["AnalysisId"], dashboard["DashboardId"]) == ("alice-spotify-analysis", "alice-spotify-dashboard")
    assert dashboard["DashboardPublishOptions"]["SheetControlsOption"] == {"VisibilityState": "EXPANDED"}


def test_owner_edits_and_viewers_only_view(full_app):
    _, analysis, dashboard = quicksight_resources(full_app)
    assert analysis["Permissions"] == [{"Principal": QUICKSIGHT_USER, "Actions": ANALYSIS_OWNER_ACTIONS}]
    permissions = {p["Principal"]: set(p["Actions"]) for p in dashboard["Permissions"]}
    assert permissions == {
        QUICKSIGHT_USER: set(DASHBOARD_OWNER_ACTIONS),
        **{viewer: set(DASHBOARD_VIEWER_ACTIONS) for viewer in QUICKSIGHT_VIEWERS},
    }
    assert set(DASHBOARD_VIEWER_ACTIONS) == {
        "quicksight:DescribeDashboard", "quicksight:ListDashboardVersions", "quicksight:QueryDashboard"}
    assert not any("Update" in a or "Delete" in a for a in DASHBOARD_VIEWER_ACTIONS)


def test_nothing_quicksight_without_a_principal(default_app):
    template = default_app.template_json("pipeline")
    assert not [r for r in template["Resources"].values() if r["Type"].startswith("AWS::QuickSight::")]


def test_viewer_setting_is_validated():
    viewers = ",".join(QUICKSIGHT_VIEWERS)
    settings = settings_from_context(
        cdk_context(quicksightPrincipalArn=QUICKSIGHT_USER, quicksightViewerArns=viewers).get)
    assert settings.quicksight_viewer_arns == QUICKSIGHT_VIEWERS
    listed = settings_from_context(
        cdk_context(quicksightPrincipalArn=QUICKSIGHT_USER, quicksightViewerArns=list(QUICKSIGHT_VIEWERS)).get)
    assert listed.quicksight_viewer_arns == QUICKSIGHT_VIEWERS
    with pytest.raises(SettingsError, match=r"^invalid context value quicksightViewerArns='arn:aws:iam::123456789012:"
                                            r"user/bob': expected a list \(or comma-separated string\) of QuickSight"):
        settings_from_context(cdk_context(quicksightPrincipalArn=QUICKSIGHT_USER,
                                          quicksightViewerArns="arn:aws:iam::123456789012:user/bob").get)
    with pytest.raises(SettingsError, match="quicksightViewerArns: viewers need a dashboard, which is created only "
                                            "with quicksightPrincipalArn"):
        settings_from_context(cdk_context(quicksightViewerArns=viewers).get)


def bar(field: Field, data_set: str = "tracks", **options) -> Insight:
    return Insight("broken", "Broken", "A bar over a column QuickSight cannot use.", "bar", "genre_analysis",
                   dimensions=(field,), measures=(Field("rows", "run_id", "rows", "Rows", "COUNT"),),
                   sort_field="rows", data_set=data_set, **options)


@pytest.mark.parametrize(
    ("field", "data_set", "message"),
    [
        (Field("flag", "explicit", "explicit", "Explicit"), "tracks", "cannot group by explicit (BOOLEAN)"),
        (Field("genres", "genres", "genres", "Genres"), "tracks",
         "column 'genres' is neither in the tracks dataset nor one of its calculated fields"),
        # A column of another history table: each insight reads its own dataset only.
        (Field("rate", "quarantine_rate", "rate", "Rate"), "pipeline_runs",
         "column 'quarantine_rate' is neither in the pipeline_runs dataset nor one of its calculated fields"),
        (Field("gate", "gate", "gate", "Gate"), "pipeline_gates", "unknown dataset 'pipeline_gates' (the stack has "
         "tracks, pipeline_runs, pipeline_run_files, pipeline_run_gates)"),
    ],
)
def test_an_insight_over_an_unusable_column_stops_synth_with_its_name(field, data_set, message):
    with pytest.raises(ValueError, match="^" + re.escape(f"insight 'broken': {message}") + "$"):
        visual(bar(field, data_set))


def test_the_definition_rejects_a_broken_insight_before_cloudformation_does(monkeypatch):
    """What synth calls: an insight whose column its dataset lacks, or on a sheet SHEETS lacks, stops it."""
    from stacks import quicksight_dashboard

    gate = Field("gate", "gate", "gate", "Gate")
    cases = [
        (bar(Field("file", "file", "file", "File"), "pipeline_run_gates"),
         "insight 'broken': column 'file' is neither in the pipeline_run_gates dataset"),
        (bar(gate, "pipeline_run_gates", sheet="quality"), "insight 'broken': no sheet 'quality' in SHEETS"),
    ]
    for broken, message in cases:
        monkeypatch.setattr(quicksight_dashboard, "QUICKSIGHT_INSIGHTS", QUICKSIGHT_INSIGHTS + (broken,))
        with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
            definition(DATA_SET_ARNS)
    placed = bar(gate, "pipeline_run_gates", sheet="health")
    monkeypatch.setattr(quicksight_dashboard, "QUICKSIGHT_INSIGHTS", QUICKSIGHT_INSIGHTS + (placed,))
    assert "broken" in sheet_visuals(definition(DATA_SET_ARNS))["health"]  # the control case synthesizes


def test_a_latest_row_needs_a_date_and_a_series_one_measure():
    runs = Field("runs", "run_id", "runs", "Runs", "COUNT")
    by_status = bar(Field("status", "status", "status", "Status"), "pipeline_runs", latest=Latest("run_id", "status"))
    with pytest.raises(ValueError, match="^insight 'broken': the latest row is found by a date column; 'status' is"):
        visual_filters(by_status)
    two_measures = Insight("broken", "Broken", "Two measures coloured by status.", "line", "pipeline_recent_runs",
                           dimensions=(Field("started_at", "started_at", "started_at", "Started", None, "DAY"),),
                           series=Field("status", "status", "status", "Status"),
                           measures=(runs, Field("seconds", "seconds", "seconds", "Seconds", "SUM")),
                           sort_field="started_at", data_set="pipeline_runs", sheet="health")
    with pytest.raises(ValueError, match=r"^insight 'broken': a line chart with a series \(Colors\) draws exactly one"):
        visual(two_measures)
    assert "LineChartVisual" in visual(dataclasses.replace(two_measures, measures=(runs,)))


def test_only_insights_quicksight_cannot_draw_are_left_out_of_it():
    """An insight drawn offline only is one the generator rejects (an array column, a KPI of a text), and says why."""
    offline_only = [i for i in INSIGHTS if not i.in_quicksight]
    assert [i.insight_id for i in offline_only] == ["collaborations", "kpi_last_run_status"]
    for insight in offline_only:
        assert insight.differs, insight.insight_id
        with pytest.raises(ValueError, match=f"^insight '{insight.insight_id}': "):
            visual(insight)
