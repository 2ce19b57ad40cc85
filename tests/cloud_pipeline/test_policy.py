"""docs/participant-policy.json: every action exists, every resource has the ARN format AWS defines
for it (policy_sentry's copy of the IAM service reference), and the only account-wide statements are
the ones AWS cannot scope. The command-line tests run with exactly this policy (see conftest.py)."""

from __future__ import annotations

import json
import os
import re

import pytest
from policy_sentry.querying.actions import get_action_data

from tests.cloud_pipeline.conftest import POLICY, render_policy
from tests.stacks.support.iam_catalog import can_match, policy_problems, resource_formats

STATEMENTS = json.loads(render_policy("alice"))["Statement"]
ACTIONS = [(statement, action) for statement in STATEMENTS
           for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])]


def resources(statement: dict) -> list[str]:
    return [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]


def statement_actions(statement: dict) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]


def test_every_grant_is_valid_for_aws():
    """The same IAM-catalog check as the synthesized templates' policies."""
    assert policy_problems({"Statement": STATEMENTS}) == []


@pytest.mark.parametrize("statement, action", ACTIONS, ids=[a for _, a in ACTIONS])
def test_an_action_gets_star_only_when_it_supports_nothing_narrower(statement, action):
    if resources(statement) == ["*"]:
        assert set(resource_formats(action)) == {"*"}, f"{action} supports resource-level permissions: scope it"


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["Sid"] for s in STATEMENTS])
def test_each_resource_serves_an_action_of_its_statement(statement):
    for resource in resources(statement):
        if resource != "*":
            assert any(can_match(resource, f) for action in statement_actions(statement)
                       for f in resource_formats(action) if f != "*"), resource


def test_every_resource_is_scoped_to_the_prefix_except_what_aws_cannot_scope():
    unscoped = {r for statement in STATEMENTS for r in resources(statement) if "alice" not in r}
    assert unscoped == {
        "*",  # cloudformation:ListStacks has no resource-level permission
        "arn:aws:glue:eu-west-1:123456789012:catalog",  # every catalog read names the catalog too
        "arn:aws:kms:eu-west-1:123456789012:key/*",  # key ids are random: scoped by the prefix tag below
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*",  # names are generated: scoped by the tag too
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws-glue/jobs*",  # Glue's log groups are per account
        "arn:aws:iam::123456789012:role/cdk-hnb659fds-*-123456789012-eu-west-1",  # CDK's bootstrap roles
    }
    assert [s["Sid"] for s in STATEMENTS if "*" in resources(s)] == ["NameTheDeployedPrefixesWhenAStackIsMissing"]
    keys = next(s for s in STATEMENTS if s["Sid"] == "UseThePipelineKeysThroughS3Only")
    assert keys["Condition"]["StringEquals"] == {"aws:ResourceTag/resource-prefix": "alice",
                                                 "kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    secret = next(s for s in STATEMENTS if s["Sid"] == "ReadAndStoreTheSpotifyConsent")
    assert secret["Condition"] == {"StringEquals": {"aws:ResourceTag/resource-prefix": "alice"}}
    secret_key = next(s for s in STATEMENTS if s["Sid"] == "UseTheIngestionKeyThroughSecretsManagerOnly")
    assert secret_key["Condition"]["StringEquals"] == {"aws:ResourceTag/resource-prefix": "alice",
                                                       "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}


def condition_keys(action: str) -> set[str]:
    """The condition keys AWS's catalog lists for an action on its resource types."""
    service, name = action.split(":", 1)
    return {key for entry in get_action_data(service, name).get(service, [])
            if entry["action"].lower() == action.lower() for key in entry["condition_keys"]}


@pytest.mark.parametrize("statement", [s for s in STATEMENTS if "Condition" in s],
                         ids=[s["Sid"] for s in STATEMENTS if "Condition" in s])
def test_every_condition_key_applies_to_every_action_of_its_statement(statement):
    """A key an action does not support is absent from its request: StringEquals would then deny it."""
    for action in statement_actions(statement):
        patterns = [re.escape(key).replace(r"\$\{TagKey\}", "[^/]+") for key in condition_keys(action)]
        for conditions in statement["Condition"].values():
            for key in conditions:
                assert any(re.fullmatch(p, key) for p in patterns), f"{action} has no condition key {key}"


def test_no_placeholder_is_left_and_no_write_outside_staging_and_results():
    text = render_policy("alice")
    assert "<" not in text and ">" not in text
    writes = {r for s in STATEMENTS for r in resources(s)
              if {"s3:PutObject", "s3:DeleteObject"} & set(statement_actions(s))}
    assert writes == {"arn:aws:s3:::alice-spotify-pipeline-*/staging/*",
                      "arn:aws:s3:::alice-spotify-pipeline-*/results/*"}


def test_a_hyphenated_prefix_gets_its_underscored_database():
    text = render_policy("team-a")
    assert "database/team_a_spotify" in text and "table/team_a_spotify/*" in text


def test_the_format_check_rejects_a_resource_of_another_kind():
    job = {"Effect": "Allow", "Action": "glue:GetWorkflowRun",
           "Resource": "arn:aws:glue:eu-west-1:123456789012:job/alice-spotify-etl"}
    workflow = {**job, "Resource": "arn:aws:glue:eu-west-1:123456789012:workflow/alice-spotify-pipeline"}
    assert policy_problems({"Statement": [job]}) and policy_problems({"Statement": [workflow]}) == []


def test_docs_participant_policy_md_shows_exactly_this_policy():
    with open(os.path.join(os.path.dirname(POLICY), "participant-policy.md"), encoding="utf-8") as handle:
        doc = handle.read()
    with open(POLICY, encoding="utf-8") as handle:
        policy = handle.read().rstrip("\n")
    assert f"```json\n{policy}\n```" in doc


# Every AWS call the participant's commands make (smoke, the instructor's, also uses the tagging API and
# KMS). Read from the source, so a new call without its permission fails here even where a test stubs it.
S3_ACTIONS = {"get_object": "s3:GetObject", "upload_file": "s3:PutObject", "delete_object": "s3:DeleteObject",
              "list_objects_v2": "s3:ListBucket", "download_file": "s3:GetObject"}
CALL = re.compile(r"\b(glue|athena|s3|cloudformation|secretsmanager)\.(?:get_paginator\(\"(\w+)\"|(\w+)\()")


def calls_in_source() -> set[tuple[str, str]]:
    root = os.path.join(os.path.dirname(os.path.dirname(POLICY)), "cloud_pipeline")
    found = set()
    for name in os.listdir(root):
        if name.endswith(".py") and name != "smoke.py":
            with open(os.path.join(root, name), encoding="utf-8") as handle:
                for client, paginated, method in CALL.findall(handle.read()):
                    if method != "get_paginator":
                        found.add((client, paginated or method))
    return found


def test_every_call_of_the_participants_commands_is_granted():
    granted = {action for statement in STATEMENTS for action in statement_actions(statement)}
    calls = calls_in_source()
    assert ("athena", "stop_query_execution") in calls and ("s3", "list_objects_v2") in calls
    assert ("secretsmanager", "put_secret_value") in calls and ("secretsmanager", "get_secret_value") in calls
    for client, method in calls:
        action = S3_ACTIONS[method] if client == "s3" else f"{client}:{''.join(w.title() for w in method.split('_'))}"
        assert action in granted, f"{client}.{method} needs {action} in docs/participant-policy.json"
