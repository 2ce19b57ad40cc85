"""QuickSight: an analysis and a published dashboard generated from view/insights.py.

`definition()` turns the insight declarations into the CloudFormation `Definition` (PascalCase,
exactly as the template carries it): one sheet per view SHEETS entry, with its visuals
(stacks/dashboard_visuals.py), its filters and controls (stacks/dashboard_filters.py) and its grid,
over one dataset per table the insights read. The construct passes it with `add_property_override`,
which CDK copies verbatim, so no key can be dropped on the way (a camelCase dict loses unknown keys
silently).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Aws
from aws_cdk import aws_quicksight as quicksight
from constructs import Construct

from stacks.dashboard_filters import filter_control, filter_groups
from stacks.dashboard_visuals import visual
from view.insights import CALCULATED_FIELDS, FILTER_CONTROLS, GRID_COLUMNS, QUICKSIGHT_INSIGHTS, SHEETS, Insight, Sheet

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


def grid_elements(insights: tuple[Insight, ...]) -> list[dict]:
    """One sheet's visuals in declaration order, left to right, a new row when the next one does not fit."""
    elements, column, row, row_height = [], 0, 0, 0
    for insight in insights:
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


def _sheet(sheet: Sheet) -> dict:
    insights = tuple(i for i in QUICKSIGHT_INSIGHTS if i.sheet == sheet.sheet_id)
    return {
        "SheetId": sheet.sheet_id,
        "Name": sheet.name,
        "Title": sheet.title,
        "Description": sheet.description,
        "Visuals": [visual(insight) for insight in insights],
        "FilterControls": [filter_control(control) for control in FILTER_CONTROLS if control.sheet == sheet.sheet_id],
        "Layouts": [{"Configuration": {"GridLayout": {
            "Elements": grid_elements(insights),
            "CanvasSizeOptions": {"ScreenCanvasSizeOptions": {"ResizeOption": "RESPONSIVE"}},
        }}}],
    }


def used_data_sets() -> tuple[str, ...]:
    """The dataset identifiers the visuals, controls and calculated fields name, in order of first use."""
    return tuple(dict.fromkeys(item.data_set for item in (*QUICKSIGHT_INSIGHTS, *FILTER_CONTROLS, *CALCULATED_FIELDS)))


def definition(data_set_arns: Mapping[str, str]) -> dict:
    """The analysis's and dashboard's Definition, PascalCase as in the template.

    `data_set_arns` maps each dataset identifier (an insight's `data_set`: the table's name) to its ARN.
    """
    sheet_ids = [sheet.sheet_id for sheet in SHEETS]
    placed = [(f"insight {i.insight_id!r}", i.sheet) for i in QUICKSIGHT_INSIGHTS]
    placed += [(f"filter control {c.filter_id!r}", c.sheet) for c in FILTER_CONTROLS]
    for name, sheet_id in placed:
        if sheet_id not in sheet_ids:  # it would silently vanish from the dashboard
            raise ValueError(f"{name}: no sheet {sheet_id!r} in SHEETS ({', '.join(sheet_ids)})")
    missing = [identifier for identifier in used_data_sets() if identifier not in data_set_arns]
    if missing:
        raise ValueError(f"no dataset ARN for {', '.join(missing)}: the visuals need one dataset per table they read")
    return {
        "DataSetIdentifierDeclarations": [
            {"Identifier": identifier, "DataSetArn": data_set_arns[identifier]} for identifier in used_data_sets()
        ],
        "CalculatedFields": [
            {"DataSetIdentifier": c.data_set, "Name": c.name, "Expression": c.expression} for c in CALCULATED_FIELDS
        ],
        "Sheets": [_sheet(sheet) for sheet in SHEETS],
        "FilterGroups": filter_groups(QUICKSIGHT_INSIGHTS, FILTER_CONTROLS),
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
        data_sets: Mapping[str, quicksight.CfnDataSet],
    ) -> None:
        super().__init__(scope, construct_id)
        body = definition({identifier: data_set.attr_arn for identifier, data_set in data_sets.items()})
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
        # Each DataSetArn is a GetAtt of its dataset: CloudFormation creates the datasets first.
        for resource in (self.analysis, self.dashboard):
            resource.add_property_override("Definition", body)
