"""The view layer, shared by the laptop (`local_pipeline`) and the cloud operator
command line: how query results are printed and drawn. Nothing here knows
where the results came from (DuckDB locally, Athena in the cloud)."""
