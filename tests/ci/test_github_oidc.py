"""The GitHub deploy stack: who may assume its roles, and what they may do, read off the template."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess

import pytest
from aws_cdk import App, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from stacks.app_factory import build_app
from stacks.github_oidc import GitHubDeployAccess
from stacks.settings import SettingsError, settings_from_context
from tests.ci.conftest import REPOSITORY
from tests.stacks.support.synth import CFN_LINT, ROOT, assert_matches_snapshot, cdk_context, resources, synthesize

SNAPSHOT = os.path.join(ROOT, "tests", "stacks", "snapshots", "github-deploy.template.json")
EXISTING_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
STS = "sts.amazonaws.com"


def role(template: dict, name: str) -> dict:
    matches = [r for r in resources(template, "AWS::IAM::Role").values() if r["Properties"]["RoleName"] == name]
    assert len(matches) == 1, name
    return matches[0]


def admits(role_resource: dict, *, sub: str, aud: str = STS) -> bool:
    """Whether the trust policy lets a GitHub token with these claims assume the role (IAM semantics
    for the operators used: every condition key must match one of its values)."""
    claims = {"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": aud}
    for statement in role_resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]:
        if statement["Effect"] != "Allow" or statement["Action"] != "sts:AssumeRoleWithWebIdentity":
            continue
        matched = True
        for operator, conditions in statement.get("Condition", {}).items():
            assert operator in ("StringEquals", "StringLike"), operator
            for key, allowed in conditions.items():
                allowed = allowed if isinstance(allowed, list) else [allowed]
                value = claims.get(key)
                if operator == "StringEquals":
                    matched &= value in allowed
                else:
                    matched &= any(fnmatch.fnmatchcase(value or "", pattern) for pattern in allowed)
        if matched and statement.get("Condition"):
            return True
    return False


def policy_grants(template: dict, role_logical_id: str) -> list[tuple[list, list]]:
    """(actions, resources) of every identity policy statement attached to the role."""
    grants = []
    for policy in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                assert statement["Effect"] == "Allow"
                listed = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                grants.append((sorted(statement["Action"]), [r["Fn::Sub"] for r in listed]))
    return grants


def logical_id(template: dict, role_name: str) -> str:
    return next(k for k, v in resources(template, "AWS::IAM::Role").items()
                if v["Properties"]["RoleName"] == role_name)


def bootstrap_role(kind: str, qualifier: str = "hnb659fds") -> str:
    return (f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/"
            f"cdk-{qualifier}-{kind}-${{AWS::AccountId}}-${{AWS::Region}}")


@pytest.fixture(scope="module")
def template(github_app) -> dict:
    return github_app.template_json("github")


# --- who may assume the roles ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("sub", "aud", "expected"),
    [
        (f"repo:{REPOSITORY}:pull_request", STS, True),
        (f"repo:{REPOSITORY}:ref:refs/heads/main", STS, True),
        (f"repo:{REPOSITORY}:ref:refs/heads/feature", STS, False),
        (f"repo:{REPOSITORY}:environment:aws-deploy", STS, False),
        ("repo:mallory/spotify-fork:pull_request", STS, False),  # a fork of the repository
        ("repo:mallory/spotify-fork:ref:refs/heads/main", STS, False),  # a fork's default branch
        (f"repo:{REPOSITORY}-evil:pull_request", STS, False),
        ("repo:octo-org/spotify:pull_request", STS, False),
        (f"repo:{REPOSITORY}:pull_request", "https://github.com/octo-org", False),
    ],
)
def test_diff_role_is_trusted_by_this_repositorys_pull_requests_and_default_branch_only(template, sub, aud, expected):
    assert admits(role(template, "alice-github-diff"), sub=sub, aud=aud) is expected


@pytest.mark.parametrize(
    ("sub", "aud", "expected"),
    [
        (f"repo:{REPOSITORY}:environment:aws-deploy", STS, True),
        (f"repo:{REPOSITORY}:environment:production", STS, False),
        (f"repo:{REPOSITORY}:pull_request", STS, False),
        (f"repo:{REPOSITORY}:ref:refs/heads/main", STS, False),
        ("repo:mallory/spotify-fork:environment:aws-deploy", STS, False),  # a fork with the same environment
        (f"repo:{REPOSITORY}:environment:aws-deploy", "sigstore", False),
    ],
)
def test_deploy_role_is_trusted_by_the_deploy_environment_only(template, sub, aud, expected):
    assert admits(role(template, "alice-github-deploy"), sub=sub, aud=aud) is expected


def test_roles_trust_the_github_oidc_provider_created_in_the_stack(template):
    providers = resources(template, "AWS::IAM::OIDCProvider")
    assert len(providers) == 1
    (provider_id, provider), = providers.items()
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == [STS]
    for name in ("alice-github-diff", "alice-github-deploy"):
        statements = role(template, name)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert [s["Principal"] for s in statements] == [{"Federated": {"Ref": provider_id}}]


# --- what the roles may do -------------------------------------------------------------------------

def test_diff_role_may_assume_only_the_bootstrap_lookup_role(template):
    grants = policy_grants(template, logical_id(template, "alice-github-diff"))
    assert grants == [(["sts:AssumeRole", "sts:TagSession"], [bootstrap_role("lookup-role")])]


def test_deploy_role_may_assume_only_the_bootstrap_roles_the_cli_uses(template):
    grants = policy_grants(template, logical_id(template, "alice-github-deploy"))
    assert grants == [(["sts:AssumeRole", "sts:TagSession"], [
        bootstrap_role("deploy-role"), bootstrap_role("file-publishing-role"),
        bootstrap_role("image-publishing-role"), bootstrap_role("lookup-role"),
    ])]
    # Nothing else: no managed or inline policies, and never the execution role CloudFormation uses.
    for name in ("alice-github-diff", "alice-github-deploy"):
        properties = role(template, name)["Properties"]
        assert "ManagedPolicyArns" not in properties and "Policies" not in properties
    assert "cfn-exec-role" not in json.dumps(template)


def test_outputs_give_the_role_arns_and_the_variables_to_set(template):
    outputs = template["Outputs"]
    assert outputs["DiffRoleArn"]["Value"] == {"Fn::GetAtt": [logical_id(template, "alice-github-diff"), "Arn"]}
    assert outputs["DeployRoleArn"]["Value"] == {"Fn::GetAtt": [logical_id(template, "alice-github-deploy"), "Arn"]}
    command = json.dumps(outputs["SetRepositoryVariables"]["Value"])
    assert "RESOURCE_PREFIX --body alice" in command and '{"Ref": "AWS::Region"}' in command


# --- options: import an existing provider, another branch, environment and bootstrap qualifier ----

def test_existing_provider_branch_and_environment(tmp_path):
    app = synthesize(
        tmp_path,
        githubRepository=REPOSITORY,
        githubDeployBranch="trunk",
        githubDeployEnvironment="production",
        githubOidcProviderArn=EXISTING_PROVIDER,
    )
    template = app.template_json("github")
    assert resources(template, "AWS::IAM::OIDCProvider") == {}
    diff, deploy = role(template, "spotify-github-diff"), role(template, "spotify-github-deploy")
    for resource in (diff, deploy):
        principals = [s["Principal"] for s in resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]]
        assert principals == [{"Federated": EXISTING_PROVIDER}]
    assert admits(diff, sub=f"repo:{REPOSITORY}:ref:refs/heads/trunk")
    assert not admits(diff, sub=f"repo:{REPOSITORY}:ref:refs/heads/main")
    assert admits(deploy, sub=f"repo:{REPOSITORY}:environment:production")
    assert not admits(deploy, sub=f"repo:{REPOSITORY}:environment:aws-deploy")


def test_roles_follow_a_custom_bootstrap_qualifier():
    app = App(context={"@aws-cdk/core:bootstrapQualifier": "team42"})
    stack = Stack(app, "Access")
    GitHubDeployAccess(stack, "Access", resource_prefix="alice", repository=REPOSITORY, branch="main",
                       environment="aws-deploy", existing_provider_arn=None)
    template = Template.from_stack(stack).to_json()
    assert policy_grants(template, logical_id(template, "alice-github-diff")) == [
        (["sts:AssumeRole", "sts:TagSession"], [bootstrap_role("lookup-role", "team42")])]
    assert "hnb659fds" not in json.dumps(template)


def test_the_stack_exists_only_when_a_repository_is_set():
    context = cdk_context()
    stacks = build_app(App(context=context), settings_from_context(context.get))
    assert set(stacks) == {"pipeline"}


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("githubRepository", "spotify-fork",
         "githubRepository='spotify-fork': expected empty (no GitHub deploy stack)"),
        ("githubRepository", "octo-org/spotify-fork/extra",
         "expected empty (no GitHub deploy stack) or the repository"),
        ("githubRepository", "-octo/spotify", "expected empty (no GitHub deploy stack) or the repository"),
        ("githubRepository", "octo-org/..", "expected empty (no GitHub deploy stack) or the repository"),
        ("githubDeployBranch", "release/*", "githubDeployBranch='release/*': expected the repository's default branch"),
        ("githubDeployBranch", "", "githubDeployBranch='': expected the repository's default branch"),
        ("githubDeployEnvironment", "prod env", "githubDeployEnvironment='prod env': expected the GitHub environment"),
        ("githubOidcProviderArn", "arn:aws:iam::123456789012:oidc-provider/accounts.google.com",
         "expected empty (create the provider) or the ARN of the account's existing provider"),
    ],
)
def test_invalid_github_settings_name_the_key(key, value, message):
    with pytest.raises(SettingsError) as failure:
        settings_from_context(cdk_context(**{key: value}).get)
    assert message in str(failure.value)
    assert f"-c {key}=" in str(failure.value)


# --- compliance: cdk-nag, cfn-lint, snapshot ------------------------------------------------------

def test_stack_is_nag_clean_with_no_acknowledgments(github_app):
    """synthesize() fails on any unacknowledged cdk-nag finding; here nothing is acknowledged either."""
    stack = github_app.stacks["github"]
    for construct in stack.node.find_all():
        assert not [e for e in construct.node.metadata if e.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY]
    report = json.loads(open(os.path.join(github_app.outdir, "validation-report.json"), encoding="utf-8").read())
    paths = [c.get("constructPath", "") for p in report["pluginReports"] for v in p["violations"]
             for c in v.get("violatingConstructs", []) + v.get("violatingResources", [])]
    assert not [p for p in paths if p.startswith("alice-github-deploy")]


def test_cdk_nag_covers_the_github_stack(tmp_path, monkeypatch):
    from stacks import github_oidc

    original = github_oidc.GitHubDeployStack.__init__

    def with_wildcard(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.access.deploy_role.add_to_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=["*"]))

    monkeypatch.setattr(github_oidc.GitHubDeployStack, "__init__", with_wildcard)
    with pytest.raises(Exception, match="ValidationFailed"):
        synthesize(tmp_path, githubRepository=REPOSITORY)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    assert "AwsSolutions-IAM5[Resource::*]" in {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}


def test_cfn_lint_is_clean(github_app):
    path = os.path.join(github_app.outdir, "alice-github-deploy.template.json")
    result = subprocess.run([CFN_LINT, path], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_template_matches_snapshot(template):
    """UPDATE_SNAPSHOTS=1 make test accepts an intended change."""
    assert_matches_snapshot(SNAPSHOT, template)
