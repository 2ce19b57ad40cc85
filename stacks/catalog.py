"""Glue Data Catalog: the database and the crawler that registers the `tracks` table."""

from __future__ import annotations

import json

from aws_cdk import Aws
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from stacks.etl_job import GlueSecurity
from stacks.nag import account_arn, acknowledge, arn_of, wildcard_resource

TRACKS_TABLE = "tracks"
# What a crawler needs to create and update its tables and their partitions.
CRAWLER_CATALOG_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
]
# Spark's marker files and temporary folders are not data.
CRAWLER_EXCLUSIONS = ["_*", "**/_*", ".*", "**/.*"]


def crawler_bucket_listing(bucket: s3.IBucket) -> iam.PolicyStatement:
    """ListBucket and GetBucketLocation on the target bucket, unconditioned, as AWS's crawler prerequisites
    grant them (https://docs.aws.amazon.com/glue/latest/dg/crawler-prereqs.html): Glue validates the S3
    target with the crawler's role when the crawler is created, without a prefix, so an s3:prefix
    condition fails the deploy ("Unable to validate existence of s3 target")."""
    return iam.PolicyStatement(
        sid="ListTargetBucket", actions=["s3:ListBucket", "s3:GetBucketLocation"], resources=[bucket.bucket_arn]
    )


def catalog_arns(database_name: str) -> list[str]:
    """The catalog, one database and its tables: all a crawler or reader may touch."""
    prefix = f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    return [f"{prefix}:catalog", f"{prefix}:database/{database_name}", f"{prefix}:table/{database_name}/*"]


class TracksCatalog(Construct):
    """Database `<prefix>_spotify` and a crawler over s3://<warehouse>/tracks/.

    The table is always named `tracks`: the crawler is told that the table sits
    at the second folder level (bucket/tracks), so partition folders never turn
    into tables of their own.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        database_name: str,
        warehouse: s3.IBucket,
        data_key: kms.IKey,
        security: GlueSecurity,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database_name = database_name
        self.table_name = TRACKS_TABLE
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=database_name,
                description="Spotify 2023 tracks joined with albums and artists (written by the Glue job)",
            ),
        )

        self.role = iam.Role(
            self,
            "CrawlerRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Spotify tracks crawler: reads warehouse tracks/, maintains its own database",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="MaintainOwnDatabaseTables",
                actions=CRAWLER_CATALOG_ACTIONS,
                resources=catalog_arns(database_name),
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadTracksParquet",
                actions=["s3:GetObject"],
                resources=[warehouse.arn_for_objects(f"{TRACKS_TABLE}/*")],
            )
        )
        self.role.add_to_principal_policy(crawler_bucket_listing(warehouse))
        data_key.grant_decrypt(self.role)
        security.grant_logging(self.role, "/aws-glue/crawlers*")
        security.acknowledge_logging(self.role, "/aws-glue/crawlers*")
        acknowledge(
            self.role,
            wildcard_resource(f"{arn_of(warehouse)}/{TRACKS_TABLE}/*"),
            "The crawler reads every Parquet file of the tracks table; access is limited to the tracks/ prefix.",
        )
        acknowledge(
            self.role,
            wildcard_resource(account_arn("glue", f"table/{database_name}/*")),
            "The crawler creates and updates the tables of its own database only; table names come from folders.",
        )

        self.crawler = glue.CfnCrawler(
            self,
            "Crawler",
            name=f"{resource_prefix}-spotify-tracks",
            description="Registers the tracks table and its release_year partitions",
            role=self.role.role_arn,
            database_name=database_name,
            crawler_security_configuration=security.configuration.security_configuration_name,
            targets=glue.CfnCrawler.TargetsProperty(
                s3_targets=[
                    glue.CfnCrawler.S3TargetProperty(
                        path=f"s3://{warehouse.bucket_name}/{TRACKS_TABLE}/", exclusions=CRAWLER_EXCLUSIONS
                    )
                ]
            ),
            # Columns and types follow the Parquet files in place; a vanished
            # folder is only logged, never a dropped table.
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG"
            ),
            # CRAWL_NEW_FOLDERS_ONLY would require update_behavior LOG; new
            # partitions instead inherit the table's schema on every crawl.
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(recrawl_behavior="CRAWL_EVERYTHING"),
            configuration=json.dumps(
                {
                    "Version": 1.0,
                    "CrawlerOutput": {"Partitions": {"AddOrUpdateBehavior": "InheritFromTable"}},
                    "Grouping": {"TableGroupingPolicy": "CombineCompatibleSchemas", "TableLevelConfiguration": 2},
                },
                sort_keys=True,
            ),
        )
        self.crawler.node.add_dependency(self.database)
