"""GitHub Actions -> AWS through OIDC: no stored AWS keys anywhere.

Two roles, each trusted only by this repository, and each allowed nothing but
to assume CDK bootstrap roles of this account and region:

- the diff role, for pull requests (and the default branch): it may assume the
  bootstrap *lookup* role only, which reads templates but cannot change
  anything, so code in a pull request can never deploy;
- the deploy role, for the GitHub environment the deploy job runs in (which
  can require a reviewer's approval): it may assume the bootstrap roles that
  `cdk deploy` uses (deploy, file and image publishing, lookup). CloudFormation
  itself then acts through the bootstrap execution role.

An account has at most one OIDC provider per URL: create it here, or import
the existing one with `githubOidcProviderArn`.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, DefaultStackSynthesizer, Fn, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from stacks.nag import BOOTSTRAP_QUALIFIER_CONTEXT_KEY
from stacks.settings import Settings

GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_TOKEN_ISSUER = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"

# The bootstrap roles the CDK CLI assumes, as DefaultStackSynthesizer names them.
LOOKUP_ROLE = DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN
DEPLOY_ROLES = (
    DefaultStackSynthesizer.DEFAULT_DEPLOY_ROLE_ARN,
    DefaultStackSynthesizer.DEFAULT_FILE_ASSET_PUBLISHING_ROLE_ARN,
    DefaultStackSynthesizer.DEFAULT_IMAGE_ASSET_PUBLISHING_ROLE_ARN,
    DefaultStackSynthesizer.DEFAULT_LOOKUP_ROLE_ARN,
)


def github_subjects(repository: str, *, branch: str | None = None, environment: str | None = None,
                    pull_requests: bool = False) -> list[str]:
    """The `sub` claims GitHub puts in a job's OIDC token, exactly (compared with StringEquals)."""
    subjects = []
    if branch:
        subjects.append(f"repo:{repository}:ref:refs/heads/{branch}")
    if pull_requests:
        subjects.append(f"repo:{repository}:pull_request")
    if environment:
        subjects.append(f"repo:{repository}:environment:{environment}")
    return subjects


class GitHubDeployAccess(Construct):
    """The OIDC provider (created or imported) and the two roles GitHub Actions assumes."""

    def __init__(self, scope: Construct, construct_id: str, *, resource_prefix: str, repository: str,
                 branch: str, environment: str, existing_provider_arn: str | None) -> None:
        super().__init__(scope, construct_id)
        if existing_provider_arn:
            provider_arn = existing_provider_arn
        else:
            provider = iam.OidcProviderNative(self, "Provider", url=GITHUB_OIDC_URL, client_ids=[STS_AUDIENCE])
            provider_arn = provider.oidc_provider_arn
        qualifier = (
            self.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT_KEY) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
        )

        def trusted_by(subjects: list[str]) -> iam.FederatedPrincipal:
            return iam.FederatedPrincipal(
                provider_arn,
                conditions={
                    "StringEquals": {
                        f"{GITHUB_TOKEN_ISSUER}:aud": STS_AUDIENCE,
                        f"{GITHUB_TOKEN_ISSUER}:sub": subjects,
                    }
                },
                assume_role_action="sts:AssumeRoleWithWebIdentity",
            )

        def may_assume(role: iam.Role, sid: str, role_arn_templates) -> None:
            # The CLI tags its sessions; the bootstrap roles allow sts:TagSession for this account.
            role.add_to_policy(iam.PolicyStatement(
                sid=sid,
                actions=["sts:AssumeRole", "sts:TagSession"],
                resources=[Fn.sub(template.replace("${Qualifier}", qualifier)) for template in role_arn_templates],
            ))

        self.diff_role = iam.Role(
            self,
            "DiffRole",
            role_name=f"{resource_prefix}-github-diff",
            description=f"GitHub Actions of {repository}: cdk diff from pull requests (bootstrap lookup role only)",
            assumed_by=trusted_by(github_subjects(repository, branch=branch, pull_requests=True)),
        )
        may_assume(self.diff_role, "AssumeCdkLookupRole", [LOOKUP_ROLE])
        self.deploy_role = iam.Role(
            self,
            "DeployRole",
            role_name=f"{resource_prefix}-github-deploy",
            description=f"GitHub Actions of {repository}: cdk deploy from the {environment} environment",
            assumed_by=trusted_by(github_subjects(repository, environment=environment)),
        )
        may_assume(self.deploy_role, "AssumeCdkDeploymentRoles", DEPLOY_ROLES)


class GitHubDeployStack(Stack):
    """Deployed once by hand (README, Continuous integration); CI passes -c githubRepository= and never touches it."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)
        access = GitHubDeployAccess(
            self,
            "GitHubDeployAccess",
            resource_prefix=settings.resource_prefix,
            repository=settings.github_repository,
            branch=settings.github_deploy_branch,
            environment=settings.github_deploy_environment,
            existing_provider_arn=settings.github_oidc_provider_arn,
        )
        self.access = access
        CfnOutput(self, "DiffRoleArn", value=access.diff_role.role_arn,
                  description="Repository variable AWS_DIFF_ROLE_ARN")
        CfnOutput(self, "DeployRoleArn", value=access.deploy_role.role_arn,
                  description="Repository variable AWS_DEPLOY_ROLE_ARN")
        CfnOutput(
            self,
            "SetRepositoryVariables",
            description="Run once with the GitHub CLI to turn on diff and deploy",
            value=Fn.join("", [
                f"gh variable set --repo {settings.github_repository} AWS_DIFF_ROLE_ARN --body ",
                access.diff_role.role_arn,
                f" && gh variable set --repo {settings.github_repository} AWS_DEPLOY_ROLE_ARN --body ",
                access.deploy_role.role_arn,
                f" && gh variable set --repo {settings.github_repository} AWS_REGION --body ",
                self.region,
                f" && gh variable set --repo {settings.github_repository} RESOURCE_PREFIX --body "
                f"{settings.resource_prefix}",
            ]),
        )
