"""QuickSight: an Athena data source with its own role, and a dataset over each table the dashboard reads
(tracks and the run history's three tables).

Created only when a QuickSight principal ARN is configured: QuickSight needs
an account subscription that sandbox accounts often lack.
"""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_quicksight as quicksight
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.catalog import catalog_arns
from stacks.dataset_columns import INPUT_COLUMNS
from stacks.nag import account_arn, acknowledge, arn_of, wildcard_resource
from stacks.storage import RESULTS_PREFIX

DATA_SOURCE_ACTIONS = [
    "quicksight:DescribeDataSource",
    "quicksight:DescribeDataSourcePermissions",
    "quicksight:PassDataSource",
    "quicksight:UpdateDataSource",
    "quicksight:DeleteDataSource",
    "quicksight:UpdateDataSourcePermissions",
]
DATA_SET_ACTIONS = [
    "quicksight:DescribeDataSet",
    "quicksight:DescribeDataSetPermissions",
    "quicksight:PassDataSet",
    "quicksight:DescribeIngestion",
    "quicksight:ListIngestions",
    "quicksight:UpdateDataSet",
    "quicksight:DeleteDataSet",
    "quicksight:CreateIngestion",
    "quicksight:CancelIngestion",
    "quicksight:UpdateDataSetPermissions",
]


class QuickSightAnalytics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        principal_arn: str,
        workgroup_name: str,
        database_name: str,
        table_name: str,
        history_tables: tuple[str, ...],
        warehouse: s3.IBucket,
        athena_results: s3.IBucket,
        data_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "DataSourceRole",
            assumed_by=iam.ServicePrincipal("quicksight.amazonaws.com"),
            description="QuickSight reads the Spotify tracks and run-history tables through the Athena workgroup",
        )
        workgroup_arn = f"arn:{Aws.PARTITION}:athena:{Aws.REGION}:{Aws.ACCOUNT_ID}:workgroup/{workgroup_name}"
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="QueryThroughWorkgroup",
                actions=[
                    "athena:GetWorkGroup",
                    "athena:StartQueryExecution",
                    "athena:StopQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:GetQueryResultsStream",
                    "athena:BatchGetQueryExecution",
                    "athena:ListQueryExecutions",
                ],
                resources=[workgroup_arn],
            )
        )
        # Aligned with Athena's example policies and QuickSight's own AWSQuicksightAthenaAccess: listing
        # catalogs and workgroups accepts only "*" (Service Authorization Reference, Amazon Athena).
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListCatalogsAndWorkGroups",
                actions=["athena:ListDataCatalogs", "athena:ListWorkGroups"],
                resources=["*"],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="BrowseDefaultCatalog",
                actions=[
                    "athena:GetDataCatalog",
                    "athena:ListDatabases",
                    "athena:GetDatabase",
                    "athena:ListTableMetadata",
                    "athena:GetTableMetadata",
                ],
                resources=[f"arn:{Aws.PARTITION}:athena:{Aws.REGION}:{Aws.ACCOUNT_ID}:datacatalog/AwsDataCatalog"],
            )
        )
        glue_arn = f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}"
        # Athena needs the catalog and the `default` database of the region besides the queried one
        # ("Configure access to databases and tables in the AWS Glue Data Catalog":
        # https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html).
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ResolveDefaultAndOwnDatabase",
                actions=["glue:GetDatabase"],
                resources=[
                    f"{glue_arn}:catalog",
                    f"{glue_arn}:database/default",
                    f"{glue_arn}:database/{database_name}",
                ],
            )
        )
        # Listing databases (QuickSight's schema picker, SHOW DATABASES) is authorized on every database
        # of the catalog; it returns database names and properties, no table or data.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListDatabases",
                actions=["glue:GetDatabases"],
                resources=[f"{glue_arn}:catalog", f"{glue_arn}:database/*"],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadOwnDatabaseTablesAndPartitions",
                actions=[
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ],
                resources=catalog_arns(database_name),
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTracksParquet",
                actions=["s3:GetObject"],
                resources=[warehouse.arn_for_objects(f"{table_name}/*")],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadRunHistoryParquet",
                actions=["s3:GetObject"],
                resources=[warehouse.arn_for_objects(f"{table}/*") for table in history_tables],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadWriteQueryResults",
                actions=["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                resources=[athena_results.arn_for_objects(f"{RESULTS_PREFIX}*")],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="LocateAndListBuckets",
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=[warehouse.bucket_arn, athena_results.bucket_arn],
            )
        )
        # Athena's results-bucket grants in its example policies include listing multipart uploads.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListResultsMultipartUploads",
                actions=["s3:ListBucketMultipartUploads"],
                resources=[athena_results.bucket_arn],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="UseDataKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
                resources=[data_key.key_arn],
            )
        )

        self.data_source = quicksight.CfnDataSource(
            self,
            "AthenaDataSource",
            aws_account_id=Aws.ACCOUNT_ID,
            data_source_id=f"{resource_prefix}-spotify-athena",
            name=f"{resource_prefix} Spotify (Athena)",
            type="ATHENA",
            data_source_parameters=quicksight.CfnDataSource.DataSourceParametersProperty(
                athena_parameters=quicksight.CfnDataSource.AthenaParametersProperty(
                    work_group=workgroup_name, role_arn=self.role.role_arn
                )
            ),
            ssl_properties=quicksight.CfnDataSource.SslPropertiesProperty(disable_ssl=False),
            permissions=[
                quicksight.CfnDataSource.ResourcePermissionProperty(
                    principal=principal_arn, actions=DATA_SOURCE_ACTIONS
                )
            ],
        )
        # QuickSight checks the role when it creates the data source: wait for its policy.
        self.data_source.node.add_dependency(self.role.node.find_child("DefaultPolicy"))
        reasons = {
            f"{arn_of(warehouse)}/{table_name}/*": "QuickSight reads every Parquet file of the tracks table only.",
            **{
                f"{arn_of(warehouse)}/{table}/*": f"QuickSight reads the {table} run-history table only: one Parquet "
                "file per run, named after the run id at run time under its run_date partition."
                for table in history_tables
            },
            f"{arn_of(athena_results)}/{RESULTS_PREFIX}*": "Athena writes one result object per query under results/.",
            account_arn("glue", f"table/{database_name}/*"): (
                "QuickSight lists and reads the tables of this database only."
            ),
            account_arn("glue", "database/*"): "glue:GetDatabases (listing databases in QuickSight's schema picker) "
            "is authorized on every database of the catalog; it returns names and properties, never tables or data.",
            "*": "athena:ListDataCatalogs and athena:ListWorkGroups accept only the resource \"*\" (Service "
            "Authorization Reference for Amazon Athena); QuickSight lists them when it opens the data source.",
        }
        for resource, reason in reasons.items():
            acknowledge(self.role, wildcard_resource(resource), reason)

        # One dataset per table, keyed by the table's name (the dashboard's dataset identifier).
        self.data_sets = {
            table: self._data_set(resource_prefix, principal_arn, database_name, table)
            for table in (table_name, *history_tables)
        }

    def _data_set(self, resource_prefix: str, principal_arn: str, database_name: str, table: str
                  ) -> quicksight.CfnDataSet:
        """A DIRECT_QUERY dataset over one table of the database: every visual queries Athena live."""
        words = table.split("_")
        hyphenated = "-".join(words)  # dataset ids read better so, and physical table keys allow no "_"
        return quicksight.CfnDataSet(
            self,
            f"{''.join(w.title() for w in words)}DataSet",
            aws_account_id=Aws.ACCOUNT_ID,
            data_set_id=f"{resource_prefix}-spotify-{hyphenated}",
            name=f"{resource_prefix} Spotify {' '.join(words)}",
            import_mode="DIRECT_QUERY",
            physical_table_map={
                hyphenated: quicksight.CfnDataSet.PhysicalTableProperty(
                    relational_table=quicksight.CfnDataSet.RelationalTableProperty(
                        data_source_arn=self.data_source.attr_arn,
                        catalog="AwsDataCatalog",
                        schema=database_name,
                        name=table,
                        input_columns=[
                            quicksight.CfnDataSet.InputColumnProperty(name=name, type=column_type)
                            for name, column_type in INPUT_COLUMNS[table].items()
                        ],
                    )
                )
            },
            permissions=[
                quicksight.CfnDataSet.ResourcePermissionProperty(principal=principal_arn, actions=DATA_SET_ACTIONS)
            ],
        )
