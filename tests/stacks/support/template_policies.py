"""Identity policies and physical names read from synthesized templates, with intrinsics resolved.

A synthesized template names its resources with Ref / Fn::GetAtt / Fn::Join / Fn::Sub and, across
stacks, Fn::GetStackOutput. `Resolver` turns them into the strings AWS would see, given a value for
each resource (`sample_names` invents plausible ones; the moto tests pass the real moto names), so a
policy can be checked against AWS's IAM catalog or installed in moto exactly as the template says.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterator

ACCOUNT, REGION, PARTITION = "123456789012", "us-east-1", "aws"
PSEUDO_PARAMETERS = {
    "AWS::Partition": PARTITION,
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NoValue": None,
}


class Unresolvable(ValueError):
    """An intrinsic this resolver does not know: the test must learn it rather than guess."""


@dataclass
class Resolver:
    """Resolves intrinsics of one stack; `others` holds the other stacks of the app by stack name."""

    stack_name: str
    template: dict
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    others: dict[str, "Resolver"] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name == "AWS::StackName":
            return self.stack_name
        if name == "AWS::StackId":
            return (f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{self.stack_name}/"
                    "0f6a7e50-0000-4000-8000-000000000000")
        if name in self.refs:
            return self.refs[name]
        raise Unresolvable(f"Ref {name} in {self.stack_name}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[(logical_id, attribute)]
        except KeyError:
            raise Unresolvable(f"Fn::GetAtt {logical_id}.{attribute} in {self.stack_name}") from None

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        (function, argument), = value.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.get_att(logical_id, attribute)
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(self.resolve(p)) for p in self.resolve_list(parts))
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub_variable(m.group(1), variables), text)
        if function == "Fn::Select":
            index, items = argument
            return self.resolve_list(items)[int(self.resolve(index))]
        if function == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text)).split(separator)
        if function == "Fn::GetStackOutput":
            producer = self.others[argument["StackName"]]
            return producer.resolve(producer.template["Outputs"][argument["OutputName"]]["Value"])
        if function.startswith("Fn::") or function == "Condition":
            raise Unresolvable(f"{function} in {self.stack_name}")
        return {k: self.resolve(v) for k, v in value.items()}

    def resolve_list(self, value: Any) -> list:
        resolved = self.resolve(value)
        return resolved if isinstance(resolved, list) else [resolved]

    def _sub_variable(self, name: str, variables: dict) -> str:
        if name in variables:
            return str(self.resolve(variables[name]))
        if "." in name:
            return str(self.get_att(*name.split(".", 1)))
        return str(self.ref(name))


def _logical_name(logical_id: str, length: int = 40) -> str:
    return re.sub(r"[^a-z0-9]", "", logical_id.lower())[:length]


def sample_names(stack_name: str, template: dict, overrides: dict[str, dict[str, str]] | None = None) -> Resolver:
    """A resolver with a plausible physical name and ARN for every resource of the template.

    overrides maps a logical id to {"Ref": ..., "Arn": ..., other attributes} and wins over the samples.
    """
    resolver = Resolver(stack_name, template)
    arn = f"{PARTITION}:{{service}}:{REGION}:{ACCOUNT}"
    for logical_id, resource in template.get("Resources", {}).items():
        kind, name = resource["Type"], _logical_name(logical_id)
        values: dict[str, str]
        if kind == "AWS::S3::Bucket":
            values = {"Ref": name, "Arn": f"arn:{PARTITION}:s3:::{name}"}
        elif kind == "AWS::KMS::Key":
            key_id = f"{zlib.crc32(logical_id.encode()):08x}-0000-4000-8000-000000000000"
            values = {"Ref": key_id, "Arn": f"arn:{arn.format(service='kms')}:key/{key_id}"}
        elif kind == "AWS::SecretsManager::Secret":
            secret = f"arn:{arn.format(service='secretsmanager')}:secret:{name}-AbCdEf"
            values = {"Ref": secret, "Id": secret}
        elif kind == "AWS::SQS::Queue":
            values = {"Ref": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}",
                      "Arn": f"arn:{arn.format(service='sqs')}:{name}", "QueueName": name}
        elif kind == "AWS::Lambda::Function":
            values = {"Ref": name, "Arn": f"arn:{arn.format(service='lambda')}:function:{name}"}
        elif kind == "AWS::IAM::Role":
            values = {"Ref": name, "Arn": f"arn:{PARTITION}:iam::{ACCOUNT}:role/{name}",
                      "RoleId": f"AROA{name[:16].upper()}"}
        elif kind == "AWS::Lambda::LayerVersion":
            values = {"Ref": f"arn:{arn.format(service='lambda')}:layer:{name}:1"}
        else:
            values = {"Ref": name, "Arn": f"arn:{arn.format(service=kind.split('::')[1].lower())}:{name}"}
        values.update((overrides or {}).get(logical_id, {}))
        for attribute, value in values.items():
            if attribute == "Ref":
                resolver.refs[logical_id] = value
            else:
                resolver.attributes[(logical_id, attribute)] = value
    # Log groups are named from other resources (/aws/lambda/<function>), so after the first pass.
    for logical_id, resource in template.get("Resources", {}).items():
        if resource["Type"] == "AWS::Logs::LogGroup" and logical_id not in (overrides or {}):
            declared = resource.get("Properties", {}).get("LogGroupName")
            name = resolver.resolve(declared) if declared is not None else f"/generated/{_logical_name(logical_id)}"
            resolver.refs[logical_id] = name
            resolver.attributes[(logical_id, "Arn")] = f"arn:{arn.format(service='logs')}:log-group:{name}:*"
    return resolver


def app_resolvers(templates: dict[str, dict], overrides: dict[str, dict[str, dict[str, str]]] | None = None
                  ) -> dict[str, Resolver]:
    """One resolver per stack (keyed by stack name), each able to follow Fn::GetStackOutput to the others."""
    resolvers = {name: sample_names(name, template, (overrides or {}).get(name))
                 for name, template in templates.items()}
    for resolver in resolvers.values():
        resolver.others = resolvers
    return resolvers


@dataclass(frozen=True)
class IdentityPolicy:
    """One identity policy document as the template declares it, with the roles it is attached to."""

    source: str  # "<logical id>" of an AWS::IAM::Policy / ManagedPolicy, or "<role>.Policies[<name>]"
    roles: tuple[str, ...]  # logical ids of the roles it applies to
    document: dict


def identity_policies(template: dict) -> Iterator[IdentityPolicy]:
    """Every identity policy of the template: AWS::IAM::Policy, AWS::IAM::ManagedPolicy, inline role policies."""

    def role_ids(references) -> tuple[str, ...]:
        return tuple(r["Ref"] for r in references or [] if isinstance(r, dict) and "Ref" in r)

    for logical_id, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            yield IdentityPolicy(logical_id, role_ids(properties.get("Roles")), properties["PolicyDocument"])
        elif resource["Type"] == "AWS::IAM::Role":
            for inline in properties.get("Policies", []):
                yield IdentityPolicy(f"{logical_id}.Policies[{inline['PolicyName']}]", (logical_id,),
                                     inline["PolicyDocument"])


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def role_statements(template: dict, role_logical_id: str) -> list[dict]:
    """Every statement that applies to one role, from all of its identity policies (unresolved)."""
    return [statement for policy in identity_policies(template) if role_logical_id in policy.roles
            for statement in as_list(policy.document["Statement"])]


def role_policy_document(template: dict, role_logical_id: str, resolver: Resolver) -> dict:
    """The role's identity policy, merged into one document with every intrinsic resolved."""
    return {"Version": "2012-10-17", "Statement": resolver.resolve(role_statements(template, role_logical_id))}


def roles_of(template: dict) -> dict[str, dict]:
    return {k: v for k, v in template.get("Resources", {}).items() if v["Type"] == "AWS::IAM::Role"}


def assumed_by(role: dict) -> set[str]:
    """Service principals in the role's trust policy."""
    services = set()
    for statement in as_list(role["Properties"]["AssumeRolePolicyDocument"]["Statement"]):
        services.update(as_list(statement.get("Principal", {}).get("Service", [])))
    return services
