"""Lifecycle: deploy -> destroy -> deploy with the same prefix works, and participants never collide.

A resource with a fixed physical name that CloudFormation retains on delete makes the next deploy
with that prefix fail with AlreadyExists (the Glue security configuration and the ingestion secret
did). Every resource type is classified (named by which property, or unnamed), so a new type from a
later stack fails here until someone decides; every stack of every variant is read generically.
"""

from __future__ import annotations

import pytest

from tests.stacks.conftest import ALL_VARIANTS
from tests.stacks.support.template_policies import app_resolvers

# Resource type -> path of the property that holds its physical name (a name CloudFormation does not
# generate when the template sets it).
PHYSICAL_NAME = {
    "AWS::S3::Bucket": ("BucketName",),
    "AWS::KMS::Alias": ("AliasName",),
    "AWS::Lambda::Function": ("FunctionName",),
    "AWS::Lambda::LayerVersion": ("LayerName",),
    "AWS::Logs::LogGroup": ("LogGroupName",),
    "AWS::IAM::Role": ("RoleName",),
    "AWS::IAM::ManagedPolicy": ("ManagedPolicyName",),
    "AWS::IAM::OIDCProvider": ("Url",),
    "AWS::SecretsManager::Secret": ("Name",),
    "AWS::SQS::Queue": ("QueueName",),
    "AWS::SNS::Topic": ("TopicName",),
    "AWS::Events::Rule": ("Name",),
    "AWS::CloudWatch::Alarm": ("AlarmName",),
    "AWS::CloudWatch::Dashboard": ("DashboardName",),
    "AWS::Glue::Database": ("DatabaseInput", "Name"),
    "AWS::Glue::Table": ("TableInput", "Name"),
    "AWS::Glue::Job": ("Name",),
    "AWS::Glue::Crawler": ("Name",),
    "AWS::Glue::Workflow": ("Name",),
    "AWS::Glue::Trigger": ("Name",),
    "AWS::Glue::SecurityConfiguration": ("Name",),
    "AWS::Athena::WorkGroup": ("Name",),
    "AWS::QuickSight::DataSource": ("DataSourceId",),
    "AWS::QuickSight::DataSet": ("DataSetId",),
    "AWS::QuickSight::Analysis": ("AnalysisId",),
    "AWS::QuickSight::Dashboard": ("DashboardId",),
    "AWS::QuickSight::Template": ("TemplateId",),
    "AWS::QuickSight::Theme": ("ThemeId",),
    "AWS::SSM::Parameter": ("Name",),
}
# Types named inside a parent (the property holding the parent's name): a table is unique only within its
# database, so its physical name is "<database>.<table>".
NAMED_WITHIN = {"AWS::Glue::Table": ("DatabaseName",)}
# Types whose physical id is always generated (or scoped to a parent that is), so they cannot collide.
UNNAMED = {
    "AWS::CDK::Metadata", "AWS::KMS::Key", "AWS::S3::BucketPolicy", "AWS::IAM::Policy", "AWS::SQS::QueuePolicy",
    "AWS::Lambda::Permission", "AWS::Lambda::EventInvokeConfig", "AWS::Athena::NamedQuery",
    "Custom::CDKBucketDeployment", "Custom::S3AutoDeleteObjects", "Custom::S3BucketNotifications",
}
RETAINING = {"Retain", "RetainExceptOnCreate", "Snapshot"}


def _has_resource_reference(value, logical_ids: set[str]) -> bool:
    """Whether a name is built from another resource's generated name or from the stack's unique id."""
    if isinstance(value, list):
        return any(_has_resource_reference(v, logical_ids) for v in value)
    if not isinstance(value, dict):
        return False
    if value.get("Ref") in logical_ids or value.get("Ref") == "AWS::StackId":
        return True
    if any(k in value for k in ("Fn::GetAtt", "Fn::GetStackOutput", "Fn::ImportValue")):
        return True
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        if any(f"${{{lid}" in text for lid in logical_ids) or "${AWS::StackId}" in text:
            return True
    return any(_has_resource_reference(v, logical_ids) for v in value.values())


def _property(properties: dict, path: tuple[str, ...]):
    for key in path:
        properties = properties.get(key) if isinstance(properties, dict) else None
    return properties


def physical_names(app) -> list[dict]:
    """One row per resource of every stack: type, logical id, rendered fixed name (None: generated), retained."""
    templates = {stack.stack_name: app.templates[short].to_json() for short, stack in app.stacks.items()}
    resolvers = app_resolvers(templates)
    rows = []
    for stack_name, template in templates.items():
        resources = template["Resources"]
        for logical_id, resource in resources.items():
            kind = resource["Type"]
            assert kind in PHYSICAL_NAME or kind in UNNAMED, (
                f"{stack_name}/{logical_id}: classify {kind} in PHYSICAL_NAME or UNNAMED of {__file__}")
            properties = resource.get("Properties", {})
            declared = _property(properties, PHYSICAL_NAME.get(kind, ("<unnamed>",)))
            if kind in NAMED_WITHIN and declared is not None:
                declared = {"Fn::Join": [".", [_property(properties, NAMED_WITHIN[kind]), declared]]}
            fixed = declared is not None and not _has_resource_reference(declared, set(resources))
            rows.append({
                "stack": stack_name, "logical_id": logical_id, "type": kind,
                "fixed_name": str(resolvers[stack_name].resolve(declared)) if fixed else None,
                "retained": resource.get("DeletionPolicy", "Delete") in RETAINING,
            })
    return rows


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_no_fixed_name_is_retained_on_delete(variant, request):
    rows = physical_names(request.getfixturevalue(variant))
    assert [r for r in rows if r["fixed_name"]], "expected named resources (job, crawler, workgroup...)"
    assert [(r["stack"], r["type"], r["fixed_name"]) for r in rows if r["fixed_name"] and r["retained"]] == []


@pytest.mark.parametrize("variant", ["full_app", "ingestion_app"])
def test_sandbox_teardown_retains_nothing_in_the_templates(variant, request):
    """removeDataOnDestroy=true: every resource of every stack is deleted with it (handler log groups too)."""
    rows = physical_names(request.getfixturevalue(variant))
    assert [(r["stack"], r["logical_id"], r["type"]) for r in rows if r["retained"]] == []


@pytest.mark.parametrize("variant", ["full_app", "ingestion_app"])
def test_sandbox_teardown_leaves_no_lambda_log_group_behind(variant, request):
    """A Lambda function without a log group in its template gets one from Lambda, which outlives the stack;
    aws-cdk-lib's own handlers included (stacks/storage.py gives them one)."""
    app = request.getfixturevalue(variant)
    left_behind, functions = [], 0
    for short in app.stacks:
        resources = app.templates[short].to_json()["Resources"]
        groups = {k: v for k, v in resources.items() if v["Type"] == "AWS::Logs::LogGroup"}
        for logical_id, resource in resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            functions += 1
            configured = resource["Properties"].get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
            named_after = [g for g, v in groups.items() if {"Ref": logical_id} in
                           v["Properties"].get("LogGroupName", {}).get("Fn::Join", ["", []])[1]]
            if configured not in groups and not named_after:
                left_behind.append(logical_id)
            for group in [configured] if configured in groups else named_after:
                assert groups[group].get("DeletionPolicy") == "Delete", (logical_id, group)
    assert functions >= 2 and left_behind == []


def test_two_participants_share_no_physical_name(alice_everything, bob_everything):
    alice = {r["fixed_name"] for r in physical_names(alice_everything) if r["fixed_name"]}
    bob = {r["fixed_name"] for r in physical_names(bob_everything) if r["fixed_name"]}
    assert len(alice) >= 10 and len(bob) == len(alice)
    assert alice & bob == set()
    assert set(alice_everything.stacks.values()).isdisjoint(bob_everything.stacks.values())
    assert {s.stack_name for s in alice_everything.stacks.values()} & {
        s.stack_name for s in bob_everything.stacks.values()} == set()


def test_glue_security_configuration_is_deleted_and_not_named_like_retained_ones(default_app, full_app):
    """Earlier versions retained `<prefix>-spotify-glue`; a new deploy must not reuse that name."""
    for app, prefix in ((default_app, "spotify"), (full_app, "alice")):
        rows = [r for r in physical_names(app) if r["type"] == "AWS::Glue::SecurityConfiguration"]
        assert [(r["fixed_name"], r["retained"]) for r in rows] == [(f"{prefix}-spotify-encryption", False)]


def test_ingestion_secret_has_a_generated_name_in_every_mode(ingestion_app, bob_everything):
    for app in (ingestion_app, bob_everything):
        secrets = [r for r in physical_names(app) if r["type"] == "AWS::SecretsManager::Secret"]
        assert len(secrets) == 1 and secrets[0]["fixed_name"] is None
        assert not secrets[0]["retained"]
