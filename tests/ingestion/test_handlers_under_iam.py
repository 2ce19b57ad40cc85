"""Both Lambdas run against moto with IAM enforced, under the policy of their role taken from the
synthesized template (intrinsics resolved to the moto bucket and secret): a missing or mis-scoped grant
fails here, not on AWS. Their environment comes from the template too.

What moto does not emulate gets its own test: S3 answers GetObject on a missing key with 403 instead of
404 to a caller without s3:ListBucket (moto answers NoSuchKey either way). moto authorizes Secrets Manager
calls against "*" only; tests/support/moto_secrets.py makes it check the secret's ARN, and the statement's
resource is also checked statically.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from tests.stacks.support.synth import synthesize
from tests.support.moto_secrets import enforce_secret_scoping
from tests.stacks.support.template_policies import as_list, role_policy_document, sample_names
from tests.ingestion.support.fake_spotify import CLIENT_ID, CLIENT_SECRET, PL_NEW, PL_OLD, FakeSpotify
from tests.ingestion.test_handlers import RUNTIME, extract, transform

REGION = "us-east-1"
BUCKET = "alice-landing-moto"
# create_bucket, create_secret, then create_user, put_user_policy and create_access_key for each role
# and for the two control users (the transform role without its output grant, the extract role with its
# secret grant pointing at another secret).
SETUP_REQUESTS = 2 + 3 * 4
CONTROL = "transform.handler without WriteOutputsAndMovedFiles"
SECRET_CONTROL = "extract.handler granted another secret"


@pytest.fixture(scope="module")
def ingestion_template(tmp_path_factory):
    app = synthesize(tmp_path_factory.mktemp("ingestion-iam"), resourcePrefix="alice", ingestionEnabled="true",
                     ingestionPlaylistIds=f"{PL_NEW},{PL_OLD}")
    return app.template_json("ingestion")


def function_of(template: dict, handler: str) -> dict:
    (function,) = [r for r in template["Resources"].values()
                   if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == handler]
    return function


def role_of(function: dict) -> str:
    return function["Properties"]["Role"]["Fn::GetAtt"][0]


def logical_id(template: dict, resource_type: str, prefix: str) -> str:
    (found,) = [k for k, v in template["Resources"].items() if v["Type"] == resource_type and k.startswith(prefix)]
    return found


class MotoAccount:
    """The moto bucket and secret, and one IAM user per role carrying that role's template policy."""

    def __init__(self, template: dict, refresh_token: str) -> None:
        self.template = template
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        self.secret_arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="alice-credentials", SecretString=json.dumps({
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": refresh_token,
                "consented_at": "2026-11-20T09:00:00+00:00"})
        )["ARN"]
        self.resolver = sample_names("alice-spotify-ingestion", template, {
            logical_id(template, "AWS::S3::Bucket", "SpotifyApiLanding"): {
                "Ref": BUCKET, "Arn": f"arn:aws:s3:::{BUCKET}"},
            logical_id(template, "AWS::SecretsManager::Secret", "SpotifyApiCredentials"): {"Ref": self.secret_arn},
        })
        self.sessions = {handler: self._session_for(handler) for handler in ("extract.handler", "transform.handler")}
        crippled = self.policy("transform.handler")
        crippled["Statement"] = [s for s in crippled["Statement"] if s.get("Sid") != "WriteOutputsAndMovedFiles"]
        assert len(crippled["Statement"]) == len(self.policy("transform.handler")["Statement"]) - 1
        self.sessions[CONTROL] = self._session_for(CONTROL, crippled)
        elsewhere = self.policy("extract.handler")
        for statement in elsewhere["Statement"]:
            if any(a.startswith("secretsmanager:") for a in as_list(statement["Action"])):
                statement["Resource"] = self.secret_arn.replace("alice-credentials", "bob-credentials")
        self.sessions[SECRET_CONTROL] = self._session_for("extract.handler.elsewhere", elsewhere)

    def policy(self, handler: str) -> dict:
        return role_policy_document(self.template, role_of(function_of(self.template, handler)), self.resolver)

    def environment(self, handler: str) -> dict:
        variables = function_of(self.template, handler)["Properties"].get("Environment", {}).get("Variables", {})
        return {k: str(v) for k, v in self.resolver.resolve(variables).items()}

    def _session_for(self, handler: str, policy: dict | None = None) -> boto3.Session:
        policy = policy or self.policy(handler)
        iam = boto3.client("iam", region_name=REGION)
        user = re.sub(r"[^A-Za-z0-9]", "-", handler)[:64]
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="from-template", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        return boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                             region_name=REGION)

    def clients(self, handler: str, service: str):
        return self.sessions[handler].client(service)


@pytest.fixture
def spotify():
    with FakeSpotify() as fake:
        yield fake


@pytest.fixture
def account(ingestion_template, spotify, monkeypatch):
    enforce_secret_scoping(monkeypatch)  # the secret's ARN, as AWS checks it, not moto's "*"
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    with mock_aws():
        holder = {}

        @set_initial_no_auth_action_count(SETUP_REQUESTS)
        def run(body):
            holder["account"] = MotoAccount(ingestion_template, spotify.consent())
            # From here on every request is authenticated: the test's own default credentials are refused.
            with pytest.raises(ClientError, match="InvalidAccessKeyId|InvalidClientTokenId|AccessDenied"):
                boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET)
            body(holder["account"])

        yield run


def run_extract(account: MotoAccount, spotify: FakeSpotify, monkeypatch) -> str:
    environment = account.environment("extract.handler")
    environment.update(SPOTIFY_API_BASE_URL=spotify.url, SPOTIFY_ACCOUNTS_URL=spotify.url)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    summary = extract.handler({}, None, s3=account.clients("extract.handler", "s3"),
                              secrets=account.clients("extract.handler", "secretsmanager"), sleep=lambda _: None)
    return summary["key"]


def s3_event(key: str) -> dict:
    return {"Records": [{"s3": {"bucket": {"name": BUCKET}, "object": {"key": urllib.parse.quote_plus(key)}}}]}


def test_extract_then_transform_under_their_template_policies(account, spotify, monkeypatch):
    def body(moto: MotoAccount):
        raw_key = run_extract(moto, spotify, monkeypatch)
        assert raw_key.startswith("raw_data/to_processed/spotify_raw_")
        s3 = moto.clients("transform.handler", "s3")
        result = transform.handler(s3_event(raw_key), None, s3=s3)
        assert result["results"][0]["status"] == "processed"
        listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
        stem = raw_key.rsplit("/", 1)[1].removesuffix(".json")
        assert listed == [f"raw_data/processed/{stem}.json",
                          "transformed_data/_state/current_run.json",
                          "transformed_data/albums_data/albums.jsonl",
                          "transformed_data/artists_data/artists.jsonl",
                          "transformed_data/playlist_tracks_data/playlist_tracks.jsonl",
                          f"transformed_data/playlist_tracks_history/playlist_tracks_{stem}.jsonl",
                          "transformed_data/songs_data/songs.jsonl"]
        # The extract role kept the refresh token Spotify rotated.
        stored = json.loads(moto.clients("extract.handler", "secretsmanager").get_secret_value(
            SecretId=moto.secret_arn)["SecretString"])
        assert spotify.live_refresh_tokens() == {stored["refresh_token"]}
        # A redelivered event finds the raw file gone and recognises it as done.
        again = transform.handler(s3_event(raw_key), None, s3=s3)
        assert again["results"][0]["status"] == "already processed"

    account(body)


def test_malformed_raw_file_moves_to_errors_under_the_template_policy(account, monkeypatch):
    def body(moto: MotoAccount):
        bad_key = "raw_data/to_processed/spotify_raw_bad.json"
        # The extract role is the one that may write there.
        moto.clients("extract.handler", "s3").put_object(Bucket=BUCKET, Key=bad_key, Body=b"{ not json")
        s3 = moto.clients("transform.handler", "s3")
        result = transform.handler(s3_event(bad_key), None, s3=s3)
        assert result["results"][0]["status"] == "error"
        listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
        assert listed == ["raw_data/errors/spotify_raw_bad.json", "raw_data/errors/spotify_raw_bad.json.reason.txt"]

    account(body)


def test_the_enforcement_catches_a_missing_grant(account, monkeypatch):
    """Control: the transform without its output grant is refused, so the tests above prove the policy."""
    def body(moto: MotoAccount):
        moto.clients("extract.handler", "s3").put_object(
            Bucket=BUCKET, Key="raw_data/to_processed/spotify_raw_x.json", Body=b'{"playlists": []}')
        crippled = moto.clients(CONTROL, "s3")
        with pytest.raises(ClientError, match="AccessDenied"):
            transform.handler(s3_event("raw_data/to_processed/spotify_raw_x.json"), None, s3=crippled)

    account(body)


def test_the_enforcement_checks_the_secrets_arn(account, monkeypatch):
    """Control: a grant on another secret's ARN is refused, so the extract tests above prove its statement."""
    def body(moto: MotoAccount):
        elsewhere = moto.clients(SECRET_CONTROL, "secretsmanager")
        with pytest.raises(ClientError, match="AccessDenied"):
            elsewhere.get_secret_value(SecretId=moto.secret_arn)
        with pytest.raises(ClientError, match="AccessDenied"):
            elsewhere.put_secret_value(SecretId=moto.secret_arn, SecretString="{}")

    account(body)


def test_extract_reads_and_rotates_only_the_secret_it_is_given(ingestion_template):
    """The statement moto cannot scope: Get and PutSecretValue on exactly the ARN the function receives."""
    resolver = sample_names("alice-spotify-ingestion", ingestion_template)
    function = function_of(ingestion_template, "extract.handler")
    policy = role_policy_document(ingestion_template, role_of(function), resolver)
    secret_arn = resolver.resolve(function["Properties"]["Environment"]["Variables"]["SECRET_ARN"])
    grants = [s for s in policy["Statement"] if any(a.startswith("secretsmanager:") for a in as_list(s["Action"]))]
    assert [(sorted(as_list(s["Action"])), s["Resource"]) for s in grants] == [
        (["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"], secret_arn)]
    assert secret_arn.startswith("arn:aws:secretsmanager:")
    transform_policy = role_policy_document(ingestion_template, role_of(function_of(ingestion_template,
                                                                                      "transform.handler")), resolver)
    assert not [s for s in transform_policy["Statement"]
                if any(a.startswith("secretsmanager:") for a in as_list(s["Action"]))]


def buckets_read_by(template: dict, function_id: str, resolver) -> set[str]:
    """Bucket ARNs a function reads from: its BUCKET_NAME variable, and buckets whose events invoke it."""
    function = template["Resources"][function_id]
    names = set()
    variables = function["Properties"].get("Environment", {}).get("Variables", {})
    if "BUCKET_NAME" in variables:
        names.add(resolver.resolve(variables["BUCKET_NAME"]))
    for resource in template["Resources"].values():
        if resource["Type"] != "Custom::S3BucketNotifications":
            continue
        configurations = resource["Properties"]["NotificationConfiguration"].get("LambdaFunctionConfigurations", [])
        if any(c["LambdaFunctionArn"] == {"Fn::GetAtt": [function_id, "Arn"]} for c in configurations):
            names.add(resolver.resolve(resource["Properties"]["BucketName"]))
    return {f"arn:aws:s3:::{name}" for name in names}


def test_code_that_handles_nosuchkey_may_list_its_bucket(ingestion_template):
    """S3 answers a missing key with 403 AccessDenied, not 404 NoSuchKey, to a caller without s3:ListBucket
    (GetObject, "Permissions"): moto does not, so the grant is pinned for every handler that expects 404."""
    resolver = sample_names("alice-spotify-ingestion", ingestion_template)
    checked = 0
    for function_id, function in ingestion_template["Resources"].items():
        handler = (function.get("Properties", {}).get("Handler", "")
                   if function["Type"] == "AWS::Lambda::Function" else "")
        source = os.path.join(RUNTIME, handler.split(".")[0] + ".py")
        if not handler or not os.path.exists(source):
            continue
        with open(source, encoding="utf-8") as code:
            if "NoSuchKey" not in code.read():
                continue
        checked += 1
        policy = role_policy_document(ingestion_template, role_of(function), resolver)
        listable = {r for s in policy["Statement"] if "s3:ListBucket" in as_list(s["Action"]) and "Condition" not in s
                    for r in as_list(s["Resource"])}
        buckets = buckets_read_by(ingestion_template, function_id, resolver)
        assert buckets and buckets <= listable, (handler, buckets, listable)
    assert checked == 1  # transform.py today; a new handler that expects NoSuchKey is covered automatically
