"""Checks an identity policy against AWS's IAM action/resource catalog (policy_sentry's database).

An Allow statement is invalid for AWS when an action does not exist, or when a resource cannot be any
of the resource types the action supports (an action that supports only "*" on a specific ARN grants
nothing). Resources with IAM wildcards are compared with the catalog's ARN formats as patterns: the
grant is valid when some real ARN of a supported type matches the policy's resource.
"""

from __future__ import annotations

import fnmatch
import functools
import re

from policy_sentry.querying.actions import get_action_data, get_actions_for_service
from policy_sentry.querying.all import get_all_service_prefixes

from tests.stacks.support.template_policies import as_list

# Characters a catalog ARN variable can never contain; the default is a colon (it separates ARN fields).
VARIABLE_EXCLUDES = {"ObjectName": "", "BucketName": ":/", "SecretId": ":"}
ANY, STAR = "any", "star"


@functools.cache
def service_prefixes() -> frozenset[str]:
    return frozenset(get_all_service_prefixes())


@functools.cache
def actions_of(service: str) -> tuple[str, ...]:
    return tuple(a.lower() for a in get_actions_for_service(service))


@functools.cache
def resource_formats(action: str) -> tuple[str, ...]:
    """The ARN formats (or "*") the catalog lists for one action, e.g. ('arn:${Partition}:s3:::${BucketName}', '*')."""
    service, name = action.split(":", 1)
    entries = get_action_data(service, name).get(service, [])
    exact = [e for e in entries if e["action"].lower() == action.lower()]
    return tuple(e["resource_arn_format"] for e in exact)


def expand(action: str) -> list[str]:
    """An action (possibly with IAM wildcards) as the catalog's actions it names; empty when unknown."""
    service = action.split(":", 1)[0].lower()
    if service not in service_prefixes():
        return []
    return [a for a in actions_of(service) if fnmatch.fnmatchcase(a, action.lower())]


def _policy_tokens(resource: str) -> tuple:
    """An IAM resource pattern: '*' any run of characters, '?' any one character."""
    return tuple(STAR if c == "*" else ANY if c == "?" else c for c in resource)


def _format_tokens(arn_format: str) -> tuple:
    """A catalog ARN format: each ${Variable} is one or more characters outside its excluded set."""
    tokens: list = []
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part.startswith("${"):
            excluded = VARIABLE_EXCLUDES.get(part[2:-1], ":")
            tokens += [("one", excluded), ("many", excluded)]
        else:
            tokens += list(part)
    return tuple(tokens)


def _compatible(policy_token, format_token) -> bool:
    if isinstance(format_token, tuple):  # a variable's character
        return policy_token in (STAR, ANY) or policy_token not in format_token[1]
    return policy_token in (STAR, ANY) or policy_token == format_token


def can_match(resource: str, arn_format: str) -> bool:
    """Whether some ARN of this catalog format matches the policy resource pattern (both may be partial globs)."""
    policy, catalog = _policy_tokens(resource), _format_tokens(arn_format)

    @functools.cache
    def meet(i: int, j: int) -> bool:
        if i == len(policy) and j == len(catalog):
            return True
        p = policy[i] if i < len(policy) else None
        f = catalog[j] if j < len(catalog) else None
        if p == STAR and meet(i + 1, j):
            return True
        if isinstance(f, tuple) and f[0] == "many" and meet(i, j + 1):
            return True
        if p is None or f is None or not _compatible(p, f):
            return False
        stays_p, stays_f = p == STAR, isinstance(f, tuple) and f[0] == "many"
        if stays_p and stays_f:
            return False  # consuming a character here changes nothing; the moves above cover it
        return meet(i if stays_p else i + 1, j if stays_f else j + 1)

    return meet(0, 0)


def statement_problems(statement: dict) -> list[str]:
    """What AWS's catalog says is wrong with one statement (empty: valid).

    IAM applies each action of a statement to those of its resources the action supports, so an action
    is valid when at least one resource is "*" or an ARN of a type the action supports; an action that
    supports only "*" needs "*" among the resources.
    """
    if statement.get("Effect") != "Allow":
        return []
    if "NotAction" in statement or "NotResource" in statement:
        return [f"NotAction/NotResource cannot be checked against the catalog: {statement}"]
    problems = []
    resources = [str(r) for r in as_list(statement["Resource"])]
    for action in as_list(statement["Action"]):
        known = expand(action)
        if not known:
            problems.append(f"{action}: no such action in AWS's IAM catalog")
            continue
        if "*" in resources:
            continue  # valid for every action (breadth is cdk-nag's concern)
        specific = sorted({f for a in known for f in resource_formats(a) if f != "*"})
        if not specific:
            problems.append(f"{action} on {', '.join(resources)}: the action supports only Resource \"*\"")
        elif not any(can_match(resource, f) for resource in resources for f in specific):
            problems.append(
                f"{action} on {', '.join(resources)}: no resource of a type the action supports ({specific})")
    return problems


def policy_problems(document: dict) -> list[str]:
    return [problem for statement in as_list(document["Statement"]) for problem in statement_problems(statement)]
