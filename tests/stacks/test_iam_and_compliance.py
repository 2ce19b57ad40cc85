"""Least privilege, cdk-nag, cfn-lint and snapshots over the synthesized templates."""

from __future__ import annotations

import glob
import json
import os
import subprocess

import pytest
from aws_cdk import Validations
from aws_cdk import aws_iam as iam

from tests.stacks.support.synth import CFN_LINT, ROOT, assert_matches_snapshot, normalized, resources, synthesize

SNAPSHOTS = os.path.join(ROOT, "tests", "stacks", "snapshots")


def statements(template: dict):
    """(policy logical id, statement) for every identity policy statement."""
    for logical_id, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            yield logical_id, statement


def as_list(value):
    return value if isinstance(value, list) else [value]


def role_statements(template: dict, sid_marker: str) -> list[dict]:
    """Statements of the one role whose policy holds a statement with this Sid."""
    owners = {pid for pid, s in statements(template) if s.get("Sid") == sid_marker}
    assert len(owners) == 1, owners
    return [s for pid, s in statements(template) if pid in owners]


def warehouse_id(template: dict) -> str:
    (logical_id,) = [k for k, v in resources(template, "AWS::S3::Bucket").items()
                     if v["Properties"].get("LoggingConfiguration", {}).get("LogFilePrefix") == "warehouse/"]
    return logical_id


def data_bucket_ids(template: dict) -> set[str]:
    return {
        k for k, v in resources(template, "AWS::S3::Bucket").items() if "KMSMasterKeyID" in json.dumps(v["Properties"])
    }


@pytest.mark.parametrize("app_name", ["default_app", "full_app"])
def test_no_aws_managed_full_access_policies(app_name, request):
    template = request.getfixturevalue(app_name).template_json("pipeline")
    managed = [
        json.dumps(arn)
        for role in resources(template, "AWS::IAM::Role").values()
        for arn in role["Properties"].get("ManagedPolicyArns", [])
    ]
    assert not [arn for arn in managed if "FullAccess" in arn]
    # The only managed policy is the logs-only one aws-cdk-lib puts on its deployment handler.
    assert all("AWSLambdaBasicExecutionRole" in arn for arn in managed)


@pytest.mark.parametrize("app_name", ["default_app", "full_app"])
def test_no_wildcard_resources_on_data_buckets(app_name, request):
    """No S3 action on "*"; whole-bucket object access only for aws-cdk-lib's sample-data copier."""
    template = request.getfixturevalue(app_name).template_json("pipeline")
    data_buckets = data_bucket_ids(template)
    for policy_id, statement in statements(template):
        actions = as_list(statement["Action"])
        if not any(a.startswith("s3:") for a in actions):
            continue
        for resource in as_list(statement["Resource"]):
            assert resource != "*", (policy_id, statement)
            parts = resource.get("Fn::Join", ["", []])[1] if isinstance(resource, dict) else []
            if parts and isinstance(parts[0], dict) and parts[0].get("Fn::GetAtt", [None])[0] in data_buckets:
                if parts[-1] == "/*":
                    assert policy_id.startswith("CustomCDKBucketDeployment"), (policy_id, statement)


def test_glue_job_role_is_scoped_to_its_prefixes(default_app):
    template = default_app.template_json("pipeline")
    by_sid = {s.get("Sid"): s for s in role_statements(template, "ReadStagedCsv")}
    assert by_sid["ReadStagedCsv"]["Action"] == "s3:GetObject"
    # S3A (Glue 5.1's connector) needs each directory as `dir`, `dir/` and `dir/*`; no EMRFS `_$folder$`.
    assert sorted(r["Fn::Join"][1][-1] for r in by_sid["ReadStagedCsv"]["Resource"]) == [
        "/staging", "/staging/", "/staging/*"]
    warehouse = by_sid["WriteWarehouseTablesAndQuarantine"]
    assert {r["Fn::Join"][1][0]["Fn::GetAtt"][0] for r in warehouse["Resource"]} == {warehouse_id(template)}
    suffixes = [r["Fn::Join"][1][-1] for r in warehouse["Resource"]]
    # The run history's three tables (etl/history.py) are written like tracks/: directories, through S3A.
    assert sorted(suffixes) == sorted(
        ["/tracks", "/tracks/", "/tracks/*", "/quarantine", "/quarantine/", "/quarantine/*", "/run_summary.json",
         "/pipeline_runs", "/pipeline_runs/", "/pipeline_runs/*",
         "/pipeline_run_files", "/pipeline_run_files/", "/pipeline_run_files/*",
         "/pipeline_run_gates", "/pipeline_run_gates/", "/pipeline_run_gates/*"]
    )
    assert sorted(as_list(warehouse["Action"])) == [
        "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    assert by_sid["ListWarehouseMultipartUploads"]["Action"] == "s3:ListBucketMultipartUploads"
    assert by_sid["ReadOwnScript"]["Action"] == "s3:GetObject"
    assert "<asset-hash>.py" in normalized(by_sid["ReadOwnScript"]["Resource"])
    assert by_sid["PublishGlueMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "Glue"}}
    logs = by_sid["WriteEncryptedGlueLogs"]["Resource"]
    assert [r["Fn::Join"][1][-1] for r in logs] == [":log-group:/aws-glue/jobs*", ":log-group:/aws-glue/jobs*:*"]
    actions = {a for s in by_sid.values() for a in as_list(s["Action"])}
    # Bookmarks are off and the crawler owns the catalog: the job role has no Glue action at all.
    assert sorted(a for a in actions if a.startswith("glue:")) == []
    assert not [a for a in actions if a.endswith("*")]


def test_crawler_lists_its_bucket_without_a_prefix_condition(default_app, ingestion_app):
    """Glue validates the S3 target with the crawler's role, without a prefix, when it creates the crawler."""
    for template in (default_app.template_json("pipeline"), ingestion_app.template_json("ingestion")):
        listing = [s for _, s in statements(template) if s.get("Sid") == "ListTargetBucket"]
        assert len(listing) == 1
        assert sorted(as_list(listing[0]["Action"])) == ["s3:GetBucketLocation", "s3:ListBucket"]
        assert "Condition" not in listing[0]
        assert not [s for _, s in statements(template) if "s3:prefix" in json.dumps(s.get("Condition", {}))]


def test_catalog_access_is_limited_to_the_own_database(full_app):
    """Crawler and QuickSight: own database only, except what Athena documents as needed (default database,
    listing databases)."""
    template = full_app.template_json("pipeline")
    for _, statement in statements(template):
        glue_actions = [a for a in as_list(statement["Action"]) if a.startswith("glue:")]
        if not glue_actions:
            continue
        resources_text = [json.dumps(r) for r in as_list(statement["Resource"])]
        assert [r for r in resources_text if ":catalog" in r]
        others = [r for r in resources_text if ":catalog" not in r and "alice_spotify" not in r]
        if statement.get("Sid") == "ResolveDefaultAndOwnDatabase":
            assert glue_actions == ["glue:GetDatabase"] and len(others) == 1 and ":database/default" in others[0]
        elif statement.get("Sid") == "ListDatabases":
            assert glue_actions == ["glue:GetDatabases"] and len(others) == 1 and ":database/*" in others[0]
        else:
            assert others == [], statement
            assert [r for r in resources_text if ":table/alice_spotify/*" in r]


def test_quicksight_role_reads_catalog_partitions_results_and_keys(full_app):
    template = full_app.template_json("pipeline")
    by_sid = {s.get("Sid"): s for s in role_statements(template, "ReadOwnDatabaseTablesAndPartitions")}
    actions = {a for s in by_sid.values() for a in as_list(s["Action"])}
    assert {"glue:GetPartitions", "glue:BatchGetPartition", "glue:GetTable", "glue:GetDatabase", "glue:GetDatabases",
            "athena:StartQueryExecution", "s3:PutObject", "kms:Decrypt", "kms:GenerateDataKey"} <= actions
    # Listing catalogs and workgroups accepts only "*" (Service Authorization Reference).
    assert by_sid["ListCatalogsAndWorkGroups"] == {
        "Action": ["athena:ListDataCatalogs", "athena:ListWorkGroups"], "Effect": "Allow", "Resource": "*",
        "Sid": "ListCatalogsAndWorkGroups"}


def test_quicksight_role_reads_the_tracks_and_run_history_parquet_only(full_app):
    template = full_app.template_json("pipeline")
    statements_ = role_statements(template, "ReadOwnDatabaseTablesAndPartitions")
    by_sid = {s.get("Sid"): s for s in statements_}
    for sid, suffixes in (("ReadTracksParquet", ["/tracks/*"]),
                          ("ReadRunHistoryParquet", ["/pipeline_runs/*", "/pipeline_run_files/*",
                                                     "/pipeline_run_gates/*"])):
        resources_ = as_list(by_sid[sid]["Resource"])
        assert by_sid[sid]["Action"] == "s3:GetObject", sid
        assert sorted(r["Fn::Join"][1][-1] for r in resources_) == sorted(suffixes)
        assert {r["Fn::Join"][1][0]["Fn::GetAtt"][0] for r in resources_} == {warehouse_id(template)}
    # Nothing else of the warehouse: no other object read, and no write at all.
    warehouse_objects = [(s.get("Sid"), a) for s in statements_ for r in as_list(s["Resource"])
                         for a in as_list(s["Action"]) if warehouse_id(template) in json.dumps(r)
                         and "Fn::Join" in json.dumps(r)]
    assert sorted(warehouse_objects) == [("ReadRunHistoryParquet", "s3:GetObject")] * 3 + [
        ("ReadTracksParquet", "s3:GetObject")]


def test_cdk_nag_is_active_and_fails_on_a_new_finding(tmp_path, monkeypatch):
    """The app synthesizes nag-clean (the fixtures prove it); a new wildcard must fail synth."""
    from stacks import pipeline_stack

    original = pipeline_stack.SpotifyPipelineStack.__init__

    def with_sloppy_role(self, *args, **kwargs):
        original(self, *args, **kwargs)
        role = iam.Role(self, "Sloppy", assumed_by=iam.ServicePrincipal("glue.amazonaws.com"))
        role.add_to_policy(iam.PolicyStatement(actions=["s3:*"], resources=["*"]))

    monkeypatch.setattr(pipeline_stack.SpotifyPipelineStack, "__init__", with_sloppy_role)
    with pytest.raises(Exception, match="ValidationFailed"):
        synthesize(tmp_path)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert "AwsSolutions-IAM5[Action::s3:*]" in rules
    assert "AwsSolutions-IAM5[Resource::*]" in rules


def test_a_custom_bootstrap_qualifier_synthesizes_nag_clean(tmp_path):
    """`cdk bootstrap --qualifier` renames the asset bucket; the BucketDeployment's acknowledged
    read of it must follow, or synth fails on an IAM5 finding for the default bucket's name."""
    app = synthesize(tmp_path, **{"@aws-cdk/core:bootstrapQualifier": "spot1"})
    policies = json.dumps(resources(app.template_json("pipeline"), "AWS::IAM::Policy"))
    assert "cdk-spot1-assets-" in policies and "cdk-hnb659fds-assets-" not in policies


@pytest.mark.parametrize("app_name", ["default_app", "full_app"])
def test_acknowledgments_name_a_finding_and_a_reason(app_name, request):
    app = request.getfixturevalue(app_name)
    stack = app.stacks["pipeline"]
    acknowledged = {}
    for construct in stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                acknowledged.update(entry.data)
    assert acknowledged, "expected the documented acknowledgments"
    for finding, reason in acknowledged.items():
        assert finding.startswith(("AwsSolutions-", "Annotation::", "annotation::")), finding
        assert len(reason) > 40, (finding, reason)


@pytest.mark.parametrize("app_name", ["default_app", "full_app"])
def test_cfn_lint_is_clean(app_name, request):
    app = request.getfixturevalue(app_name)
    templates = sorted(glob.glob(os.path.join(app.outdir, "*.template.json")))
    assert templates
    result = subprocess.run([CFN_LINT, *templates], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


SNAPSHOT_CASES = {"default": "default_app", "full": "full_app"}


@pytest.mark.parametrize("case", sorted(SNAPSHOT_CASES))
def test_templates_match_snapshots(case, request):
    """Set UPDATE_SNAPSHOTS=1 to accept an intended infrastructure change."""
    app = request.getfixturevalue(SNAPSHOT_CASES[case])
    for name, template in app.templates.items():
        assert_matches_snapshot(os.path.join(SNAPSHOTS, f"{case}-{name}.template.json"), template.to_json())
