"""QuickSight: an analysis and a published dashboard generated from view/insights.py.

`definition()` turns the insight declarations into the CloudFormation
`Definition` (PascalCase, exactly as the template carries it); the construct
passes it with `add_property_override`, which CDK copies verbatim, so no key
can be dropped on the way (a camelCase dict loses unknown keys silently).
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_quicksight as quicksight
from constructs import Construct

from stacks.dataset_columns import TRACKS_INPUT_COLUMNS
from view.insights import (
    BAR,
    CALCULATED_FIELDS,
    FILTER_CONTROLS,
    GRID_COLUMNS,
    HISTOGRAM,
    QUICKSIGHT_INSIGHTS,
    KPI,
    LINE,
    PIE,
    SCATTER,
    TABLE,
    Field,
    Insight,
)

DATA_SET_IDENTIFIER = "tracks"
SHEET_ID = "overview"
NUMERIC_TYPES = ("INTEGER", "DECIMAL")
# A range wide enough for every release date, so the date control starts with nothing filtered out.
EARLIEST_RELEASE, LATEST_RELEASE = "1900-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z"

DASHBOARD_VIEWER_ACTIONS = [
    "quicksight:DescribeDashboard",
    "quicksight:ListDashboardVersions",
    "quicksight:QueryDashboard",
]
DASHBOARD_OWNER_ACTIONS = DASHBOARD_VIEWER_ACTIONS + [
    "quicksight:UpdateDashboard",
    "quicksight:DeleteDashboard",
    "quicksight:UpdateDashboardPermissions",
    "quicksight:DescribeDashboardPermissions",
    "quicksight:UpdateDashboardPublishedVersion",
]
ANALYSIS_OWNER_ACTIONS = [
    "quicksight:RestoreAnalysis",
    "quicksight:UpdateAnalysisPermissions",
    "quicksight:DeleteAnalysis",
    "quicksight:QueryAnalysis",
    "quicksight:DescribeAnalysisPermissions",
    "quicksight:DescribeAnalysis",
    "quicksight:UpdateAnalysis",
]


def column_types() -> dict[str, str]:
    """Every column a visual may use: the dataset's input columns and the calculated fields."""
    return {**TRACKS_INPUT_COLUMNS, **{c.name: c.column_type for c in CALCULATED_FIELDS}}


def _column_type(name: str) -> str:
    types = column_types()
    if name not in types:
        raise ValueError(f"view/insights.py: column {name!r} is neither in the tracks dataset nor a calculated field")
    return types[name]


def _column(name: str) -> dict:
    _column_type(name)
    return {"DataSetIdentifier": DATA_SET_IDENTIFIER, "ColumnName": name}


def _field_id(insight: Insight, field: Field) -> str:
    return f"{insight.insight_id}-{field.field_id}"


def _dimension(insight: Insight, field: Field) -> dict:
    column_type = _column_type(field.column)
    body = {"FieldId": _field_id(insight, field), "Column": _column(field.column)}
    if column_type == "DATETIME":
        return {"DateDimensionField": {**body, "DateGranularity": field.date_granularity or "DAY"}}
    if column_type in NUMERIC_TYPES:
        return {"NumericalDimensionField": body}
    if column_type == "STRING":
        return {"CategoricalDimensionField": body}
    raise ValueError(f"view/insights.py: {insight.insight_id} cannot group by {field.column} ({column_type})")


def _measure(insight: Insight, field: Field) -> dict:
    column_type = _column_type(field.column)
    body = {"FieldId": _field_id(insight, field), "Column": _column(field.column)}
    if column_type in NUMERIC_TYPES:
        if field.aggregation:
            body["AggregationFunction"] = {"SimpleNumericalAggregation": field.aggregation}
        return {"NumericalMeasureField": body}
    if field.aggregation in ("COUNT", "DISTINCT_COUNT"):
        return {"CategoricalMeasureField": {**body, "AggregationFunction": field.aggregation}}
    raise ValueError(f"view/insights.py: {insight.insight_id} cannot aggregate {field.column} ({column_type})")


def _unaggregated(insight: Insight, field: Field) -> dict:
    return {"FieldId": _field_id(insight, field), "Column": _column(field.column)}


def _sort(insight: Insight) -> list[dict]:
    field = next(f for f in insight.fields if f.field_id == insight.sort_field)
    direction = "DESC" if insight.sort_descending else "ASC"
    return [{"FieldSort": {"FieldId": _field_id(insight, field), "Direction": direction}}]


def _limit(insight: Insight) -> dict:
    return {"ItemsLimit": insight.limit, "OtherCategories": "EXCLUDE"}


def _chart_configuration(insight: Insight) -> tuple[str, dict]:
    dimensions = [_dimension(insight, f) for f in insight.dimensions]
    measures = [_measure(insight, f) for f in insight.measures]
    if insight.chart == KPI:
        return "KPIVisual", {"FieldWells": {"Values": measures}}
    if insight.chart == BAR:
        sort = {"CategorySort": _sort(insight)}
        if insight.limit:
            sort["CategoryItemsLimit"] = _limit(insight)
        return "BarChartVisual", {
            "FieldWells": {"BarChartAggregatedFieldWells": {"Category": dimensions, "Values": measures}},
            "SortConfiguration": sort,
            "Orientation": "HORIZONTAL",
            "BarsArrangement": "CLUSTERED",
        }
    if insight.chart == LINE:
        configuration = {
            "FieldWells": {"LineChartAggregatedFieldWells": {"Category": dimensions, "Values": measures}},
            "SortConfiguration": {"CategorySort": _sort(insight)},
        }
        # Further measures get their own axis: counts and 0-100 popularity do not share a scale.
        configuration["Series"] = [
            {"FieldSeriesItem": {"FieldId": _field_id(insight, f), "AxisBinding": "SECONDARY_YAXIS"}}
            for f in insight.measures[1:]
        ]
        return "LineChartVisual", configuration
    if insight.chart == SCATTER:
        x, y = measures
        return "ScatterPlotVisual", {
            "FieldWells": {
                "ScatterPlotCategoricallyAggregatedFieldWells": {"Category": dimensions, "XAxis": [x], "YAxis": [y]}
            },
            "SortConfiguration": {"ScatterPlotLimitConfiguration": {"ItemsLimit": insight.limit}},
        }
    if insight.chart == TABLE:
        return "TableVisual", {
            "FieldWells": {
                "TableUnaggregatedFieldWells": {"Values": [_unaggregated(insight, f) for f in insight.fields]}
            },
            "SortConfiguration": {
                "RowSort": _sort(insight),
                "PaginationConfiguration": {"PageSize": insight.limit, "PageNumber": 1},
            },
        }
    if insight.chart == HISTOGRAM:
        # The histogram bins the raw value of its dimension and counts the rows per bin itself.
        (value,) = insight.dimensions
        return "HistogramVisual", {
            "FieldWells": {"HistogramAggregatedFieldWells": {"Values": [{"NumericalMeasureField": _unaggregated(
                insight, value)}]}},
            "BinOptions": {"SelectedBinType": "BIN_WIDTH", "BinWidth": {"Value": insight.bin_width}, "StartValue": 0},
        }
    if insight.chart == PIE:
        return "PieChartVisual", {
            "FieldWells": {"PieChartAggregatedFieldWells": {"Category": dimensions, "Values": measures}},
            "SortConfiguration": {"CategorySort": _sort(insight)},
            "DonutOptions": {"ArcOptions": {"ArcThickness": "MEDIUM"}},
        }
    raise ValueError(f"view/insights.py: {insight.insight_id} has an unknown chart kind {insight.chart!r}")


def visual(insight: Insight) -> dict:
    kind, configuration = _chart_configuration(insight)
    return {
        kind: {
            "VisualId": insight.insight_id,
            "Title": {"Visibility": "VISIBLE", "FormatText": {"PlainText": insight.title}},
            "Subtitle": {"Visibility": "VISIBLE", "FormatText": {"PlainText": insight.description}},
            "ChartConfiguration": configuration,
        }
    }


def _non_null_filter(filter_id: str, column: str) -> dict:
    column_type = _column_type(column)
    if column_type in NUMERIC_TYPES:
        return {"NumericRangeFilter": {"FilterId": filter_id, "Column": _column(column), "NullOption": "NON_NULLS_ONLY",
                                       "SelectAllOptions": "FILTER_ALL_VALUES"}}
    if column_type == "DATETIME":
        return {"TimeRangeFilter": _time_range(filter_id, column, "NON_NULLS_ONLY")}
    return {"CategoryFilter": {"FilterId": filter_id, "Column": _column(column), "Configuration": {
        "FilterListConfiguration": {"MatchOperator": "CONTAINS", "SelectAllOptions": "FILTER_ALL_VALUES",
                                    "NullOption": "NON_NULLS_ONLY"}}}}


def _time_range(filter_id: str, column: str, null_option: str) -> dict:
    return {
        "FilterId": filter_id,
        "Column": _column(column),
        "NullOption": null_option,
        "IncludeMinimum": True,
        "IncludeMaximum": True,
        "RangeMinimumValue": {"StaticValue": EARLIEST_RELEASE},
        "RangeMaximumValue": {"StaticValue": LATEST_RELEASE},
        "TimeGranularity": "DAY",
    }


def _visual_filters(insight: Insight) -> list[dict]:
    """The query's WHERE, HAVING and top-N as filters scoped to this one visual."""
    filters = [_non_null_filter(f"{insight.insight_id}-non-null-{column}", column) for column in insight.non_null]
    if insight.at_least:
        rule = insight.at_least
        filters.append({"NumericRangeFilter": {
            "FilterId": f"{insight.insight_id}-at-least-{rule.minimum}",
            "Column": _column(rule.column),
            "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": rule.aggregation}},
            "RangeMinimum": {"StaticValue": rule.minimum},
            "IncludeMinimum": True,
            "NullOption": "NON_NULLS_ONLY",
        }})
    if insight.chart == SCATTER and insight.limit:
        (category,) = insight.dimensions
        by = next(f for f in insight.measures if f.field_id == insight.sort_field)
        filters.append({"TopBottomFilter": {
            "FilterId": f"{insight.insight_id}-top-{insight.limit}",
            "Column": _column(category.column),
            "Limit": insight.limit,
            "AggregationSortConfigurations": [{
                "Column": _column(by.column),
                "SortDirection": "DESC" if insight.sort_descending else "ASC",
                "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": by.aggregation}},
            }],
        }})
    return filters


def _filter_group(group_id: str, filters: list[dict], visual_ids: list[str] | None) -> dict:
    scope = {"SheetId": SHEET_ID, "Scope": "ALL_VISUALS"}
    if visual_ids is not None:
        scope = {"SheetId": SHEET_ID, "Scope": "SELECTED_VISUALS", "VisualIds": visual_ids}
    return {
        "FilterGroupId": group_id,
        "CrossDataset": "SINGLE_DATASET",
        "Filters": filters,
        "ScopeConfiguration": {"SelectedSheets": {"SheetVisualScopingConfigurations": [scope]}},
        "Status": "ENABLED",
    }


def _sheet_filter(filter_id: str, column: str) -> dict:
    if _column_type(column) == "DATETIME":
        return {"TimeRangeFilter": _time_range(filter_id, column, "ALL_VALUES")}
    return {"CategoryFilter": {"FilterId": filter_id, "Column": _column(column), "Configuration": {
        "FilterListConfiguration": {"MatchOperator": "CONTAINS", "SelectAllOptions": "FILTER_ALL_VALUES",
                                    "NullOption": "ALL_VALUES"}}}}


def _filter_control(filter_id: str, title: str, column: str) -> dict:
    control = {"FilterControlId": f"{filter_id}-control", "Title": title, "SourceFilterId": filter_id}
    if _column_type(column) == "DATETIME":
        return {"DateTimePicker": {**control, "Type": "DATE_RANGE"}}
    return {"Dropdown": {**control, "Type": "MULTI_SELECT"}}


def grid_elements() -> list[dict]:
    """Visuals in declaration order, left to right, a new row when the next one does not fit."""
    elements, column, row, row_height = [], 0, 0, 0
    for insight in QUICKSIGHT_INSIGHTS:
        if column + insight.column_span > GRID_COLUMNS:
            column, row, row_height = 0, row + row_height, 0
        elements.append({
            "ElementId": insight.insight_id,
            "ElementType": "VISUAL",
            "ColumnIndex": column,
            "ColumnSpan": insight.column_span,
            "RowIndex": row,
            "RowSpan": insight.height,
        })
        column += insight.column_span
        row_height = max(row_height, insight.height)
    return elements


def definition(data_set_arn: str) -> dict:
    """The analysis's and dashboard's Definition, PascalCase as in the template."""
    sheet_filters = [_sheet_filter(filter_id, column) for filter_id, _, column in FILTER_CONTROLS]
    filter_groups = [_filter_group("sheet-filters", sheet_filters, None)]
    for insight in QUICKSIGHT_INSIGHTS:
        filters = _visual_filters(insight)
        if filters:
            filter_groups.append(_filter_group(f"{insight.insight_id}-filters", filters, [insight.insight_id]))
    return {
        "DataSetIdentifierDeclarations": [{"Identifier": DATA_SET_IDENTIFIER, "DataSetArn": data_set_arn}],
        "CalculatedFields": [
            {"DataSetIdentifier": DATA_SET_IDENTIFIER, "Name": c.name, "Expression": c.expression}
            for c in CALCULATED_FIELDS
        ],
        "Sheets": [{
            "SheetId": SHEET_ID,
            "Name": "Spotify tracks",
            "Title": "Spotify 2023: tracks, artists, albums",
            "Visuals": [visual(insight) for insight in QUICKSIGHT_INSIGHTS],
            "FilterControls": [_filter_control(*control) for control in FILTER_CONTROLS],
            "Layouts": [{"Configuration": {"GridLayout": {
                "Elements": grid_elements(),
                "CanvasSizeOptions": {"ScreenCanvasSizeOptions": {"ResizeOption": "RESPONSIVE"}},
            }}}],
        }],
        "FilterGroups": filter_groups,
    }


class QuickSightDashboard(Construct):
    """The analysis (editable by the owner) and the published dashboard (owner + viewers)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        owner_arn: str,
        viewer_arns: tuple[str, ...],
        data_set: quicksight.CfnDataSet,
    ) -> None:
        super().__init__(scope, construct_id)
        body = definition(data_set.attr_arn)
        self.analysis = quicksight.CfnAnalysis(
            self,
            "Analysis",
            aws_account_id=Aws.ACCOUNT_ID,
            analysis_id=f"{resource_prefix}-spotify-analysis",
            name=f"{resource_prefix} Spotify analysis",
            permissions=[
                quicksight.CfnAnalysis.ResourcePermissionProperty(principal=owner_arn, actions=ANALYSIS_OWNER_ACTIONS)
            ],
            validation_strategy=quicksight.CfnAnalysis.ValidationStrategyProperty(mode="STRICT"),
        )
        self.dashboard = quicksight.CfnDashboard(
            self,
            "Dashboard",
            aws_account_id=Aws.ACCOUNT_ID,
            dashboard_id=f"{resource_prefix}-spotify-dashboard",
            name=f"{resource_prefix} Spotify dashboard",
            version_description="Generated from view/insights.py",
            permissions=[
                quicksight.CfnDashboard.ResourcePermissionProperty(
                    principal=owner_arn, actions=DASHBOARD_OWNER_ACTIONS
                ),
                *(
                    quicksight.CfnDashboard.ResourcePermissionProperty(principal=arn, actions=DASHBOARD_VIEWER_ACTIONS)
                    for arn in viewer_arns
                ),
            ],
            dashboard_publish_options=quicksight.CfnDashboard.DashboardPublishOptionsProperty(
                ad_hoc_filtering_option=quicksight.CfnDashboard.AdHocFilteringOptionProperty(
                    availability_status="ENABLED"
                ),
                export_to_csv_option=quicksight.CfnDashboard.ExportToCSVOptionProperty(availability_status="ENABLED"),
                sheet_controls_option=quicksight.CfnDashboard.SheetControlsOptionProperty(
                    visibility_state="EXPANDED"
                ),
            ),
            validation_strategy=quicksight.CfnDashboard.ValidationStrategyProperty(mode="STRICT"),
        )
        # The Definition's DataSetArn is a GetAtt of the dataset: CloudFormation creates the dataset first.
        for resource in (self.analysis, self.dashboard):
            resource.add_property_override("Definition", body)
