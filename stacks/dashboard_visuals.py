"""QuickSight visuals from the insight declarations (view/insights.py), PascalCase as the Definition carries them.

Every field is typed by its own insight's dataset (`Insight.data_set`: tracks or one of the run history's
tables): a column that dataset lacks, or a type its field well cannot hold, stops synth naming the insight,
instead of failing the deploy when QuickSight validates the Definition.
"""

from __future__ import annotations

from stacks.dataset_columns import INPUT_COLUMNS
from view.insights import (
    BAR,
    CALCULATED_FIELDS,
    HISTOGRAM,
    KPI,
    LINE,
    PIE,
    SCATTER,
    TABLE,
    Field,
    Insight,
)

NUMERIC_TYPES = ("INTEGER", "DECIMAL")
# QuickSight draws one measure per colour: with a series in the Colors well, a line chart has one value.
MEASURES_WITH_SERIES = 1


def column_types(data_set: str) -> dict[str, str]:
    """Every column a visual over this dataset may use: its input columns and its calculated fields."""
    return {
        **INPUT_COLUMNS[data_set],
        **{c.name: c.column_type for c in CALCULATED_FIELDS if c.data_set == data_set},
    }


def column_type(data_set: str, name: str, user: str) -> str:
    """The column's QuickSight type in this dataset; `user` (an insight, a filter control) names the culprit."""
    if data_set not in INPUT_COLUMNS:
        raise ValueError(f"{user}: unknown dataset {data_set!r} (the stack has {', '.join(INPUT_COLUMNS)})")
    types = column_types(data_set)
    if name not in types:
        raise ValueError(f"{user}: column {name!r} is neither in the {data_set} dataset nor one of its "
                         "calculated fields")
    return types[name]


def column(data_set: str, name: str, user: str) -> dict:
    column_type(data_set, name, user)
    return {"DataSetIdentifier": data_set, "ColumnName": name}


def user_of(insight: Insight) -> str:
    return f"insight {insight.insight_id!r}"


def _field_id(insight: Insight, field: Field) -> str:
    return f"{insight.insight_id}-{field.field_id}"


def _typed(insight: Insight, field: Field) -> tuple[str, dict]:
    """The field's column type and its FieldId and Column, the body every kind of field shares."""
    data_type = column_type(insight.data_set, field.column, user_of(insight))
    body = {"FieldId": _field_id(insight, field),
            "Column": {"DataSetIdentifier": insight.data_set, "ColumnName": field.column}}
    return data_type, body


def _dimension(insight: Insight, field: Field) -> dict:
    data_type, body = _typed(insight, field)
    if data_type == "DATETIME":
        return {"DateDimensionField": {**body, "DateGranularity": field.date_granularity or "DAY"}}
    if data_type in NUMERIC_TYPES:
        return {"NumericalDimensionField": body}
    if data_type == "STRING":
        return {"CategoricalDimensionField": body}
    raise ValueError(f"{user_of(insight)}: cannot group by {field.column} ({data_type})")


def _measure(insight: Insight, field: Field) -> dict:
    data_type, body = _typed(insight, field)
    if data_type in NUMERIC_TYPES:
        if field.aggregation:
            body["AggregationFunction"] = {"SimpleNumericalAggregation": field.aggregation}
        return {"NumericalMeasureField": body}
    if field.aggregation in ("COUNT", "DISTINCT_COUNT"):
        return {"CategoricalMeasureField": {**body, "AggregationFunction": field.aggregation}}
    raise ValueError(f"{user_of(insight)}: cannot aggregate {field.column} ({data_type})")


def _unaggregated(insight: Insight, field: Field) -> dict:
    return _typed(insight, field)[1]


def _sort(insight: Insight) -> list[dict]:
    field = next(f for f in insight.fields if f.field_id == insight.sort_field)
    direction = "DESC" if insight.sort_descending else "ASC"
    return [{"FieldSort": {"FieldId": _field_id(insight, field), "Direction": direction}}]


def _limit(insight: Insight) -> dict:
    return {"ItemsLimit": insight.limit, "OtherCategories": "EXCLUDE"}


def _over_time(insight: Insight) -> bool:
    """Whether a dimension is a date finer than a year: a run history, where one run must still show."""
    return any(
        column_type(insight.data_set, f.column, user_of(insight)) == "DATETIME" and f.date_granularity != "YEAR"
        for f in insight.dimensions
    )


def _line_chart(insight: Insight, dimensions: list[dict], measures: list[dict]) -> dict:
    wells = {"Category": dimensions, "Values": measures}
    if insight.series:
        if len(measures) != MEASURES_WITH_SERIES:
            raise ValueError(f"{user_of(insight)}: a line chart with a series (Colors) draws exactly one measure")
        wells["Colors"] = [_dimension(insight, insight.series)]
    if insight.small_multiples:
        wells["SmallMultiples"] = [_dimension(insight, insight.small_multiples)]
    configuration = {
        "FieldWells": {"LineChartAggregatedFieldWells": wells},
        "SortConfiguration": {"CategorySort": _sort(insight)},
    }
    # Further measures get their own axis (counts and 0-100 popularity do not share a scale), unless the
    # insight compares them on one (a gate's measured value and its threshold).
    secondary = [] if insight.one_axis else insight.measures[1:]
    if secondary:
        configuration["Series"] = [
            {"FieldSeriesItem": {"FieldId": _field_id(insight, f), "AxisBinding": "SECONDARY_YAXIS"}}
            for f in secondary
        ]
    if _over_time(insight):
        # A line needs two points; a history of one run would otherwise be an empty chart.
        configuration["DefaultSeriesSettings"] = {"MarkerStyleSettings": {"MarkerVisibility": "VISIBLE"}}
    if insight.small_multiples:
        # Each panel its own y scale: a row count and a rate cannot share one.
        configuration["SmallMultiplesOptions"] = {"YAxis": {"Scale": "INDEPENDENT"}}
    return configuration


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
        return "LineChartVisual", _line_chart(insight, dimensions, measures)
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
    raise ValueError(f"{user_of(insight)}: unknown chart kind {insight.chart!r}")


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
