"""The Glue ETL job that runs glue_scripts/spotify_etl.py (with the etl package), its role and security
configuration."""

from __future__ import annotations

import os
import zipfile

from aws_cdk import Aws, Duration, RemovalPolicy, Stack, Stage
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from etl.history import HISTORY_TABLES, INCOMING_DIR
from stacks.nag import account_arn, acknowledge, arn_of, wildcard_resource
from stacks.settings import Settings
from stacks.storage import STAGING_PREFIX, rotating_key

WORKER_TYPES = {
    "G.1X": glue.WorkerType.G_1X,
    "G.2X": glue.WorkerType.G_2X,
    "G.4X": glue.WorkerType.G_4X,
    "G.8X": glue.WorkerType.G_8X,
}
# Glue 5.1 reads and writes S3 through Hadoop's S3A connector, not EMRFS ("Migrating to AWS Glue
# version 5.1", https://docs.aws.amazon.com/glue/latest/dg/migrating-version-51.html). S3A probes a
# directory `path` as the object `path`, the marker `path/` and the objects below it, so a policy must
# grant all three (Hadoop, "Working with IAM Assumed Roles": https://hadoop.apache.org/docs/stable/
# hadoop-aws/tools/hadoop-aws/assumed_roles.html); it writes `dir/` markers, never EMRFS's `_$folder$`.
# The run history's tables (etl/history.py) are directories too: the job writes each record into
# <table>/_incoming/<run_id>/ and renames it (copy + delete) into <table>/run_date=.../<run_id>.parquet.
HISTORY_DIRECTORIES = tuple(HISTORY_TABLES)
WAREHOUSE_DIRECTORIES = ("tracks", "quarantine", *HISTORY_DIRECTORIES)
WAREHOUSE_FILES = ("run_summary.json",)
# Glue job log groups are /aws-glue/jobs/output, /error, /logs-v2, and with a security configuration
# /aws-glue/jobs-<role name>-<security configuration name>/ (Glue API, JobRun.LogGroupName:
# https://docs.aws.amazon.com/glue/latest/webapi/API_JobRun.html), which /aws-glue/jobs/* misses.
JOB_LOG_GROUPS = "/aws-glue/jobs*"


# Every entry of the package zip gets this time stamp and mode, so the same sources make the same bytes (and
# the same asset hash) on any machine. Stored, not deflated: compressed bytes may differ between zlib builds.
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644


def package_zip(package_dir: str, outdir: str) -> str:
    """Zip a Python package folder as Glue's --extra-py-files wants it: the folder itself at the zip's root
    (etl/__init__.py, etl/entry.py, ...), sorted, without bytecode caches. Returns the zip's path in outdir."""
    package_dir = os.path.abspath(package_dir)
    parent, name = os.path.split(package_dir)
    members = []
    for folder, subfolders, files in os.walk(package_dir):
        subfolders[:] = [d for d in subfolders if d != "__pycache__" and not d.startswith(".")]
        members += [
            os.path.join(folder, f) for f in files if not f.startswith(".") and not f.endswith((".pyc", ".pyo"))
        ]
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, f"{name}-package.zip")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for member in sorted(os.path.relpath(m, parent).replace(os.sep, "/") for m in members):
            entry = zipfile.ZipInfo(member, date_time=ZIP_TIMESTAMP)
            entry.external_attr = ZIP_FILE_MODE << 16
            entry.create_system = 3  # Unix, whatever machine synthesizes
            with open(os.path.join(parent, member), "rb") as handle:
                archive.writestr(entry, handle.read())
    return path


def s3a_directory_objects(bucket: s3.IBucket, directory: str) -> list[str]:
    """The three resources S3A needs for one directory: the bare key, the `dir/` marker, everything below."""
    return [bucket.arn_for_objects(key) for key in (directory, f"{directory}/", f"{directory}/*")]


def glue_log_groups_arn(pattern: str) -> str:
    return f"arn:{Aws.PARTITION}:logs:{Aws.REGION}:{Aws.ACCOUNT_ID}:log-group:{pattern}"


def allow_key_use(role: iam.Role, key: kms.IKey, *actions: str) -> None:
    """Named KMS actions on one key (the grant_* helpers add ReEncrypt* and GenerateDataKey*)."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=list(actions), resources=[key.key_arn]))


class GlueSecurity(Construct):
    """A KMS key and a Glue security configuration shared by the job and the crawlers:
    CloudWatch logs (and bookmarks, should a run enable them) encrypted with the key, S3 writes with
    the data key.

    The configuration holds no data, so it is always deleted with the stack: a retained one would
    keep its name and make the next deploy with the same prefix fail with AlreadyExists
    (aws-cdk-lib 2.275 retains it unless told otherwise). The stack names it `<prefix>-spotify-encryption`,
    not the `<prefix>-spotify-glue` that earlier versions retained, so it never meets one of those."""

    def __init__(
        self, scope: Construct, construct_id: str, *, name: str, data_key: kms.IKey, removal: RemovalPolicy
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = rotating_key(
            self,
            "LogsAndBookmarksKey",
            f"Encrypts the Glue logs and any job bookmarks of {Stack.of(self).stack_name}",
            removal,
        )
        # CloudWatch Logs encrypts Glue's log groups itself, so it needs the key too.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": glue_log_groups_arn("/aws-glue/*")}
                },
            )
        )
        self.configuration_name = name
        self.configuration = glue.SecurityConfiguration(
            self,
            "Configuration",
            security_configuration_name=name,
            cloud_watch_encryption=glue.CloudWatchEncryption.kms(self.key),
            # The job runs with bookmarks off; should a run turn them on, they are encrypted too.
            job_bookmarks_encryption=glue.JobBookmarksEncryption.client_side_kms(self.key),
            s3_encryption=glue.S3Encryption.kms(data_key),
            removal_policy=RemovalPolicy.DESTROY,
        )

    def grant_logging(self, role: iam.Role, log_group_pattern: str) -> None:
        """Let a Glue role write its encrypted logs under log_group_pattern."""
        role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteEncryptedGlueLogs",
                actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:AssociateKmsKey"],
                resources=[glue_log_groups_arn(log_group_pattern), glue_log_groups_arn(f"{log_group_pattern}:*")],
            )
        )
        allow_key_use(role, self.key, "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")

    @staticmethod
    def acknowledge_logging(role: iam.Role, log_group_pattern: str) -> None:
        reason = (
            "Glue names its log groups at run time after the security configuration and role "
            f"({log_group_pattern}); the statement covers only Glue's own log groups."
        )
        for resource in (log_group_pattern, f"{log_group_pattern}:*"):
            acknowledge(role, wildcard_resource(account_arn("logs", f"log-group:{resource}")), reason)


class SpotifyEtlJob(Construct):
    """PySpark job (or Flex job) from glue_scripts/spotify_etl.py and the etl package, least-privilege role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        script_path: str,
        package_path: str,
        staging: s3.IBucket,
        warehouse: s3.IBucket,
        data_key: kms.IKey,
        security: GlueSecurity,
    ) -> None:
        super().__init__(scope, construct_id)
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description="Spotify ETL job: reads staging/, writes tracks/, quarantine/, run_summary.json and appends "
            "its run history (pipeline_runs/, pipeline_run_files/, pipeline_run_gates/) in the warehouse",
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadStagedCsv",
                actions=["s3:GetObject"],
                resources=s3a_directory_objects(staging, STAGING_PREFIX.rstrip("/")),
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="WriteWarehouseTablesAndQuarantine",
                actions=[
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                resources=[
                    *(
                        arn
                        for directory in WAREHOUSE_DIRECTORIES
                        for arn in s3a_directory_objects(warehouse, directory)
                    ),
                    *(warehouse.arn_for_objects(key) for key in WAREHOUSE_FILES),
                ],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListOwnBuckets",
                actions=["s3:ListBucket", "s3:GetBucketLocation"],
                resources=[staging.bucket_arn, warehouse.bucket_arn],
            )
        )
        # S3A lists and aborts the multipart uploads of the paths it writes (the assumed-roles page above).
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ListWarehouseMultipartUploads",
                actions=["s3:ListBucketMultipartUploads"],
                resources=[warehouse.bucket_arn],
            )
        )
        allow_key_use(self.role, data_key, "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
        security.grant_logging(self.role, JOB_LOG_GROUPS)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="PublishGlueMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            )
        )
        # No Glue actions at all: bookmarks are off (the script reads with spark.read, which bookmarks do
        # not track), so the runtime needs no glue:GetJobBookmark (an action that only accepts "*" in the
        # Service Authorization Reference), and nothing documents a glue:GetJob call by the job's role.
        job_name = f"{settings.resource_prefix}-spotify-etl"

        # The script is an asset in the CDK bootstrap bucket. Code.from_asset
        # would grant s3:GetObject*/List* on that whole bucket; the job gets
        # read access to this one object instead, through an immutable role
        # reference that swallows the construct's own grants.
        script = s3_assets.Asset(self, "Script", path=script_path)
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadOwnScript",
                actions=["s3:GetObject"],
                resources=[script.bucket.arn_for_objects(script.s3_object_key)],
            )
        )
        # The package the script imports, as one zip object read the same way. Built here rather than as
        # an asset of the folder: CDK would zip the folder's files without the folder itself, and
        # Code.from_asset refuses folders (aws/aws-cdk#21951). The zip goes to the cloud assembly folder,
        # from where CDK stages it as asset.<hash>.zip.
        self.package = s3_assets.Asset(
            self, "Package", path=package_zip(package_path, Stage.of(self).asset_outdir)
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                sid="ReadOwnPackage",
                actions=["s3:GetObject"],
                resources=[self.package.bucket.arn_for_objects(self.package.s3_object_key)],
            )
        )
        role_reference = iam.Role.from_role_arn(self, "RoleReference", self.role.role_arn, mutable=False)

        job_class = glue.PySparkFlexEtlJob if settings.glue_flex else glue.PySparkEtlJob
        self.job = job_class(
            self,
            "Job",
            job_name=job_name,
            description="Joins Spotify albums, artists and tracks CSVs into typed, partitioned Parquet",
            role=role_reference,
            script=glue.Code.from_bucket(script.bucket, script.s3_object_key),
            # --extra-py-files: Glue puts the zip on the script's sys.path, so `import etl.entry` works.
            extra_python_files=[glue.Code.from_bucket(self.package.bucket, self.package.s3_object_key)],
            glue_version=glue.GlueVersion.V5_1,
            worker_configuration=glue.WorkerConfiguration(
                worker_type=WORKER_TYPES[settings.glue_worker_type],
                number_of_workers=settings.glue_number_of_workers,
            ),
            timeout=Duration.minutes(settings.glue_timeout_minutes),
            max_retries=0,
            max_concurrent_runs=1,
            security_configuration=security.configuration,
            enable_metrics=True,
            enable_observability_metrics=True,
            default_arguments={
                "--SOURCE_PATH": staging.s3_url_for_object(STAGING_PREFIX.rstrip("/")),
                "--TARGET_PATH": f"s3://{warehouse.bucket_name}",
                "--QUARANTINE_PATH": f"s3://{warehouse.bucket_name}/quarantine",
                # Reruns are idempotent without bookmarks: every run reads all of staging/ (a full refresh)
                # and overwrites only the release_year partitions it writes (dynamic partition overwrite).
                "--job-bookmark-option": "job-bookmark-disable",
                "--MAX_QUARANTINE_RATE": str(settings.max_quarantine_rate),
                "--MAX_ORPHAN_ARTIST_RATE": str(settings.max_orphan_artist_rate),
                "--MAX_ORPHAN_TRACK_RATE": str(settings.max_orphan_track_rate),
            },
        )
        # aws-cdk-lib adds --enable-continuous-cloudwatch-log by default. Glue 5.x always writes the driver's
        # and executors' logs to /aws-glue/jobs/output and /error; the flag is a Glue 4.0-and-earlier
        # feature (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuous-logging.html), so it goes.
        self.job.node.default_child.add_property_deletion_override("DefaultArguments.--enable-continuous-cloudwatch-log")
        acknowledge(
            self.role,
            wildcard_resource("*"),
            "cloudwatch:PutMetricData has no resource-level permissions; the statement is limited to the Glue "
            "metric namespace by a condition.",
        )
        prefix_reason = (
            "Spark reads and writes many objects whose names are only known at run time (one per CSV, Parquet part "
            "file and partition); access is limited to this one prefix of this one bucket."
        )
        for bucket, prefix in ((staging, STAGING_PREFIX), (warehouse, "tracks/"), (warehouse, "quarantine/")):
            acknowledge(self.role, wildcard_resource(f"{arn_of(bucket)}/{prefix}*"), prefix_reason)
        for table in HISTORY_DIRECTORIES:
            acknowledge(
                self.role,
                wildcard_resource(f"{arn_of(warehouse)}/{table}/*"),
                f"The job appends one Parquet file per run to its {table} history table, named after the run id "
                f"under the run's run_date partition, through {table}/{INCOMING_DIR}/<run id>/ (Spark's part file, "
                "renamed then deleted); access is limited to this one table's prefix of the warehouse.",
            )
        security.acknowledge_logging(self.role, JOB_LOG_GROUPS)
