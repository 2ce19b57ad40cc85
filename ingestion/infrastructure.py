"""Spotify Web API ingestion: secret, scheduled extract Lambda, S3-triggered transform
Lambda, failure queue and alarms, crawler and named queries. Runtime code: ./runtime."""

from __future__ import annotations

import os

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3_notifications
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from sql.queries import NamedQuery
from stacks.athena_analytics import named_query_for
from stacks.catalog import CRAWLER_CATALOG_ACTIONS, catalog_arns, crawler_bucket_listing
from stacks.etl_job import GlueSecurity
from stacks.nag import account_arn, acknowledge, arn_of, ignore_cfn_lint_check, wildcard_resource
from stacks.storage import rotating_key

RUNTIME = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime")
TO_PROCESS, PROCESSED, ERRORS, TRANSFORMED = (
    "raw_data/to_processed/", "raw_data/processed/", "raw_data/errors/", "transformed_data/")
# The current state (replaced by each run) and the history (a file per run): ingestion/runtime/transform.py.
DATASETS = ("songs_data", "albums_data", "artists_data", "playlist_tracks_data", "playlist_tracks_history")
CURRENT_RUN = f"{TRANSFORMED}_state/current_run.json"
TABLE_PREFIX = "api_"


class SpotifyApiIngestion(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        resource_prefix: str,
        secret_arn: str | None,
        playlist_ids: tuple[str, ...],
        schedule: str,
        max_artists_per_run: int,
        remove_data_on_destroy: bool,
        access_logs: s3.IBucket,
        database_name: str,
        glue_security: GlueSecurity,
        workgroup_name: str,
        queries: list[NamedQuery],
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.DESTROY if remove_data_on_destroy else RemovalPolicy.RETAIN
        self.key = rotating_key(self, "Key", "Encrypts the Spotify API landing bucket and the credentials secret",
                                removal)
        self.bucket = s3.Bucket(
            self, "Landing", encryption=s3.BucketEncryption.KMS, encryption_key=self.key, bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs, server_access_logs_prefix="spotify-api/",
            lifecycle_rules=[s3.LifecycleRule(abort_incomplete_multipart_upload_after=Duration.days(1))],
            removal_policy=removal, auto_delete_objects=remove_data_on_destroy,
        )
        # Created without a value: the client id and secret never appear in code or templates. Its name is
        # generated (stack output CredentialsSecret), so a destroy and redeploy never collide with a kept
        # secret; it holds nothing the Spotify dashboard cannot give again, so it goes with the stack.
        # Credentials that outlive the stack live in a secret of the user's own, adopted by ARN.
        self.secret_arn = secret_arn
        self.secret = None
        if secret_arn is None:
            self.secret = secretsmanager.CfnSecret(
                self, "Credentials", kms_key_id=self.key.key_arn,
                description='Spotify consent as {"client_id", "client_secret", "refresh_token", "consented_at"}; '
                            f'set by: make cloud ARGS="spotify-login --prefix {resource_prefix}"',
            )
            self.secret.apply_removal_policy(RemovalPolicy.DESTROY)
            self.secret_arn = self.secret.ref
        # SQS-managed encryption: a KMS-encrypted queue would need kms:*DataKey* wildcards on both roles.
        self.failures = sqs.Queue(
            self, "FailedInvocations", encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True, retention_period=Duration.days(14),
        )
        environment = {
            "RESOURCE_PREFIX": resource_prefix,  # for the message that names the consent command
            "BUCKET_NAME": self.bucket.bucket_name,
            "SECRET_ARN": self.secret_arn,
            "PLAYLIST_IDS": ",".join(playlist_ids),
            "MAX_ARTISTS_PER_RUN": str(max_artists_per_run),
            "SPOTIFY_API_BASE_URL": "https://api.spotify.com",
            "SPOTIFY_ACCOUNTS_URL": "https://accounts.spotify.com",
        }
        self.extract = self._function("Extract", "extract.handler", environment, timeout=Duration.minutes(5))
        # PutSecretValue: Spotify may rotate the refresh token on a refresh, and the new one must be kept.
        self._allow(self.extract, "ReadConsentAndKeepRotatedToken",
                    ["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], [self.secret_arn])
        self._allow(self.extract, "WriteRawFiles", ["s3:PutObject"], [self.bucket.arn_for_objects(f"{TO_PROCESS}*")])
        self._allow(self.extract, "UseKey", ["kms:Decrypt", "kms:GenerateDataKey"], [self.key.key_arn])
        # No reserved concurrency: Lambda keeps 100 unreserved executions per account, and new accounts
        # often have a quota of 10, so reserving even 1 fails the deploy there
        # (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). Overlapping runs
        # are harmless: each writes its own raw file, named after its start time.
        self.schedule = events.Rule(
            self, "Schedule", description="Pull the configured playlists from the Spotify Web API",
            schedule=events.Schedule.expression(schedule),
            targets=[targets.LambdaFunction(self.extract, retry_attempts=0)],
        )

        self.transform = self._function("Transform", "transform.handler", {}, timeout=Duration.minutes(2))
        self._allow(self.transform, "ReadAndRemoveRawFiles", ["s3:GetObject", "s3:DeleteObject"],
                    [self.bucket.arn_for_objects(f"{TO_PROCESS}*")])
        self._allow(self.transform, "WriteOutputsAndMovedFiles", ["s3:PutObject"],
                    [self.bucket.arn_for_objects(f"{prefix}*") for prefix in (PROCESSED, ERRORS, TRANSFORMED)])
        self._allow(self.transform, "ReadWhichRunIsCurrent", ["s3:GetObject"],
                    [self.bucket.arn_for_objects(CURRENT_RUN)])
        self._allow(self.transform, "UseKey", ["kms:Decrypt", "kms:GenerateDataKey"], [self.key.key_arn])
        # Without s3:ListBucket, S3 answers GetObject on a missing key with 403 AccessDenied instead of 404
        # NoSuchKey (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"), and
        # a redelivered event for an already moved file would fail instead of being recognised as done.
        self._allow(self.transform, "ListLandingBucket", ["s3:ListBucket"], [self.bucket.bucket_arn])
        self.bucket.add_event_notification(
            s3.EventType.OBJECT_CREATED,
            s3_notifications.LambdaDestination(self.transform),
            s3.NotificationKeyFilter(prefix=TO_PROCESS, suffix=".json"),
        )
        for function in (self.extract, self.transform):
            # cfn-lint W3005: aws-cdk-lib makes the function DependsOn its role, which the Role GetAtt implies.
            ignore_cfn_lint_check(function.node.default_child, "W3005")
            function.configure_async_invoke(
                on_failure=destinations.SqsDestination(self.failures), retry_attempts=2,
                max_event_age=Duration.hours(6),
            )
            cloudwatch.Alarm(
                self, f"{function.node.id}Errors", metric=function.metric_errors(period=Duration.minutes(5)),
                threshold=1, evaluation_periods=1, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                alarm_description=f"The Spotify {function.node.id.lower()} Lambda failed",
            )
        cloudwatch.Alarm(
            self, "FailedInvocationsWaiting", metric=self.failures.metric_approximate_number_of_messages_visible(),
            threshold=1, evaluation_periods=1, treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            alarm_description="Spotify ingestion events gave up after retries: inspect the queue",
        )

        self.crawler_role = iam.Role(self, "CrawlerRole", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
                                     description="Spotify API crawler: reads transformed_data/, maintains api_ tables")
        self.crawler_role.add_to_principal_policy(iam.PolicyStatement(
            sid="MaintainOwnDatabaseTables", resources=catalog_arns(database_name), actions=CRAWLER_CATALOG_ACTIONS))
        self.crawler_role.add_to_principal_policy(iam.PolicyStatement(
            sid="ReadTransformedData", actions=["s3:GetObject"],
            resources=[self.bucket.arn_for_objects(f"{TRANSFORMED}*")]))
        self.crawler_role.add_to_principal_policy(crawler_bucket_listing(self.bucket))
        self.crawler_role.add_to_principal_policy(iam.PolicyStatement(
            sid="DecryptData", actions=["kms:Decrypt"], resources=[self.key.key_arn]))
        glue_security.grant_logging(self.crawler_role, "/aws-glue/crawlers*")
        self.crawler = glue.CfnCrawler(
            self, "Crawler", name=f"{resource_prefix}-spotify-api", role=self.crawler_role.role_arn,
            description="Registers the api_ tables: songs, albums, artists, playlist_tracks (current), "
                        "playlist_tracks_history",
            database_name=database_name, table_prefix=TABLE_PREFIX,
            # The fixed name, not a cross-stack reference: the configuration lives in the pipeline stack.
            crawler_security_configuration=glue_security.configuration_name,
            targets=glue.CfnCrawler.TargetsProperty(s3_targets=[
                glue.CfnCrawler.S3TargetProperty(path=f"s3://{self.bucket.bucket_name}/{TRANSFORMED}{name}/")
                for name in DATASETS]),
            schema_change_policy=glue.CfnCrawler.SchemaChangePolicyProperty(
                update_behavior="UPDATE_IN_DATABASE", delete_behavior="LOG"),
            recrawl_policy=glue.CfnCrawler.RecrawlPolicyProperty(recrawl_behavior="CRAWL_EVERYTHING"),
            schedule=glue.CfnCrawler.ScheduleProperty(schedule_expression="cron(15 5 * * ? *)"),
        )
        for query in queries:
            athena_query = named_query_for(self, query, resource_prefix=resource_prefix, database_name=database_name,
                                           workgroup_name=workgroup_name)
            athena_query.node.add_dependency(self.crawler)
        self._acknowledge(database_name)

    def _function(self, name: str, handler: str, environment: dict, *, timeout: Duration) -> lambda_.Function:
        log_group = logs.LogGroup(self, f"{name}Logs", retention=logs.RetentionDays.ONE_MONTH,
                                  removal_policy=RemovalPolicy.DESTROY)
        role = iam.Role(self, f"{name}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"Spotify {name.lower()} Lambda")
        role.add_to_principal_policy(iam.PolicyStatement(
            sid="WriteOwnLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn]))
        return lambda_.Function(
            self, name, runtime=lambda_.Runtime.PYTHON_3_14, handler=handler,
            code=lambda_.Code.from_asset(RUNTIME, exclude=["__pycache__", "*.pyc"]),
            environment=environment, timeout=timeout, memory_size=256, role=role, log_group=log_group,
            architecture=lambda_.Architecture.ARM_64,
            description=f"Spotify Web API {name.lower()} (ingestion/runtime/{handler.split('.')[0]}.py)",
        )

    @staticmethod
    def _allow(function: lambda_.Function, sid: str, actions: list[str], resources: list[str]) -> None:
        function.add_to_role_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources))

    def _acknowledge(self, database_name: str) -> None:
        stack = Stack.of(self)
        bucket = arn_of(self.bucket)
        prefix_reason = ("Raw and transformed files are named per run at run time; access is limited to this prefix "
                         "of the ingestion bucket.")
        acknowledge(self.extract.role, wildcard_resource(f"{bucket}/{TO_PROCESS}*"), prefix_reason)
        for resource in (TO_PROCESS, PROCESSED, ERRORS, TRANSFORMED):
            acknowledge(self.transform.role, wildcard_resource(f"{bucket}/{resource}*"), prefix_reason)
        acknowledge(self.crawler_role, wildcard_resource(f"{bucket}/{TRANSFORMED}*"), prefix_reason)
        acknowledge(self.crawler_role, wildcard_resource(account_arn("glue", f"table/{database_name}/*")),
                    "The crawler maintains the api_ tables of the pipeline's database only.")
        GlueSecurity.acknowledge_logging(self.crawler_role, "/aws-glue/crawlers*")
        acknowledge(self.crawler, "AwsSolutions-GL1",
                    "The crawler uses the pipeline stack's security configuration "
                    "(CloudWatch logs encrypted with KMS), named here because it lives in that stack.")
        acknowledge(self.failures, "AwsSolutions-SQS3",
                    "This queue is the on-failure destination of the two Lambdas; it is the dead-letter store itself.")
        if self.secret is not None:
            acknowledge(self.secret, "AwsSolutions-SMG4",
                        "Third-party Spotify app credentials cannot be rotated by Secrets Manager; rotate them in "
                        "the Spotify developer dashboard and put the new value.")
        handler = stack.node.try_find_child("BucketNotificationsHandler050a0587b7544547bf325f094a3db834")
        if handler is not None:
            # cfn-lint W3005: aws-cdk-lib's handler DependsOn its role, which its Role GetAtt already implies.
            ignore_cfn_lint_check(handler.node.find_child("Resource"), "W3005")
            acknowledge(handler, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                        "AWSLambdaBasicExecutionRole]",
                        "aws-cdk-lib's bucket-notification handler uses the CloudWatch-Logs-only "
                        "basic execution policy.")
            acknowledge(handler, wildcard_resource("*"),
                        "aws-cdk-lib's bucket-notification handler must call s3:PutBucketNotification, which it "
                        "scopes itself; the code is aws-cdk-lib's.")
