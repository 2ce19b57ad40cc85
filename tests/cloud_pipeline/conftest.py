"""A deployed pipeline in moto, a participant whose only rights are docs/participant-policy.json
(IAM enforced), a fake clock, and botocore Stubbers where moto's Glue runs are only bookkeeping."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from cloud_pipeline.cli import main
from tests.support.moto_secrets import enforce_secret_scoping

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
POLICY = os.path.join(ROOT, "docs", "participant-policy.json")
REGION = "eu-west-1"
ACCOUNT = "123456789012"


class FakeClock:
    """clock() and sleep() for the waiting loops: sleeping only moves time forward."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def render_policy(prefix: str, account: str = ACCOUNT, region: str = REGION) -> str:
    """docs/participant-policy.json with its placeholders filled in, as the README tells instructors to."""
    with open(POLICY, encoding="utf-8") as handle:
        text = handle.read()
    database = prefix.replace("-", "_") + "_spotify"
    for placeholder, value in (("<prefix>", prefix), ("<database>", database), ("<account>", account),
                               ("<region>", region)):
        text = text.replace(placeholder, value)
    return text


def outputs_for(prefix: str) -> dict[str, str]:
    """The stack outputs of stacks/pipeline_stack.py; bucket names as CloudFormation generates them
    (<stack name>-<logical id>-<random>, lowercase)."""
    database = prefix.replace("-", "_") + "_spotify"
    stack = f"{prefix}-spotify-pipeline"

    def bucket(logical_id: str, suffix: str) -> str:  # at most 63 characters
        return f"{stack}-{logical_id}"[:50] + f"-{suffix}"

    return {
        "StagingBucket": bucket("storagestaging1b2c3d4e", "abc123def456"),
        "WarehouseBucket": bucket("storagewarehouse5f6a7b8c", "0a1b2c3d4e5f"),
        "AthenaResultsBucket": bucket("storageathenaresults9d0e1f2a", "fedcba987654"),
        "GlueJobName": f"{prefix}-spotify-etl",
        "CrawlerName": f"{prefix}-spotify-tracks",
        "WorkflowName": f"{prefix}-spotify-pipeline",
        "DatabaseName": database,
        "TracksTable": f"{database}.tracks",
        "AthenaWorkGroup": f"{prefix}-spotify",
    }


def deploy(prefix: str, *, region: str = REGION, partitions: tuple[str, ...] = ("2021", "2022", "2023"),
           sample_files: bool = True) -> dict[str, str]:
    """What `make deploy` leaves in the account, in moto: the stack with its outputs (and its buckets as
    stack resources), the Glue job, crawler, workflow, catalog table, and the Athena workgroup, all tagged."""
    outputs = outputs_for(prefix)
    tags = [{"Key": "resource-prefix", "Value": prefix}, {"Key": "project", "Value": "spotify-pipeline"}]
    template = {
        "Resources": {
            key: {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": outputs[key], "Tags": tags}}
            for key in ("StagingBucket", "WarehouseBucket", "AthenaResultsBucket")
        },
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=region).create_stack(
        StackName=f"{prefix}-spotify-pipeline", TemplateBody=json.dumps(template), Tags=tags)
    tag_map = {t["Key"]: t["Value"] for t in tags}
    glue = boto3.client("glue", region_name=region)
    glue.create_job(Name=outputs["GlueJobName"], Role="arn:aws:iam::123456789012:role/etl",
                    Command={"Name": "glueetl"}, Tags=tag_map)
    glue.create_crawler(Name=outputs["CrawlerName"], Role="arn:aws:iam::123456789012:role/crawler",
                        DatabaseName=outputs["DatabaseName"],
                        Targets={"S3Targets": [{"Path": f"s3://{outputs['WarehouseBucket']}/tracks/"}]}, Tags=tag_map)
    glue.create_workflow(Name=outputs["WorkflowName"], MaxConcurrentRuns=1, Tags=tag_map)
    glue.create_database(DatabaseInput={"Name": outputs["DatabaseName"]})
    glue.create_table(DatabaseName=outputs["DatabaseName"], TableInput={
        "Name": "tracks", "StorageDescriptor": {"Columns": [{"Name": "track_id", "Type": "string"}],
                                                "Location": f"s3://{outputs['WarehouseBucket']}/tracks/"},
        "PartitionKeys": [{"Name": "release_year", "Type": "string"}]})
    if partitions:
        glue.batch_create_partition(DatabaseName=outputs["DatabaseName"], TableName="tracks", PartitionInputList=[
            {"Values": [year], "StorageDescriptor": {
                "Location": f"s3://{outputs['WarehouseBucket']}/tracks/release_year={year}/"}} for year in partitions])
    boto3.client("athena", region_name=region).create_work_group(
        Name=outputs["AthenaWorkGroup"], Tags=tags,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{outputs['AthenaResultsBucket']}/results/"}})
    if sample_files:
        s3 = boto3.client("s3", region_name=region)
        for name in ("albums.csv", "artists.csv", "track.csv"):
            s3.put_object(Bucket=outputs["StagingBucket"], Key=f"staging/{name}", Body=b"sample\n")
    return outputs


def deploy_ingestion(prefix: str, value: dict | None = None, *, region: str = REGION) -> str:
    """What `make deploy -c ingestionEnabled=true` leaves that spotify-login and status use: the stack
    <prefix>-spotify-ingestion whose output CredentialsSecret is the ARN of its tagged secret, created without
    a value (value: what a later put stored). The secret's name is generated, as CloudFormation names it."""
    tags = [{"Key": "resource-prefix", "Value": prefix}, {"Key": "project", "Value": "spotify-pipeline"}]
    generated = hashlib.sha256(prefix.encode()).hexdigest()[:12]
    secrets = boto3.client("secretsmanager", region_name=region)
    arn = secrets.create_secret(Name=f"SpotifyApiCredentials5B1F7B3A-{generated}", Tags=tags)["ARN"]
    if value is not None:
        secrets.put_secret_value(SecretId=arn, SecretString=json.dumps(value))
    landing = f"{prefix}-spotify-ingestion-spotifyapilanding"[:50] + f"-{generated}"
    template = {"Resources": {"Landing": {"Type": "AWS::S3::Bucket",
                                          "Properties": {"BucketName": landing, "Tags": tags}}},
                "Outputs": {"LandingBucket": {"Value": landing}, "CredentialsSecret": {"Value": arn}}}
    boto3.client("cloudformation", region_name=region).create_stack(
        StackName=f"{prefix}-spotify-ingestion", TemplateBody=json.dumps(template), Tags=tags)
    return arn


def secret_value(arn: str, region: str = REGION) -> dict | None:
    """The secret's JSON value; None while it has none."""
    secrets = boto3.client("secretsmanager", region_name=region)
    try:
        return json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    except secrets.exceptions.ResourceNotFoundException:
        return None


# --- moto evaluates Resource only for S3; give it the ARN of each Glue, Athena and CloudFormation
# request, so the scoped statements of the participant policy are evaluated rather than failing.
GLUE_ARNS = {
    "StartWorkflowRun": lambda p: f"workflow/{p('Name')}",
    "GetWorkflowRun": lambda p: f"workflow/{p('Name')}",
    "GetWorkflowRuns": lambda p: f"workflow/{p('Name')}",
    "GetJobRun": lambda p: f"job/{p('JobName')}",
    "GetJobRuns": lambda p: f"job/{p('JobName')}",
    "GetCrawler": lambda p: f"crawler/{p('Name')}",
    "GetDatabase": lambda p: f"database/{p('Name')}",
    "GetTable": lambda p: f"table/{p('DatabaseName')}/{p('Name')}",
    "GetPartitions": lambda p: f"table/{p('DatabaseName')}/{p('TableName')}",
    "GetPartition": lambda p: f"table/{p('DatabaseName')}/{p('TableName')}",
}


def _glue_resource(self) -> str:
    arn = GLUE_ARNS.get(self._get_action())
    return f"arn:aws:glue:{self.region}:{self.current_account}:{arn(self._get_param)}" if arn else "*"


def _athena_resource(self) -> str:
    from moto.athena.models import athena_backends

    action = self._get_action()
    if action in ("StartQueryExecution", "GetWorkGroup"):
        workgroup = self._get_param("WorkGroup")
    elif action in ("GetQueryExecution", "GetQueryResults", "StopQueryExecution"):
        execution = athena_backends[self.current_account][self.region].executions.get(
            self._get_param("QueryExecutionId"))
        workgroup = execution.workgroup.name if execution and execution.workgroup else None
    else:
        return "*"
    return f"arn:aws:athena:{self.region}:{self.current_account}:workgroup/{workgroup}"


def _cloudformation_resource(self) -> str:
    if self._get_action() != "DescribeStacks" or not self._get_param("StackName"):
        return "*"
    return f"arn:aws:cloudformation:{self.region}:{self.current_account}:stack/{self._get_param('StackName')}/id"


@pytest.fixture
def aws(monkeypatch):
    """moto for every service; no real credentials or config files reach the tests."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    from moto.athena.responses import AthenaResponse
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.glue.responses import GlueResponse

    monkeypatch.setattr(GlueResponse, "_determine_resource", _glue_resource, raising=False)
    monkeypatch.setattr(AthenaResponse, "_determine_resource", _athena_resource, raising=False)
    monkeypatch.setattr(CloudFormationResponse, "_determine_resource", _cloudformation_resource, raising=False)
    enforce_secret_scoping(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture
def clock():
    return FakeClock()


class Participant:
    """An IAM user whose only policy is docs/participant-policy.json for one prefix."""

    def __init__(self, prefix: str, region: str = REGION) -> None:
        iam = boto3.client("iam", region_name=region)
        user = f"participant-{prefix}"
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="participant",
                            PolicyDocument=render_policy(prefix, region=region))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        self.key_id, self.secret = key["AccessKeyId"], key["SecretAccessKey"]

    def session(self, profile_name=None, region_name=None) -> boto3.Session:
        return boto3.Session(aws_access_key_id=self.key_id, aws_secret_access_key=self.secret,
                             region_name=region_name)


def run_cli(argv, *, participant: Participant | None = None, session_factory=None, clock: FakeClock | None = None,
            confirm=lambda question: False, **options) -> int:
    """The command line as a participant would run it: every AWS request is authorized against
    exactly the participant policy (moto's IAM enforcement from the first request)."""
    fake = clock or FakeClock()
    factory = session_factory or (participant.session if participant else boto3.Session)
    call = lambda: main(argv, session_factory=factory, clock=fake, sleep=fake.sleep, confirm=confirm, **options)  # noqa: E731
    if participant is not None:
        return set_initial_no_auth_action_count(0)(call)()
    return call()


class StubbedSession:
    """A real boto3 session whose clients for some services are stubbed: moto's Glue workflow runs
    never change state, so the run's transitions come from botocore's Stubber."""

    def __init__(self, session: boto3.Session, stubbed: dict[str, object]) -> None:
        self._session, self._stubbed = session, stubbed
        self.region_name = session.region_name

    def client(self, service: str, *args, **kwargs):
        return self._stubbed.get(service) or self._session.client(service, *args, **kwargs)


def stubbed_client(service: str, region: str = REGION):
    client = boto3.client(service, region_name=region)
    stubber = Stubber(client)
    stubber.activate()
    return client, stubber


def queue_athena_result(columns: list[tuple[str, str]], rows: list[list[str | None]], region: str = REGION) -> None:
    """moto's results queue: the next query started gets this result (header row first, as Athena)."""
    from moto.moto_api._internal.models import moto_api_backend

    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{} if value is None else {"VarCharValue": value} for value in row]} for row in rows]
    moto_api_backend.set_athena_result(
        rows=[header, *data],
        column_info=[{"Name": name, "Type": kind, "CatalogName": "hive", "SchemaName": "", "TableName": "",
                      "Label": name, "Precision": 0, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": False}
                     for name, kind in columns],
        account_id=ACCOUNT, region=region)


# Python type of a typed value -> the Athena type its column metadata gives.
ATHENA_TYPES = ((bool, "boolean"), (int, "bigint"), (float, "double"), (Decimal, "decimal"),
                (dt.datetime, "timestamp"), (dt.date, "date"), (str, "varchar"), (list, "array"))


def athena_text(value) -> str | None:
    """A typed value as Athena's GetQueryResults spells it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def queue_as_athena(result, *, change_first_value_of_last_column: bool = False) -> None:
    """Queue a typed result (the local pipeline's) as Athena would answer it: strings plus column types."""
    types = []
    for index, column in enumerate(result.columns):
        sample = next((row[index] for row in result.rows if row[index] is not None), "")
        types.append((column, next(kind for python_type, kind in ATHENA_TYPES if isinstance(sample, python_type))))
    text = [[athena_text(v) for v in row] for row in result.rows]
    if change_first_value_of_last_column:
        text[0][-1] = "99"
    queue_athena_result(types, text)
