"""The pipeline stack: storage -> Glue job -> crawler (tracks) and run-history tables -> workflow -> Athena."""

from __future__ import annotations

import os

from aws_cdk import Annotations, CfnOutput, RemovalPolicy, Stack
from constructs import Construct

from sql.queries import load_named_queries
from stacks.athena_analytics import AthenaAnalytics
from stacks.catalog import TracksCatalog
from stacks.etl_job import GlueSecurity, SpotifyEtlJob
from stacks.orchestration import PipelineWorkflow
from stacks.quicksight import QuickSightAnalytics
from stacks.quicksight_dashboard import QuickSightDashboard
from stacks.run_history import RunHistoryCatalog
from stacks.settings import Settings
from stacks.storage import DataLakeStorage

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ETL_SCRIPT = os.path.join(ROOT, "glue_scripts", "spotify_etl.py")
ETL_PACKAGE = os.path.join(ROOT, "etl")  # what the script imports, shipped beside it as a zip
SAMPLE_DATA = os.path.join(ROOT, "data")


class SpotifyPipelineStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = settings.resource_prefix
        removal = RemovalPolicy.DESTROY if settings.remove_data_on_destroy else RemovalPolicy.RETAIN

        self.storage = DataLakeStorage(
            self,
            "Storage",
            remove_data_on_destroy=settings.remove_data_on_destroy,
            results_expiration_days=settings.athena_results_expiration_days,
            sample_data_path=SAMPLE_DATA if settings.deploy_sample_data else None,
        )
        security = GlueSecurity(
            self, "GlueSecurity", name=f"{prefix}-spotify-encryption", data_key=self.storage.data_key, removal=removal
        )
        self.glue_security = security
        self.etl = SpotifyEtlJob(
            self,
            "Etl",
            settings=settings,
            script_path=ETL_SCRIPT,
            package_path=ETL_PACKAGE,
            staging=self.storage.staging,
            warehouse=self.storage.warehouse,
            data_key=self.storage.data_key,
            security=security,
        )
        self.catalog = TracksCatalog(
            self,
            "Catalog",
            resource_prefix=prefix,
            database_name=settings.database_name,
            warehouse=self.storage.warehouse,
            data_key=self.storage.data_key,
            security=security,
        )
        # Declared, not crawled: a failed run's records must be queryable without the crawl a success starts.
        self.run_history = RunHistoryCatalog(
            self,
            "RunHistory",
            database=self.catalog.database,
            database_name=settings.database_name,
            warehouse=self.storage.warehouse,
        )
        self.workflow = PipelineWorkflow(
            self,
            "Orchestration",
            resource_prefix=prefix,
            job=self.etl.job,
            crawler=self.catalog.crawler,
            schedule=settings.pipeline_schedule,
        )
        self.athena = AthenaAnalytics(
            self,
            "Athena",
            resource_prefix=prefix,
            database_name=settings.database_name,
            results_bucket=self.storage.athena_results,
            results_key=self.storage.data_key,
            bytes_scanned_cutoff_mb=settings.athena_bytes_scanned_cutoff_mb,
            queries=load_named_queries(),
        )
        self.quicksight = None
        self.quicksight_dashboard = None
        if settings.quicksight_enabled:
            self.quicksight = QuickSightAnalytics(
                self,
                "QuickSight",
                resource_prefix=prefix,
                principal_arn=settings.quicksight_principal_arn,
                workgroup_name=self.athena.workgroup_name,
                database_name=settings.database_name,
                table_name=self.catalog.table_name,
                history_tables=self.run_history.table_names,
                warehouse=self.storage.warehouse,
                athena_results=self.storage.athena_results,
                data_key=self.storage.data_key,
            )
            # A dataset names its table: CloudFormation creates the declared history tables first.
            for table_name, table in self.run_history.tables.items():
                self.quicksight.data_sets[table_name].node.add_dependency(table)
            self.quicksight_dashboard = QuickSightDashboard(
                self,
                "QuickSightDashboard",
                resource_prefix=prefix,
                owner_arn=settings.quicksight_principal_arn,
                viewer_arns=settings.quicksight_viewer_arns,
                data_sets=self.quicksight.data_sets,
            )
        else:
            Annotations.of(self).add_info(
                "QuickSight data source, dataset, analysis and dashboard are not created. To create them, pass your "
                "QuickSight user or group ARN: -c quicksightPrincipalArn="
                "arn:aws:quicksight:<identity-region>:<account>:user/default/<user-name>"
            )

        outputs = {
            "StagingBucket": self.storage.staging.bucket_name,
            "WarehouseBucket": self.storage.warehouse.bucket_name,
            "AthenaResultsBucket": self.storage.athena_results.bucket_name,
            "GlueJobName": self.etl.job.job_name,
            "CrawlerName": self.catalog.crawler.ref,
            "WorkflowName": self.workflow.workflow.workflow_name,
            "DatabaseName": settings.database_name,
            "TracksTable": f"{settings.database_name}.{self.catalog.table_name}",
            "AthenaWorkGroup": self.athena.workgroup_name,
            "RunHistoryTables": ",".join(f"{settings.database_name}.{t}" for t in self.run_history.table_names),
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
