"""Athena: an enforced, encrypted, cost-capped workgroup and the named queries from sql/athena/."""

from __future__ import annotations

from aws_cdk import Aws
from aws_cdk import aws_athena as athena
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from sql.queries import NamedQuery
from stacks.storage import RESULTS_PREFIX

ENGINE_VERSION = "Athena engine version 3"


class AthenaAnalytics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        database_name: str,
        results_bucket: s3.IBucket,
        results_key: kms.IKey,
        bytes_scanned_cutoff_mb: int,
        queries: list[NamedQuery],
    ) -> None:
        super().__init__(scope, construct_id)
        self.workgroup_name = f"{resource_prefix}-spotify"
        self.results_location = f"s3://{results_bucket.bucket_name}/{RESULTS_PREFIX}"
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=self.workgroup_name,
            description="Spotify pipeline queries: results encrypted, settings enforced, scans capped",
            state="ENABLED",
            # Without it `cdk destroy` fails with "WorkGroup is not empty" once queries ran.
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ENGINE_VERSION),
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff_mb * 1024 * 1024,
                requester_pays_enabled=False,
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=self.results_location,
                    expected_bucket_owner=Aws.ACCOUNT_ID,
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=results_key.key_arn
                    ),
                ),
            ),
        )
        self.named_queries = {}
        for query in queries:
            named_query = named_query_for(
                self, query, resource_prefix=resource_prefix, database_name=database_name,
                workgroup_name=self.workgroup.name,
            )
            named_query.node.add_dependency(self.workgroup)
            self.named_queries[query.query_id] = named_query


def named_query_for(
    scope: Construct, query: NamedQuery, *, resource_prefix: str, database_name: str, workgroup_name: str
) -> athena.CfnNamedQuery:
    """One .sql file as an Athena named query, titled `<prefix>: <Title>` in the console."""
    return athena.CfnNamedQuery(
        scope,
        f"Query-{query.query_id}",
        name=f"{resource_prefix}: {query.title}",
        description=query.description[:1024],
        database=database_name,
        query_string=query.text,
        work_group=workgroup_name,
    )
