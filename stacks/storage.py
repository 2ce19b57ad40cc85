"""S3 storage: staging (CSV landing), warehouse (Parquet), Athena results, access logs."""

from __future__ import annotations

from aws_cdk import Annotations, CfnResource, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3_deployment
from constructs import Construct

from stacks.nag import (
    acknowledge,
    cdk_assets_bucket_objects,
    arn_of,
    ignore_cfn_lint_check,
    wildcard_action,
    wildcard_resource,
)

STAGING_PREFIX = "staging/"
RESULTS_PREFIX = "results/"


def rotating_key(scope: Construct, construct_id: str, description: str, removal: RemovalPolicy) -> kms.Key:
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal,
        pending_window=Duration.days(7),
    )


# aws-cdk-lib's own handlers that take no log group: path -> (custom resource type that invokes it, our id).
CDK_HANDLERS_WITHOUT_LOG_GROUP = {
    "Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler": (
        "Custom::S3AutoDeleteObjects", "AutoDeleteHandlerLogs"),
    "BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Resource": (
        "Custom::S3BucketNotifications", "BucketNotificationsHandlerLogs"),
}


def delete_handler_logs_with_stack(stack: Stack) -> None:
    """Give aws-cdk-lib's auto-delete and bucket-notification handlers a log group that goes with the stack.

    Without one, Lambda creates /aws/lambda/<function> at their first run, outside CloudFormation, and a
    sandbox teardown leaves it behind. The group is created before the custom resources that invoke the
    handler and deleted after them (they depend on it), so the handler never recreates it mid-destroy.
    Call once every bucket of the stack exists.
    """
    for path, (invoker_type, group_id) in CDK_HANDLERS_WITHOUT_LOG_GROUP.items():
        provider_id, child_id = path.split("/")
        provider = stack.node.try_find_child(provider_id)
        if provider is None:
            continue
        handler = provider.node.find_child(child_id)
        group = logs.CfnLogGroup(
            stack, group_id,
            log_group_name=Fn.join("", ["/aws/lambda/", handler.ref]), retention_in_days=30,
        )
        group.apply_removal_policy(RemovalPolicy.DESTROY)
        for construct in stack.node.find_all():
            if isinstance(construct, CfnResource) and construct.cfn_resource_type == invoker_type:
                construct.add_dependency(group)


def access_log_bucket(scope: Construct, construct_id: str, *, remove_data_on_destroy: bool) -> s3.Bucket:
    """Target of S3 server access logs, which can only be delivered to an SSE-S3 bucket."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(expiration=Duration.days(90), abort_incomplete_multipart_upload_after=Duration.days(1))
        ],
        removal_policy=RemovalPolicy.DESTROY if remove_data_on_destroy else RemovalPolicy.RETAIN,
        auto_delete_objects=remove_data_on_destroy,
    )
    acknowledge(
        bucket,
        "AwsSolutions-S1",
        "This is the server access log bucket; logging its own access would write logs about logs forever.",
    )
    return bucket


class DataLakeStorage(Construct):
    """Four buckets with the same baseline: no public access, TLS only, encrypted,
    access-logged, incomplete multipart uploads aborted.

    Data is kept on `cdk destroy` unless remove_data_on_destroy is set, which
    workshops want (DESTROY plus emptying the buckets) and real users do not.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        remove_data_on_destroy: bool,
        results_expiration_days: int,
        sample_data_path: str | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self._remove = remove_data_on_destroy
        removal = RemovalPolicy.DESTROY if remove_data_on_destroy else RemovalPolicy.RETAIN
        if not remove_data_on_destroy:
            Annotations.of(self).add_warning_v2(
                "spotify:dataRetained",
                "Buckets and the data key are RETAINED on `cdk destroy`. For a sandbox, deploy with "
                "-c removeDataOnDestroy=true to delete them and their objects.",
            )

        self.data_key = rotating_key(
            self, "DataKey", f"Encrypts the Spotify pipeline's data in {Stack.of(self).stack_name}", removal
        )
        self.access_logs = access_log_bucket(self, "AccessLogs", remove_data_on_destroy=remove_data_on_destroy)
        self.staging = self._data_bucket("Staging", "staging/", versioned=True)
        self.warehouse = self._data_bucket("Warehouse", "warehouse/")
        self.athena_results = self._data_bucket(
            "AthenaResults", "athena-results/", expiration=Duration.days(results_expiration_days)
        )

        if remove_data_on_destroy:
            # cfn-lint W3005: aws-cdk-lib's auto-delete handler DependsOn its role, which its GetAtt already implies.
            provider = Stack.of(self).node.find_child("Custom::S3AutoDeleteObjectsCustomResourceProvider")
            ignore_cfn_lint_check(provider.node.find_child("Handler"), "W3005")
            delete_handler_logs_with_stack(Stack.of(self))

        if sample_data_path:
            # The CDK bundles the folder itself (a zip asset): no Docker involved.
            s3_deployment.BucketDeployment(
                self,
                "SampleData",
                sources=[s3_deployment.Source.asset(sample_data_path, exclude=["*", "!*.csv"])],
                destination_bucket=self.staging,
                destination_key_prefix=STAGING_PREFIX,
                # Files users upload next to the sample (the real Kaggle download) survive redeploys.
                prune=False,
                retain_on_delete=not remove_data_on_destroy,
                memory_limit=256,
            )
            self._acknowledge_deployment_handler()
            if remove_data_on_destroy:
                # aws-cdk-lib retains its handler's log group whatever the bucket's policy; a sandbox
                # teardown deletes it too (its name derives from the generated function name).
                handler = next(c for c in Stack.of(self).node.children
                               if c.node.id.startswith("Custom::CDKBucketDeployment"))
                handler.node.find_child("LogGroup").apply_removal_policy(RemovalPolicy.DESTROY)

    def _data_bucket(
        self, construct_id: str, log_prefix: str, *, versioned: bool = False, expiration: Duration | None = None
    ) -> s3.Bucket:
        rule = s3.LifecycleRule(
            abort_incomplete_multipart_upload_after=Duration.days(1),
            expiration=expiration,
            noncurrent_version_expiration=Duration.days(30) if versioned else None,
        )
        return s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.data_key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=versioned,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=log_prefix,
            lifecycle_rules=[rule],
            removal_policy=RemovalPolicy.DESTROY if self._remove else RemovalPolicy.RETAIN,
            auto_delete_objects=self._remove,
        )

    def _acknowledge_deployment_handler(self) -> None:
        """Findings on the Lambda that aws-cdk-lib's BucketDeployment creates (code we do not own)."""
        stack = Stack.of(self)
        handler = next(c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment"))
        sync_reason = (
            "aws-cdk-lib's BucketDeployment handler copies the sample CSVs from the CDK asset bucket into the "
            "staging bucket; these are the grants aws-cdk-lib gives it, limited to those two buckets and the data key."
        )
        findings = [wildcard_action(a) for a in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*",
                                                  "s3:DeleteObject*", "kms:GenerateDataKey*", "kms:ReEncrypt*")]
        findings += [
            wildcard_resource(f"{arn_of(self.staging)}/*"),
            wildcard_resource(cdk_assets_bucket_objects(stack)),
        ]
        for finding in findings:
            acknowledge(handler, finding, sync_reason)
        # cfn-lint W3005: aws-cdk-lib adds a DependsOn on the handler's role that its Role GetAtt already implies.
        ignore_cfn_lint_check(handler.node.default_child, "W3005")
        acknowledge(
            handler,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            "aws-cdk-lib attaches the basic execution policy (CloudWatch Logs only) to its deployment handler.",
        )
        acknowledge(
            handler,
            "AwsSolutions-L1",
            "The runtime of BucketDeployment's handler is pinned by aws-cdk-lib and moves with its upgrades.",
        )
