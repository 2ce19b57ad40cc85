"""The optional ingestion stack (-c ingestionEnabled=true): Spotify Web API -> S3 -> Athena."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from ingestion.infrastructure import SpotifyApiIngestion
from ingestion import QUERIES_DIR
from sql.queries import load_named_queries
from stacks.nag import ignore_cfn_lint_check
from stacks.pipeline_stack import SpotifyPipelineStack
from stacks.settings import Settings
from stacks.storage import access_log_bucket, delete_handler_logs_with_stack


class SpotifyIngestionStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, pipeline: SpotifyPipelineStack, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Its own log bucket: pointing at the pipeline's would make the two
        # stacks reference each other (the log bucket's policy names its sources).
        access_logs = access_log_bucket(self, "AccessLogs", remove_data_on_destroy=settings.remove_data_on_destroy)
        if settings.remove_data_on_destroy:
            # cfn-lint W3005: aws-cdk-lib's auto-delete handler DependsOn its role, which its GetAtt already implies.
            provider = self.node.find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider")
            ignore_cfn_lint_check(provider.node.find_child("Handler"), "W3005")
        self.ingestion = SpotifyApiIngestion(
            self, "SpotifyApi",
            resource_prefix=settings.resource_prefix,
            secret_arn=settings.ingestion_secret_arn,
            playlist_ids=settings.ingestion_playlist_ids,
            schedule=settings.ingestion_schedule,
            max_artists_per_run=settings.ingestion_max_artists_per_run,
            remove_data_on_destroy=settings.remove_data_on_destroy,
            access_logs=access_logs,
            database_name=settings.database_name,
            glue_security=pipeline.glue_security,
            workgroup_name=pipeline.athena.workgroup_name,
            queries=load_named_queries(QUERIES_DIR),
        )
        outputs = {
            "LandingBucket": self.ingestion.bucket.bucket_name,
            "CredentialsSecret": self.ingestion.secret_arn,
            "ExtractFunction": self.ingestion.extract.function_name,
            "TransformFunction": self.ingestion.transform.function_name,
            "FailedInvocationsQueue": self.ingestion.failures.queue_url,
            "ApiCrawlerName": self.ingestion.crawler.ref,
        }
        for name, value in outputs.items():
            CfnOutput(self, name, value=value)
        if settings.remove_data_on_destroy:
            delete_handler_logs_with_stack(self)
