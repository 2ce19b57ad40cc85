"""cdk-nag acknowledgments and cfn-lint exceptions, each on one construct with one specific reason.

There is no blanket list of suppressed rules for the whole app: each call
names the exact finding (rule id, and for wildcard findings the exact action
or resource as cdk-nag prints it) on the construct that raises it, so a new
finding anywhere else still fails synthesis.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, DefaultStackSynthesizer, Stack, Token, Validations
from constructs import IConstruct


BOOTSTRAP_QUALIFIER_CONTEXT_KEY = "@aws-cdk/core:bootstrapQualifier"


def acknowledge(scope: IConstruct, finding_id: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=finding_id, reason=reason))


def wildcard_resource(resource: str) -> str:
    return f"AwsSolutions-IAM5[Resource::{resource}]"


def wildcard_action(action: str) -> str:
    return f"AwsSolutions-IAM5[Action::{action}]"


def arn_of(construct: IConstruct) -> str:
    """A resource's ARN as cdk-nag prints it in findings: <LogicalId.Arn>."""
    stack = Stack.of(construct)
    logical_id = stack.resolve(stack.get_logical_id(construct.node.default_child))
    return f"<{logical_id}.Arn>"


def account_arn(service: str, resource: str) -> str:
    """arn:<AWS::Partition>:<service>:<AWS::Region>:<AWS::AccountId>:<resource>, as printed by cdk-nag."""
    return f"arn:<AWS::Partition>:{service}:<AWS::Region>:<AWS::AccountId>:{resource}"


def ignore_cfn_lint_check(resource: IConstruct, check: str) -> None:
    """cfn-lint reads ignore_checks from the resource's Metadata; callers say why in a comment."""
    options = resource.cfn_options
    options.metadata = {**(options.metadata or {}), "cfn-lint": {"config": {"ignore_checks": [check]}}}


def cdk_assets_bucket_objects(stack: Stack) -> str:
    """The bootstrap asset bucket's objects as cdk-nag prints them; the CLI resolves
    region and partition from the environment, an environment-agnostic synth does not."""

    def shown(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition, account, region = (
        shown(stack.partition, "Partition"),
        shown(stack.account, "AccountId"),
        shown(stack.region, "Region"),
    )
    # A custom bootstrap qualifier (`cdk bootstrap --qualifier`) is read from the same context key
    # DefaultStackSynthesizer reads.
    qualifier = stack.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT_KEY) or DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return f"arn:{partition}:s3:::cdk-{qualifier}-assets-{account}-{region}/*"
