"""The QuickSight analysis and dashboard: offline invariants over the generated Definition (what
the service would reject only at deploy time), the synthesized resources, and the setting."""

from __future__ import annotations

import json
import os
import re

import pytest

from stacks.dataset_columns import TRACKS_INPUT_COLUMNS
from stacks.quicksight_dashboard import (
    ANALYSIS_OWNER_ACTIONS,
    DASHBOARD_OWNER_ACTIONS,
    DASHBOARD_VIEWER_ACTIONS,
    DATA_SET_IDENTIFIER,
    column_types,
    definition,
    visual,
)
from stacks.settings import SettingsError, settings_from_context
from tests.stacks.conftest import QUICKSIGHT_USER, QUICKSIGHT_VIEWERS
from tests.stacks.support.synth import ROOT, assert_matches_snapshot, cdk_context, resources
from view.insights import GRID_COLUMNS, INSIGHTS, QUICKSIGHT_INSIGHTS, Field, Insight

ID = re.compile(r"^[\w\-]+$")
DATA_SET_ARN = "arn:aws:quicksight:us-east-1:123456789012:dataset/spotify-spotify-tracks"
NUMERIC = ("INTEGER", "DECIMAL")
# Which column types each kind of field may carry (QuickSight rejects the rest at version creation).
LEGAL_TYPES = {
    "CategoricalDimensionField": ("STRING",),
    "NumericalDimensionField": NUMERIC,
    "DateDimensionField": ("DATETIME",),
    "NumericalMeasureField": NUMERIC,
    "CategoricalMeasureField": ("STRING",),
}


@pytest.fixture(scope="module")
def body():
    return definition(DATA_SET_ARN)


def walk(node, path=()):
    """Every (path, dict) in the definition, depth first."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, path + (index,))


def visuals(body) -> dict[str, dict]:
    """visual id -> (kind, visual body) over every sheet."""
    found = {}
    for sheet in body["Sheets"]:
        for entry in sheet["Visuals"]:
            ((kind, content),) = entry.items()
            found[content["VisualId"]] = (kind, content)
    return found


def field_ids(content) -> set[str]:
    return {node["FieldId"] for path, node in walk(content.get("ChartConfiguration", {}))
            if "FieldId" in node and "Column" in node}


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


def test_every_column_exists_in_the_dataset_with_a_legal_field_type(body):
    types = column_types()
    assert set(TRACKS_INPUT_COLUMNS) <= set(types)
    used = 0
    for path, node in walk(body):
        if "ColumnName" not in node:
            continue
        used += 1
        assert node["ColumnName"] in types, (path, node)
        kind = next((p for p in reversed(path) if isinstance(p, str) and p in LEGAL_TYPES), None)
        if kind:
            assert types[node["ColumnName"]] in LEGAL_TYPES[kind], (path, node["ColumnName"])
    assert used > 40
    for calculated in body["CalculatedFields"]:
        assert calculated["Name"] not in TRACKS_INPUT_COLUMNS
        for column in re.findall(r"\{(\w+)\}", calculated["Expression"]):
            assert column in TRACKS_INPUT_COLUMNS, calculated


def test_no_column_appears_twice_in_one_visuals_dimensions(body):
    for visual_id, (_, content) in visuals(body).items():
        wells = content["ChartConfiguration"]["FieldWells"]
        dimension_columns = [node["Column"]["ColumnName"] for path, node in walk(wells)
                             if path and path[-1] in ("CategoricalDimensionField", "NumericalDimensionField",
                                                      "DateDimensionField")]
        assert len(dimension_columns) == len(set(dimension_columns)), visual_id


def test_declared_dataset_identifiers_are_exactly_the_used_ones(body):
    declared = {d["Identifier"] for d in body["DataSetIdentifierDeclarations"]}
    used = {node["DataSetIdentifier"] for _, node in walk(body) if "DataSetIdentifier" in node}
    assert declared == used == {DATA_SET_IDENTIFIER}
    assert body["DataSetIdentifierDeclarations"] == [{"Identifier": DATA_SET_IDENTIFIER, "DataSetArn": DATA_SET_ARN}]


def test_layout_places_every_visual_once_inside_the_grid_without_overlap(body):
    (sheet,) = body["Sheets"]
    (layout,) = sheet["Layouts"]
    elements = layout["Configuration"]["GridLayout"]["Elements"]
    assert sorted(e["ElementId"] for e in elements) == sorted(visuals(body))
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


def test_filters_scope_existing_visuals_and_controls_existing_filters(body):
    known = set(visuals(body))
    filter_ids = set()
    for group in body["FilterGroups"]:
        for scope in group["ScopeConfiguration"]["SelectedSheets"]["SheetVisualScopingConfigurations"]:
            assert scope["SheetId"] == body["Sheets"][0]["SheetId"]
            assert set(scope.get("VisualIds", [])) <= known
            assert ("VisualIds" in scope) == (scope["Scope"] == "SELECTED_VISUALS")
        for item in group["Filters"]:
            ((_, content),) = item.items()
            filter_ids.add(content["FilterId"])
    controls = body["Sheets"][0]["FilterControls"]
    assert {next(iter(c.values()))["SourceFilterId"] for c in controls} <= filter_ids
    assert [next(iter(c.values()))["Title"] for c in controls] == ["Release date", "Genre", "Explicit"]


def test_each_visual_carries_its_querys_where_having_and_limit(body):
    """Spot checks that the query semantics reach QuickSight: HAVING COUNT >= 3, top 50, LIMIT 20."""
    groups = {g["FilterGroupId"]: g for g in body["FilterGroups"]}
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
    template = app.template_json("pipeline")
    (data_set_id,) = resources(template, "AWS::QuickSight::DataSet")
    (analysis,) = resources(template, "AWS::QuickSight::Analysis").values()
    (dashboard,) = resources(template, "AWS::QuickSight::Dashboard").values()
    return data_set_id, analysis["Properties"], dashboard["Properties"]


def test_template_carries_the_generated_definition_verbatim_over_the_dataset(full_app):
    data_set_id, analysis, dashboard = quicksight_resources(full_app)
    expected = definition({"Fn::GetAtt": [data_set_id, "Arn"]})
    assert analysis["Definition"] == expected  # nothing dropped or renamed on the way
    assert dashboard["Definition"] == expected
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



@pytest.mark.parametrize(
    ("field", "message"),
    [
        (Field("flag", "explicit", "explicit", "Explicit"), "broken cannot group by explicit (BOOLEAN)"),
        (Field("genres", "genres", "genres", "Genres"), "column 'genres' is neither in the tracks dataset"),
    ],
)
def test_an_insight_over_an_unusable_column_stops_synth_with_its_name(field, message):
    broken = Insight("broken", "Broken", "A bar over a column QuickSight cannot group by.", "bar", "genre_analysis",
                     dimensions=(field,), measures=(Field("tracks", "track_id", "tracks", "Tracks", "COUNT"),),
                     sort_field="tracks")
    with pytest.raises(ValueError, match=re.escape(f"view/insights.py: {message}")):
        visual(broken)


def test_only_insights_over_columns_quicksight_lacks_are_left_out_of_it():
    """An insight drawn offline only must need a column the dataset cannot have (an array)."""
    offline_only = [i for i in INSIGHTS if not i.in_quicksight]
    assert [i.insight_id for i in offline_only] == ["collaborations"]
    for insight in offline_only:
        assert any(f.column not in TRACKS_INPUT_COLUMNS for f in insight.fields), insight.insight_id
        assert insight.differs.startswith("Offline only")
