"""Every expected failure is one line on stderr and exit status 1."""

from __future__ import annotations

import os

import boto3
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from moto.core import set_initial_no_auth_action_count

from tests.cloud_pipeline.conftest import (
    REGION, Participant, StubbedSession, deploy, outputs_for, run_cli, stubbed_client,
)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


def test_no_credentials(monkeypatch, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    assert run_cli(["status", "--prefix", "alice", "--region", REGION]) == 1
    assert one_line_error(capsys) == (
        "error: no AWS credentials found: set them up with aws configure, aws sso login or AWS_PROFILE")


def test_unknown_profile(monkeypatch, capsys):
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    assert run_cli(["status", "--profile", "workshop", "--region", REGION]) == 1
    assert one_line_error(capsys) == (
        "error: AWS profile 'workshop' not found in ~/.aws/config: check --profile (aws configure list-profiles)")


def test_expired_credentials(aws, capsys):
    cloudformation, stubber = stubbed_client("cloudformation")
    stubber.add_client_error("describe_stacks", service_error_code="ExpiredToken",
                             service_message="The security token included in the request is expired")
    session = StubbedSession(boto3.Session(region_name=REGION), {"cloudformation": cloudformation})
    assert run_cli(["status", "--profile", "alice", "--region", REGION],
                   session_factory=lambda **kwargs: session) == 1
    assert one_line_error(capsys) == "error: AWS credentials expired: refresh them with aws sso login --profile alice"


def test_no_region(aws, monkeypatch, capsys):
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    assert run_cli(["status", "--prefix", "alice"]) == 1
    assert one_line_error(capsys) == (
        "error: no AWS region: pass --region (e.g. --region eu-west-1) or set AWS_REGION")


def test_unreachable_region(aws, capsys):
    class Unreachable:
        region_name = "eu-wset-1"

        def client(self, service):
            class Client:
                def describe_stacks(self, **kwargs):
                    raise EndpointConnectionError(endpoint_url="https://cloudformation.eu-wset-1.amazonaws.com/")
            return Client()

    assert run_cli(["status", "--prefix", "alice", "--region", "eu-wset-1"],
                   session_factory=lambda **kwargs: Unreachable()) == 1
    assert one_line_error(capsys) == (
        "error: cannot reach AWS in region 'eu-wset-1': check the region name (--region) and the network")


def test_stack_not_found_lists_the_deployed_prefixes(aws, capsys):
    deploy("bob")
    deploy("carol")
    assert run_cli(["status", "--prefix", "alice", "--region", REGION], participant=Participant("alice")) == 1
    assert one_line_error(capsys) == (
        f"error: stack alice-spotify-pipeline not found in region {REGION}; "
        "prefixes deployed there: bob, carol (pass --prefix)")


def test_wrong_region_says_nothing_is_deployed_there(aws, capsys):
    deploy("alice", region="us-east-1")
    assert run_cli(["status", "--prefix", "alice", "--region", REGION], participant=Participant("alice")) == 1
    assert one_line_error(capsys) == (
        f"error: stack alice-spotify-pipeline not found in region {REGION}; "
        "no pipeline is deployed there (wrong --region? or run make deploy first)")


def test_the_policy_is_scoped_to_the_participants_prefix(aws, capsys):
    deploy("bob")
    assert run_cli(["status", "--prefix", "bob", "--region", REGION], participant=Participant("alice")) == 1
    error = one_line_error(capsys)
    assert error.startswith("error: access denied to DescribeStacks: ")
    assert error.endswith("(a participant needs docs/participant-policy.json)")


def test_a_stack_without_the_outputs_is_not_ready(aws, capsys):
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="alice-spotify-pipeline",
        TemplateBody='{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}, "Outputs": {"StagingBucket": {"Value": "x"}}}')
    assert run_cli(["status", "--prefix", "alice", "--region", REGION]) == 1
    assert one_line_error(capsys) == (
        "error: stack alice-spotify-pipeline is CREATE_COMPLETE and lacks the outputs WarehouseBucket, "
        "AthenaResultsBucket, GlueJobName, CrawlerName, WorkflowName, DatabaseName, TracksTable, AthenaWorkGroup: "
        "wait for the deployment to finish or redeploy with make deploy")


@pytest.mark.parametrize("command", [["run"], ["query"], ["dashboard"], ["upload", "--source", "data"]])
def test_every_command_finds_the_stack_first(aws, capsys, command):
    assert run_cli([*command, "--prefix", "alice", "--region", REGION]) == 1
    assert one_line_error(capsys).startswith("error: stack alice-spotify-pipeline not found in region ")


class Raising:
    """A session whose CloudFormation client fails the way botocore does before any request."""

    region_name = REGION

    def __init__(self, error: Exception) -> None:
        self.error = error

    def client(self, service):
        error = self.error

        class Client:
            def describe_stacks(self, **kwargs):
                raise error
        return Client()


def test_an_expired_sso_session(capsys):
    from botocore.exceptions import TokenRetrievalError

    error = TokenRetrievalError(provider="sso", error_msg="Token has expired and refresh failed")
    assert run_cli(["status", "--profile", "alice", "--region", REGION],
                   session_factory=lambda **kwargs: Raising(error)) == 1
    assert one_line_error(capsys) == "error: AWS credentials expired: refresh them with aws sso login --profile alice"


def test_credentials_the_region_does_not_accept(aws, capsys):
    """An opt-in region that is not enabled answers InvalidClientTokenId, as do revoked keys."""
    cloudformation, stubber = stubbed_client("cloudformation")
    stubber.add_client_error("describe_stacks", service_error_code="InvalidClientTokenId",
                             service_message="The security token included in the request is invalid.")
    session = StubbedSession(boto3.Session(region_name=REGION), {"cloudformation": cloudformation})
    assert run_cli(["status", "--region", REGION], session_factory=lambda **kwargs: session) == 1
    assert one_line_error(capsys) == (
        f"error: AWS rejected the credentials (InvalidClientTokenId) in region {REGION}: check them with "
        "`aws sts get-caller-identity` and that the region is enabled for the account")


def test_any_other_aws_error_still_names_the_call_and_the_reason(aws, capsys):
    cloudformation, stubber = stubbed_client("cloudformation")
    stubber.add_client_error("describe_stacks", service_error_code="Throttling", service_message="Rate exceeded")
    session = StubbedSession(boto3.Session(region_name=REGION), {"cloudformation": cloudformation})
    assert run_cli(["status", "--region", REGION], session_factory=lambda **kwargs: session) == 1
    assert one_line_error(capsys) == f"error: AWS DescribeStacks failed in region {REGION}: Throttling: Rate exceeded"


def test_the_region_from_the_environment_is_the_one_named(aws, capsys):
    deploy("bob")
    assert run_cli(["status", "--prefix", "alice"]) == 1
    assert one_line_error(capsys) == (
        f"error: stack alice-spotify-pipeline not found in region {REGION}; "
        "prefixes deployed there: bob (pass --prefix)")


@pytest.mark.parametrize("call", [
    lambda s: s.client("athena").start_query_execution(QueryString="SELECT 1", WorkGroup="bob-spotify"),
    lambda s: s.client("glue").start_workflow_run(Name="bob-spotify-pipeline"),
    lambda s: s.client("glue").get_table(DatabaseName="bob_spotify", Name="tracks"),
    lambda s: s.client("s3").put_object(Bucket=outputs_for("bob")["StagingBucket"], Key="staging/x.csv", Body=b"x"),
    lambda s: s.client("s3").put_object(Bucket=outputs_for("alice")["WarehouseBucket"], Key="tracks/x.parquet",
                                        Body=b"x"),
], ids=["bob's workgroup", "bob's workflow", "bob's table", "bob's staging", "alice's own tracks/"])
def test_a_participant_cannot_touch_another_prefix_or_write_the_warehouse(aws, call):
    deploy("alice")
    deploy("bob")
    alice = Participant("alice")
    with pytest.raises(ClientError) as raised:
        set_initial_no_auth_action_count(0)(lambda: call(alice.session(region_name=REGION)))()
    # moto answers Glue and Athena denials with a bare 403 (AWS: AccessDeniedException)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert raised.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException", "403")

