"""QuickSight filters: each visual's (its named query's WHERE, HAVING, top-N, newest row) and each sheet's controls.

A visual's filters form one group scoped to that visual on its own sheet. A sheet's filter control
(view FilterControl) gets a group of its own on its sheet: over its one dataset, or, with
`all_data_sets`, over every dataset of the sheet with a column of that name and type (QuickSight's
ALL_DATASETS), so one date control filters the whole run history.
"""

from __future__ import annotations

from stacks.dashboard_visuals import NUMERIC_TYPES, column, column_type, user_of
from view.insights import SCATTER, FilterControl, Insight

# A range wide enough for every release date and run, so a date control starts with nothing filtered out.
EARLIEST_DATE, LATEST_DATE = "1900-01-01T00:00:00.000Z", "2100-01-01T00:00:00.000Z"


def _time_range(filter_id: str, data_set: str, column_name: str, user: str, null_option: str) -> dict:
    return {
        "FilterId": filter_id,
        "Column": column(data_set, column_name, user),
        "NullOption": null_option,
        "IncludeMinimum": True,
        "IncludeMaximum": True,
        "RangeMinimumValue": {"StaticValue": EARLIEST_DATE},
        "RangeMaximumValue": {"StaticValue": LATEST_DATE},
        "TimeGranularity": "DAY",
    }


def _non_null_filter(insight: Insight, column_name: str) -> dict:
    filter_id, user = f"{insight.insight_id}-non-null-{column_name}", user_of(insight)
    data_type = column_type(insight.data_set, column_name, user)
    identifier = column(insight.data_set, column_name, user)
    if data_type in NUMERIC_TYPES:
        return {"NumericRangeFilter": {"FilterId": filter_id, "Column": identifier, "NullOption": "NON_NULLS_ONLY",
                                       "SelectAllOptions": "FILTER_ALL_VALUES"}}
    if data_type == "DATETIME":
        return {"TimeRangeFilter": _time_range(filter_id, insight.data_set, column_name, user, "NON_NULLS_ONLY")}
    return {"CategoryFilter": {"FilterId": filter_id, "Column": identifier, "Configuration": {
        "FilterListConfiguration": {"MatchOperator": "CONTAINS", "SelectAllOptions": "FILTER_ALL_VALUES",
                                    "NullOption": "NON_NULLS_ONLY"}}}}


def _top(insight: Insight, filter_id: str, category: str, limit: int, by: str, direction: str,
         aggregation: dict) -> dict:
    user = user_of(insight)
    return {"TopBottomFilter": {
        "FilterId": filter_id,
        "Column": column(insight.data_set, category, user),
        "Limit": limit,
        "AggregationSortConfigurations": [{
            "Column": column(insight.data_set, by, user),
            "SortDirection": direction,
            "AggregationFunction": aggregation,
        }],
    }}


def visual_filters(insight: Insight) -> list[dict]:
    """The query's WHERE, HAVING, top-N and newest row as filters scoped to this one visual."""
    filters = [_non_null_filter(insight, column_name) for column_name in insight.non_null]
    if insight.at_least:
        rule = insight.at_least
        filters.append({"NumericRangeFilter": {
            "FilterId": f"{insight.insight_id}-at-least-{rule.minimum}",
            "Column": column(insight.data_set, rule.column, user_of(insight)),
            "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": rule.aggregation}},
            "RangeMinimum": {"StaticValue": rule.minimum},
            "IncludeMinimum": True,
            "NullOption": "NON_NULLS_ONLY",
        }})
    if insight.chart == SCATTER and insight.limit:
        (category,) = insight.dimensions
        by = next(f for f in insight.measures if f.field_id == insight.sort_field)
        filters.append(_top(insight, f"{insight.insight_id}-top-{insight.limit}", category.column, insight.limit,
                            by.column, "DESC" if insight.sort_descending else "ASC",
                            {"NumericalAggregationFunction": {"SimpleNumericalAggregation": by.aggregation}}))
    if insight.latest:
        # The newest run only: the one `column` value (a run id) with the greatest `by` (its start).
        latest = insight.latest
        if column_type(insight.data_set, latest.by, user_of(insight)) != "DATETIME":
            raise ValueError(f"{user_of(insight)}: the latest row is found by a date column; {latest.by!r} is not one")
        filters.append(_top(insight, f"{insight.insight_id}-latest", latest.column, 1, latest.by, "DESC",
                            {"DateAggregationFunction": "MAX"}))
    return filters


def filter_group(group_id: str, sheet_id: str, filters: list[dict], visual_ids: list[str] | None = None,
                 cross_dataset: str = "SINGLE_DATASET") -> dict:
    """Filters applied together on one sheet: to the given visuals, or (None) to all of the sheet's."""
    scope = {"SheetId": sheet_id, "Scope": "ALL_VISUALS"}
    if visual_ids is not None:
        scope = {"SheetId": sheet_id, "Scope": "SELECTED_VISUALS", "VisualIds": visual_ids}
    return {
        "FilterGroupId": group_id,
        "CrossDataset": cross_dataset,
        "Filters": filters,
        "ScopeConfiguration": {"SelectedSheets": {"SheetVisualScopingConfigurations": [scope]}},
        "Status": "ENABLED",
    }


def _user_of_control(control: FilterControl) -> str:
    return f"filter control {control.filter_id!r}"


def _sheet_filter(control: FilterControl) -> dict:
    user = _user_of_control(control)
    if column_type(control.data_set, control.column, user) == "DATETIME":
        return {"TimeRangeFilter": _time_range(control.filter_id, control.data_set, control.column, user,
                                               "ALL_VALUES")}
    return {"CategoryFilter": {"FilterId": control.filter_id, "Column": column(control.data_set, control.column, user),
                               "Configuration": {"FilterListConfiguration": {
                                   "MatchOperator": "CONTAINS", "SelectAllOptions": "FILTER_ALL_VALUES",
                                   "NullOption": "ALL_VALUES"}}}}


def filter_control(control: FilterControl) -> dict:
    """The control a sheet shows for its filter: a date range picker, or a multi-select list."""
    body = {"FilterControlId": f"{control.filter_id}-control", "Title": control.title,
            "SourceFilterId": control.filter_id}
    if column_type(control.data_set, control.column, _user_of_control(control)) == "DATETIME":
        return {"DateTimePicker": {**body, "Type": "DATE_RANGE"}}
    return {"Dropdown": {**body, "Type": "MULTI_SELECT"}}


def filter_groups(insights: tuple[Insight, ...], controls: tuple[FilterControl, ...]) -> list[dict]:
    """Every sheet control's group, then every visual's own group (visuals without filters have none)."""
    groups = [
        filter_group(f"{control.sheet}-{control.filter_id}", control.sheet, [_sheet_filter(control)],
                     cross_dataset="ALL_DATASETS" if control.all_data_sets else "SINGLE_DATASET")
        for control in controls
    ]
    for insight in insights:
        filters = visual_filters(insight)
        if filters:
            groups.append(filter_group(f"{insight.insight_id}-filters", insight.sheet, filters, [insight.insight_id]))
    return groups
