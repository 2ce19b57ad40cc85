"""The run history's Glue tables (pipeline_runs, pipeline_run_files, pipeline_run_gates), declared here.

Not crawled: the workflow crawls only after a succeeded job, so the day partition of a failed run, the
run the history exists for, would stay invisible. The columns come from etl.history's schemas, the one
place the tables are written down, and partition projection computes the run_date partitions from the
table's parameters, so Athena and QuickSight see a new day without a crawl or an ALTER TABLE.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct
from pyspark.sql import types as T

from etl.history import FILES_TABLE, GATES_TABLE, HISTORY_PARTITION, HISTORY_TABLES, RUNS_TABLE

PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
# Spark type (its simpleString) -> Glue / Hive column type: the types etl.history writes.
GLUE_TYPES = {
    "string": "string",
    "timestamp": "timestamp",
    "double": "double",
    "bigint": "bigint",
    "boolean": "boolean",
}
# The first day a run can have recorded itself (the history shipped in December 2026); Athena projects
# one partition per day from there to today, and an empty day costs nothing but an S3 listing.
FIRST_RUN_DATE = "2026-12-01"
PROJECTION_PARAMETERS = {
    "classification": "parquet",
    "projection.enabled": "true",
    f"projection.{HISTORY_PARTITION}.type": "date",
    f"projection.{HISTORY_PARTITION}.format": "yyyy-MM-dd",
    f"projection.{HISTORY_PARTITION}.range": f"{FIRST_RUN_DATE},NOW",
    f"projection.{HISTORY_PARTITION}.interval": "1",
    f"projection.{HISTORY_PARTITION}.interval.unit": "DAYS",
}
# What one row of each table is, for the catalog's table description (a new table needs its line here).
ROWS = {RUNS_TABLE: "one row per run", FILES_TABLE: "one row per run and input file",
        GATES_TABLE: "one row per run and data-quality gate"}


def glue_columns(schema: T.StructType) -> list[tuple[str, str]]:
    """(name, Glue type) per field, in the schema's order; a type the table cannot declare stops synth."""
    columns = []
    for field in schema.fields:
        spark_type = field.dataType.simpleString()
        if spark_type not in GLUE_TYPES:
            raise ValueError(f"etl/history.py: column {field.name!r} has the Spark type {spark_type!r}, "
                             f"which stacks/run_history.py cannot catalog (known: {', '.join(GLUE_TYPES)})")
        columns.append((field.name, GLUE_TYPES[spark_type]))
    return columns


def pascal_case(table: str) -> str:
    """pipeline_run_files -> PipelineRunFiles: a construct id."""
    return "".join(word.title() for word in table.split("_"))


class RunHistoryCatalog(Construct):
    """One external Parquet table per history table, in the pipeline's database, at <warehouse>/<table>/."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database: glue.CfnDatabase,
        database_name: str,
        warehouse: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[str, glue.CfnTable] = {}
        for table, schema in HISTORY_TABLES.items():
            cfn_table = glue.CfnTable(
                self,
                pascal_case(table),
                catalog_id=Aws.ACCOUNT_ID,
                database_name=database_name,
                table_input=glue.CfnTable.TableInputProperty(
                    name=table,
                    description=f"The Glue job's run history (etl/history.py), {ROWS[table]}: one Parquet file per "
                    f"run under {HISTORY_PARTITION}=YYYY-MM-DD, the UTC day it started",
                    table_type="EXTERNAL_TABLE",
                    parameters=PROJECTION_PARAMETERS,
                    partition_keys=[glue.CfnTable.ColumnProperty(
                        name=HISTORY_PARTITION, type="string", comment="The UTC day the run started (yyyy-MM-dd)")],
                    storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                        columns=[glue.CfnTable.ColumnProperty(name=name, type=glue_type)
                                 for name, glue_type in glue_columns(schema)],
                        location=f"s3://{warehouse.bucket_name}/{table}/",
                        input_format=PARQUET_INPUT_FORMAT,
                        output_format=PARQUET_OUTPUT_FORMAT,
                        serde_info=glue.CfnTable.SerdeInfoProperty(serialization_library=PARQUET_SERDE),
                    ),
                ),
            )
            # The database is named by a literal, not a Ref: CloudFormation must create it first.
            cfn_table.node.add_dependency(database)
            self.tables[table] = cfn_table

    @property
    def table_names(self) -> tuple[str, ...]:
        return tuple(self.tables)
