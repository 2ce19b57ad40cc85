"""Synthesize the app in-process exactly as `cdk synth` does: cdk.json context
(feature flags included) plus overrides, cdk-nag registered, assembly on disk."""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass

from aws_cdk import App
from aws_cdk.assertions import Template

from stacks.app_factory import build_app
from stacks.settings import settings_from_context

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CFN_LINT = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
ASSET_HASH = re.compile(r"[0-9a-f]{64}")


def cdk_context(**overrides) -> dict:
    with open(os.path.join(ROOT, "cdk.json"), encoding="utf-8") as handle:
        context = json.load(handle)["context"]
    return {**context, **overrides}


@dataclass
class SynthesizedApp:
    outdir: str
    stacks: dict
    templates: dict  # short name -> Template

    def template_json(self, name: str) -> dict:
        return self.templates[name].to_json()


def synthesize(outdir: str, **overrides) -> SynthesizedApp:
    """Raises if cdk-nag reports an unacknowledged finding (synth fails like the CLI)."""
    context = cdk_context(**overrides)
    app = App(context=context, outdir=str(outdir))
    stacks = build_app(app, settings_from_context(context.get))
    app.synth()
    return SynthesizedApp(str(outdir), stacks, {name: Template.from_stack(stack) for name, stack in stacks.items()})


def normalized(template: dict) -> str:
    """Template JSON with asset hashes masked: snapshots change only with infrastructure."""
    return ASSET_HASH.sub("<asset-hash>", json.dumps(template, indent=1, sort_keys=True))


def resources(template: dict, resource_type: str) -> dict:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == resource_type}


def assert_matches_snapshot(path: str, template: dict) -> None:
    """Compare with the committed snapshot; UPDATE_SNAPSHOTS=1 rewrites it (never in CI)."""
    actual = normalized(template) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not os.path.exists(path):
        assert not os.environ.get("CI"), f"snapshot {path} is missing; run UPDATE_SNAPSHOTS=1 make test and commit it"
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(actual)
    with open(path, encoding="utf-8") as handle:
        assert actual == handle.read(), f"{path} differs; if intended, run UPDATE_SNAPSHOTS=1 make test"
