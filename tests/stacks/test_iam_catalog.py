"""Every identity policy of every synthesized variant is valid for AWS (its IAM action/resource catalog).

cdk-nag judges breadth; this judges validity: an unknown action, or an action on a resource type it
does not support (glue:GetJobBookmark on a job ARN: the action accepts only "*"), grants nothing on
AWS and fails here. Policies are found generically (every AWS::IAM::Policy, ManagedPolicy and inline
role policy of every stack), so stacks added later are covered without touching this file.
"""

from __future__ import annotations

import pytest

from tests.stacks.conftest import ALL_VARIANTS
from tests.stacks.support.iam_catalog import can_match, policy_problems, statement_problems
from tests.stacks.support.template_policies import app_resolvers, identity_policies


def app_policies(app):
    """(stack name, policy, resolved document) for every identity policy of the app."""
    templates = {stack.stack_name: app.templates[short].to_json() for short, stack in app.stacks.items()}
    resolvers = app_resolvers(templates)
    for stack_name, template in templates.items():
        for policy in identity_policies(template):
            yield stack_name, policy, resolvers[stack_name].resolve(policy.document)


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_every_identity_policy_is_valid_for_aws(variant, request):
    app = request.getfixturevalue(variant)
    checked, problems = 0, []
    for stack_name, policy, document in app_policies(app):
        checked += 1
        problems += [f"{stack_name}/{policy.source}: {p}" for p in policy_problems(document)]
    assert checked >= 3, f"expected the job, crawler and handler policies in {variant}; found {checked}"
    assert problems == []


def test_the_check_rejects_what_aws_would_ignore():
    job = "arn:aws:glue:us-east-1:123456789012:job/spotify-spotify-etl"
    assert statement_problems({"Effect": "Allow", "Action": "glue:GetJobBookmark", "Resource": job}) == [
        f'glue:GetJobBookmark on {job}: the action supports only Resource "*"']
    assert statement_problems({"Effect": "Allow", "Action": "glue:GetJob", "Resource": job}) == []
    assert statement_problems({"Effect": "Allow", "Action": "glue:GetJobBookmarks", "Resource": "*"}) == [
        "glue:GetJobBookmarks: no such action in AWS's IAM catalog"]
    bucket_objects = "arn:aws:s3:::warehouse/tracks/*"
    assert "no resource of a type the action supports" in statement_problems(
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_objects})[0]
    assert statement_problems({"Effect": "Allow", "Action": "athena:ListWorkGroups", "Resource": "*"}) == []
    # One statement, two resource types: each action applies to the resources it supports.
    assert statement_problems({"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"],
                               "Resource": ["arn:aws:s3:::warehouse", bucket_objects]}) == []


@pytest.mark.parametrize("resource, arn_format, expected", [
    # IAM wildcards may span ARN fields: log-group:NAME:* covers the group's log streams.
    ("arn:aws:logs:us-east-1:1:log-group:/aws-glue/jobs*:*",
     "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}", True),
    ("arn:aws:logs:us-east-1:1:log-group:/aws-glue/jobs/output",
     "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}", False),
    ("arn:aws:s3:::warehouse", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", False),
    ("arn:aws:s3:::warehouse/tracks", "arn:${Partition}:s3:::${BucketName}", False),
    ("arn:aws:s3:::warehouse/tracks/", "arn:${Partition}:s3:::${BucketName}/${ObjectName}", True),
    ("arn:aws:glue:us-east-1:1:table/db/*", "arn:${Partition}:glue:${Region}:${Account}:database/${DatabaseName}",
     False),
])
def test_resource_patterns_meet_catalog_formats(resource, arn_format, expected):
    assert can_match(resource, arn_format) is expected
