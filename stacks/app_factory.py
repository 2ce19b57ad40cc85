"""Compose the app's stacks from Settings; app.py and the tests share this."""

from __future__ import annotations

from aws_cdk import App, Environment, Tags, Validations
from cdk_nag import AwsSolutionsChecks

from stacks.github_oidc import GitHubDeployStack
from ingestion.stack import SpotifyIngestionStack
from stacks.pipeline_stack import SpotifyPipelineStack
from stacks.settings import Settings


def build_app(app: App, settings: Settings, *, env: Environment | None = None) -> dict:
    """Add the stacks to app; returns them by short name."""
    prefix = settings.resource_prefix
    stacks: dict = {}
    pipeline = SpotifyPipelineStack(
        app,
        f"{prefix}-spotify-pipeline",
        settings=settings,
        env=env,
        description="Spotify data pipeline: S3 staging -> Glue PySpark -> Parquet -> Glue crawler -> Athena",
    )
    stacks["pipeline"] = pipeline
    if settings.ingestion_enabled:
        ingestion = SpotifyIngestionStack(
            app,
            f"{prefix}-spotify-ingestion",
            settings=settings,
            pipeline=pipeline,
            env=env,
            description="Spotify data pipeline: optional live ingestion from the Spotify Web API",
        )
        ingestion.add_stack_dependency(pipeline, "its crawler uses the pipeline's database and security configuration")
        stacks["ingestion"] = ingestion
    if settings.github_deploy_enabled:
        stacks["github"] = GitHubDeployStack(
            app,
            f"{prefix}-github-deploy",
            settings=settings,
            env=env,
            description=f"GitHub Actions OIDC roles for {settings.github_repository}: cdk diff and cdk deploy",
        )
    for stack in stacks.values():
        Tags.of(stack).add("project", "spotify-pipeline")
        Tags.of(stack).add("resource-prefix", prefix)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stacks
