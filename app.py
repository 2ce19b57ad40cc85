#!/usr/bin/env python3
"""CDK entry point: `cdk synth` / `cdk deploy --all` run this file (see cdk.json)."""

import os
import sys

from aws_cdk import App, Environment

from stacks.app_factory import build_app
from stacks.settings import SettingsError, settings_from_node


def main() -> None:
    app = App()
    try:
        settings = settings_from_node(app.node)
    except SettingsError as error:
        sys.exit(f"error: {error}")
    account, region = os.environ.get("CDK_DEFAULT_ACCOUNT"), os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account or region else None
    build_app(app, settings, env=env)
    app.synth()


if __name__ == "__main__":
    main()
