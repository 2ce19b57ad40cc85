"""Find a deployed pipeline from its CloudFormation outputs, never from hard-coded names."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

from botocore.exceptions import ClientError

from cloud_pipeline.errors import OperatorError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the checkout, where cdk.json is

STACK_SUFFIX = "-spotify-pipeline"
REQUIRED_OUTPUTS = (
    "StagingBucket", "WarehouseBucket", "AthenaResultsBucket", "GlueJobName", "CrawlerName",
    "WorkflowName", "DatabaseName", "TracksTable", "AthenaWorkGroup",
)
LIVE_STATUSES = [  # every ListStacks status except DELETE_COMPLETE
    "CREATE_IN_PROGRESS", "CREATE_FAILED", "CREATE_COMPLETE", "ROLLBACK_IN_PROGRESS", "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE", "DELETE_IN_PROGRESS", "DELETE_FAILED", "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED", "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS", "IMPORT_IN_PROGRESS", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED", "IMPORT_ROLLBACK_COMPLETE",
]


def default_prefix(cdk_json: str = os.path.join(ROOT, "cdk.json")) -> str:
    with open(cdk_json, encoding="utf-8") as handle:
        return json.load(handle)["context"]["resourcePrefix"]


def stack_name(prefix: str) -> str:
    return f"{prefix}{STACK_SUFFIX}"


@dataclass(frozen=True)
class Pipeline:
    """A deployed pipeline stack: its status and outputs."""

    prefix: str
    region: str
    stack_name: str
    status: str
    outputs: dict[str, str]

    def output(self, key: str) -> str:
        return self.outputs[key]


def pipeline_prefixes(cloudformation) -> list[str]:
    """The prefixes of the pipeline stacks that exist in this account and region."""
    prefixes = []
    for page in cloudformation.get_paginator("list_stacks").paginate(StackStatusFilter=LIVE_STATUSES):
        for summary in page["StackSummaries"]:
            if summary["StackName"].endswith(STACK_SUFFIX):
                prefixes.append(summary["StackName"][: -len(STACK_SUFFIX)])
    return sorted(set(prefixes))


def find_pipeline(cloudformation, prefix: str, region: str) -> Pipeline:
    name = stack_name(prefix)
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" not in error.response.get("Error", {}).get("Message", ""):
            raise
        stacks = []
    if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
        others = pipeline_prefixes(cloudformation)
        found = (f"prefixes deployed there: {', '.join(others)} (pass --prefix)" if others
                 else "no pipeline is deployed there (wrong --region? or run make deploy first)")
        raise OperatorError(f"stack {name} not found in region {region}; {found}")
    stack = stacks[0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    missing = [key for key in REQUIRED_OUTPUTS if key not in outputs]
    if missing:
        raise OperatorError(
            f"stack {name} is {stack['StackStatus']} and lacks the outputs {', '.join(missing)}: "
            "wait for the deployment to finish or redeploy with make deploy"
        )
    return Pipeline(prefix, region, name, stack["StackStatus"], outputs)
