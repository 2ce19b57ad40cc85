"""Secrets Manager under IAM in moto, as AWS evaluates it.

moto authorizes Secrets Manager requests against the resource "*" and ignores a policy's conditions. AWS
checks the secret's ARN and, for `aws:ResourceTag/...` conditions, the secret's tags. `enforce_secret_scoping`
makes moto do the same, for the tests that run code under a real policy (a participant's, a Lambda role's).
"""

from __future__ import annotations

import contextvars

from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.access_control import IAMPolicyStatement

_SECRET_TAGS: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("secret_tags", default=None)
_moto_conditions = IAMPolicyStatement._check_conditions


def _secret(response):
    return response.backend.secrets.get(response._get_param("SecretId") or "")


def _secretsmanager_resource(self) -> str:
    secret = _secret(self)
    return secret.arn if secret else "*"


def _authorize_with_secret_tags(self, resource: str = "*") -> None:
    secret = _secret(self)
    token = _SECRET_TAGS.set({t["Key"]: t["Value"] for t in (secret.tags or [])} if secret else {})
    try:
        ActionAuthenticatorMixin._authenticate_and_authorize_normal_action(self, resource)
    finally:
        _SECRET_TAGS.reset(token)


def _conditions_with_secret_tags(self, incoming_condition_values) -> bool:
    tags = _SECRET_TAGS.get()
    if tags is None:  # not a Secrets Manager request: moto's own evaluation
        return _moto_conditions(self, incoming_condition_values)
    for operator, pairs in (self._statement.get("Condition") or {}).items():
        for key, expected in pairs.items():
            actual = tags.get(key.removeprefix("aws:ResourceTag/")) if key.startswith("aws:ResourceTag/") else None
            if operator != "StringEquals" or actual not in (expected if isinstance(expected, list) else [expected]):
                return False
    return True


def enforce_secret_scoping(monkeypatch) -> None:
    from moto.secretsmanager.responses import SecretsManagerResponse

    monkeypatch.setattr(SecretsManagerResponse, "_determine_resource", _secretsmanager_resource, raising=False)
    monkeypatch.setattr(SecretsManagerResponse, "_authenticate_and_authorize_normal_action",
                        _authorize_with_secret_tags, raising=False)
    monkeypatch.setattr(IAMPolicyStatement, "_check_conditions", _conditions_with_secret_tags)
