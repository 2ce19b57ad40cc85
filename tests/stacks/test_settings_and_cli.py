"""Context validation, and the real `cdk synth` CLI path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from stacks.settings import Settings, SettingsError, settings_from_context
from tests.stacks.support.synth import CFN_LINT, ROOT, cdk_context


def test_cdk_json_defaults_are_the_documented_defaults():
    assert settings_from_context(cdk_context().get) == Settings()
    settings = Settings()
    assert (settings.resource_prefix, settings.remove_data_on_destroy, settings.glue_worker_type,
            settings.glue_number_of_workers, settings.glue_flex, settings.pipeline_schedule,
            settings.athena_bytes_scanned_cutoff_mb, settings.athena_results_expiration_days,
            settings.quicksight_principal_arn) == ("spotify", False, "G.1X", 2, False, None, 1024, 7, None)


def test_command_line_strings_are_parsed():
    settings = settings_from_context(
        cdk_context(
            removeDataOnDestroy="true", glueNumberOfWorkers="10", glueFlex="false", maxQuarantineRate="0.2",
            quicksightPrincipalArn="arn:aws:quicksight:eu-west-1:123456789012:group/default/analysts",
            ingestionPlaylistIds="3cEYpjA9oz9GiPac4AsH4n, 0v1XpBHnsbkCn7iJ9Ucr1l",
        ).get
    )
    assert settings.remove_data_on_destroy is True
    assert settings.glue_number_of_workers == 10
    assert settings.max_quarantine_rate == 0.2
    assert settings.quicksight_identity_region == "eu-west-1"
    assert settings.ingestion_playlist_ids == ("3cEYpjA9oz9GiPac4AsH4n", "0v1XpBHnsbkCn7iJ9Ucr1l")


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("resourcePrefix", "Alice_1", "invalid context value resourcePrefix='Alice_1': expected 3-20 lowercase"),
        ("removeDataOnDestroy", "yes", "invalid context value removeDataOnDestroy='yes': expected true or false"),
        ("glueWorkerType", "G.3X", "invalid context value glueWorkerType='G.3X': expected G.1X, G.2X, G.4X, G.8X"),
        ("glueNumberOfWorkers", "1", "glueNumberOfWorkers='1': expected a whole number from 2 to 100"),
        ("glueNumberOfWorkers", True, "glueNumberOfWorkers=True: expected a whole number"),
        ("pipelineSchedule", "every day", "pipelineSchedule='every day': expected empty (on demand only) or a six"),
        ("athenaBytesScannedCutoffMb", "5", "athenaBytesScannedCutoffMb='5': expected a whole number of megabytes"),
        ("athenaResultsExpirationDays", "0", "athenaResultsExpirationDays='0': expected a whole number of days"),
        ("maxQuarantineRate", "5%", "maxQuarantineRate='5%': expected a fraction between 0 and 1"),
        ("quicksightPrincipalArn", "arn:aws:iam::123456789012:user/alice",
         "quicksightPrincipalArn='arn:aws:iam::123456789012:user/alice': expected empty, or a QuickSight user or"),
        ("quicksightPrincipalArn", "arn:aws:quicksight:us-east-1:1234:user/default/a",
         "expected empty, or a QuickSight"),
        ("ingestionPlaylistIds", "not-a-playlist", "ingestionPlaylistIds='not-a-playlist': expected a list"),
        ("ingestionSchedule", "rate(1 hours)", "ingestionSchedule='rate(1 hours)': expected an EventBridge rate"),
        ("ingestionSecretArn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:spotify",
         "ingestionSecretArn='arn:aws:secretsmanager:eu-west-1:123456789012:secret:spotify': expected empty (the "
         "stack creates the secret), or the complete ARN"),
    ],
)
def test_invalid_values_name_the_key_and_the_accepted_values(key, value, message):
    with pytest.raises(SettingsError) as failure:
        settings_from_context(cdk_context(**{key: value}).get)
    assert message in str(failure.value)
    assert f"-c {key}=" in str(failure.value)


def test_flex_needs_a_flex_worker_type():
    with pytest.raises(SettingsError, match="glueWorkerType='G.4X' with glueFlex=true: Flex jobs accept G.1X, G.2X"):
        settings_from_context(cdk_context(glueFlex=True, glueWorkerType="G.4X").get)


def test_ingestion_needs_playlists():
    with pytest.raises(SettingsError, match="ingestionEnabled=true needs at least one"):
        settings_from_context(cdk_context(ingestionEnabled="true").get)


def cdk_cli(*arguments: str, outdir) -> subprocess.CompletedProcess:
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true", "CDK_DISABLE_VERSION_CHECK": "1"}
    command = [os.environ["JSII_NODE"], os.path.join(ROOT, "node_modules", "aws-cdk", "bin", "cdk"), "synth",
               "--no-notices", "-q", "-o", str(outdir), *arguments]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "node_modules", "aws-cdk")),
                    reason="the pinned CDK CLI is installed by `make test` (npm ci)")
def test_cdk_cli_synth_is_nag_and_lint_clean(tmp_path):
    result = cdk_cli("-c", "removeDataOnDestroy=true", outdir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ValidationFailed" not in result.stdout + result.stderr
    templates = sorted(str(p) for p in tmp_path.glob("*.template.json"))
    assert [os.path.basename(t) for t in templates] == ["spotify-spotify-pipeline.template.json"]
    lint = subprocess.run([CFN_LINT, *templates], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    assert "quicksightPrincipalArn" in result.stdout + result.stderr  # says how to enable QuickSight


@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, "node_modules", "aws-cdk")),
                    reason="the pinned CDK CLI is installed by `make test` (npm ci)")
def test_cdk_cli_reports_a_bad_setting_without_a_traceback(tmp_path):
    result = cdk_cli("-c", "glueWorkerType=G.3X", outdir=tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "error: invalid context value glueWorkerType='G.3X': expected G.1X, G.2X, G.4X, G.8X" in output
    assert "Traceback" not in output


def test_app_py_lists_stacks_from_context(tmp_path):
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path), "CDK_CONTEXT_JSON": json.dumps(cdk_context())}
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert "spotify-spotify-pipeline" in manifest["artifacts"]
