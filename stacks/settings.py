"""Every deploy-time setting, read once from CDK context and validated.

Values come from `cdk.json` ("context") and can be overridden with
`cdk synth -c key=value`; command-line values arrive as strings, so each
parser accepts both the JSON type and its string form. An invalid value stops
synthesis with a message naming the key and what it accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from constructs import Node

GLUE_WORKER_TYPES = ("G.1X", "G.2X", "G.4X", "G.8X")
FLEX_WORKER_TYPES = ("G.1X", "G.2X")
QUICKSIGHT_PRINCIPAL = re.compile(
    r"^arn:aws(?:-[a-z]+)*:quicksight:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d):(?P<account>\d{12}):"
    r"(?:user|group)/[A-Za-z0-9_.@+=,-]+/\S+$"
)
PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,18}[a-z0-9]$")
SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
# Glue schedules are six-field cron(); EventBridge rates are rate(N unit).
GLUE_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
# A complete secret ARN: Secrets Manager appends six random characters to the name.
SECRET_ARN = re.compile(
    r"^arn:aws(?:-[a-z]+)*:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$"
)
EVENT_RATE = re.compile(r"^rate\((1 (minute|hour|day)|([2-9]|[1-9]\d+) (minutes|hours|days))\)$")
# GitHub owner (user or organization) / repository, as in the repository's URL.
GITHUB_REPOSITORY = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$")
# A literal branch name (no wildcards: the role's trust policy compares it exactly).
GIT_BRANCH = re.compile(r"^(?![/.])(?!.*//)(?!.*\.\.)(?!.*[/.]$)(?!.*\.lock$)[A-Za-z0-9._/-]{1,200}$")
GITHUB_ENVIRONMENT = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
GITHUB_OIDC_PROVIDER = re.compile(
    r"^arn:aws(?:-[a-z]+)*:iam::\d{12}:oidc-provider/token\.actions\.githubusercontent\.com$"
)


class SettingsError(ValueError):
    """A context value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Settings:
    resource_prefix: str = "spotify"
    remove_data_on_destroy: bool = False
    deploy_sample_data: bool = True
    glue_worker_type: str = "G.1X"
    glue_number_of_workers: int = 2
    glue_flex: bool = False
    glue_timeout_minutes: int = 30
    pipeline_schedule: str | None = None
    max_quarantine_rate: float = 0.05
    max_orphan_artist_rate: float = 0.10
    max_orphan_track_rate: float = 0.10
    athena_bytes_scanned_cutoff_mb: int = 1024
    athena_results_expiration_days: int = 7
    quicksight_principal_arn: str | None = None
    quicksight_viewer_arns: tuple[str, ...] = field(default_factory=tuple)
    ingestion_enabled: bool = False
    ingestion_playlist_ids: tuple[str, ...] = field(default_factory=tuple)
    ingestion_schedule: str = "rate(1 hour)"
    ingestion_max_artists_per_run: int = 200
    github_repository: str | None = None
    github_deploy_branch: str = "main"
    github_deploy_environment: str = "aws-deploy"
    github_oidc_provider_arn: str | None = None
    ingestion_secret_arn: str | None = None

    @property
    def database_name(self) -> str:
        return f"{self.resource_prefix.replace('-', '_')}_spotify"

    @property
    def github_deploy_enabled(self) -> bool:
        return self.github_repository is not None

    @property
    def quicksight_enabled(self) -> bool:
        return self.quicksight_principal_arn is not None

    @property
    def quicksight_identity_region(self) -> str | None:
        if not self.quicksight_principal_arn:
            return None
        return QUICKSIGHT_PRINCIPAL.match(self.quicksight_principal_arn).group("region")


# context key -> (Settings field, parser, accepted values for the message)
def _text(value: Any) -> str:
    return str(value).strip()


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in ("true", "false"):
        return text == "true"
    raise ValueError


def _integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool):
            raise ValueError
        number = int(_text(value))
        if not low <= number <= high:
            raise ValueError
        return number

    return parse


def _fraction(value: Any) -> float:
    number = float(_text(value))
    if not 0.0 <= number <= 1.0:
        raise ValueError
    return number


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if _text(value) not in options:
            raise ValueError
        return _text(value)

    return parse


def _pattern(pattern: re.Pattern, *, optional: bool = False) -> Callable[[Any], str | None]:
    def parse(value: Any) -> str | None:
        text = _text(value) if value is not None else ""
        if optional and text in ("", "none", "null"):
            return None
        if not pattern.match(text):
            raise ValueError
        return text

    return parse


def _playlist_ids(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [part for part in _text(value).split(",")]
    ids = tuple(_text(item) for item in items if _text(item))
    if not all(SPOTIFY_ID.match(item) for item in ids):
        raise ValueError
    return ids


def _quicksight_principals(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [part for part in _text(value).split(",")]
    arns = tuple(_text(item) for item in items if _text(item))
    if not all(QUICKSIGHT_PRINCIPAL.match(item) for item in arns):
        raise ValueError
    return arns


CONTEXT_KEYS: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    "resourcePrefix": (
        "resource_prefix",
        _pattern(PREFIX),
        "3-20 lowercase letters, digits or hyphens, starting with a letter (e.g. alice)",
    ),
    "removeDataOnDestroy": ("remove_data_on_destroy", _boolean, "true or false"),
    "deploySampleData": ("deploy_sample_data", _boolean, "true or false"),
    "glueWorkerType": ("glue_worker_type", _choice(GLUE_WORKER_TYPES), ", ".join(GLUE_WORKER_TYPES)),
    "glueNumberOfWorkers": ("glue_number_of_workers", _integer(2, 100), "a whole number from 2 to 100"),
    "glueFlex": ("glue_flex", _boolean, "true or false"),
    "glueTimeoutMinutes": ("glue_timeout_minutes", _integer(5, 2880), "a whole number of minutes from 5 to 2880"),
    "pipelineSchedule": (
        "pipeline_schedule",
        _pattern(GLUE_CRON, optional=True),
        "empty (on demand only) or a six-field Glue cron expression such as cron(0 6 * * ? *)",
    ),
    "maxQuarantineRate": ("max_quarantine_rate", _fraction, "a fraction between 0 and 1"),
    "maxOrphanArtistRate": ("max_orphan_artist_rate", _fraction, "a fraction between 0 and 1"),
    "maxOrphanTrackRate": ("max_orphan_track_rate", _fraction, "a fraction between 0 and 1"),
    "athenaBytesScannedCutoffMb": (
        "athena_bytes_scanned_cutoff_mb",
        _integer(10, 10_000_000),
        "a whole number of megabytes, at least 10 (Athena's minimum)",
    ),
    "athenaResultsExpirationDays": (
        "athena_results_expiration_days",
        _integer(1, 3650),
        "a whole number of days from 1 to 3650",
    ),
    "quicksightPrincipalArn": (
        "quicksight_principal_arn",
        _pattern(QUICKSIGHT_PRINCIPAL, optional=True),
        "empty, or a QuickSight user or group ARN such as arn:aws:quicksight:us-east-1:123456789012:user/default/alice",
    ),
    "quicksightViewerArns": (
        "quicksight_viewer_arns",
        _quicksight_principals,
        "a list (or comma-separated string) of QuickSight user or group ARNs that may view the dashboard",
    ),
    "ingestionEnabled": ("ingestion_enabled", _boolean, "true or false"),
    "ingestionPlaylistIds": (
        "ingestion_playlist_ids",
        _playlist_ids,
        "a list (or comma-separated string) of 22-character Spotify playlist ids",
    ),
    "ingestionSchedule": (
        "ingestion_schedule",
        _pattern(EVENT_RATE),
        "an EventBridge rate such as rate(1 hour) or rate(30 minutes)",
    ),
    "ingestionMaxArtistsPerRun": (
        "ingestion_max_artists_per_run",
        _integer(0, 5000),
        "a whole number from 0 to 5000",
    ),
    "githubRepository": (
        "github_repository",
        _pattern(GITHUB_REPOSITORY, optional=True),
        "empty (no GitHub deploy stack) or the repository as owner/name, e.g. octo-org/spotify-pipeline",
    ),
    "githubDeployBranch": (
        "github_deploy_branch",
        _pattern(GIT_BRANCH),
        "the repository's default branch name, without wildcards (e.g. main)",
    ),
    "githubDeployEnvironment": (
        "github_deploy_environment",
        _pattern(GITHUB_ENVIRONMENT),
        "the GitHub environment the deploy job runs in: letters, digits, '.', '_' or '-' (e.g. aws-deploy)",
    ),
    "githubOidcProviderArn": (
        "github_oidc_provider_arn",
        _pattern(GITHUB_OIDC_PROVIDER, optional=True),
        "empty (create the provider) or the ARN of the account's existing provider, "
        "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    ),
    "ingestionSecretArn": (
        "ingestion_secret_arn",
        _pattern(SECRET_ARN, optional=True),
        "empty (the stack creates the secret), or the complete ARN of an existing Secrets Manager secret "
        "such as arn:aws:secretsmanager:eu-west-1:123456789012:secret:spotify-credentials-AbCdEf",
    ),
}


def settings_from_context(get: Callable[[str], Any]) -> Settings:
    """Build Settings from a context getter (node.try_get_context or a dict's get)."""
    values: dict[str, Any] = {}
    for key, (attribute, parse, accepted) in CONTEXT_KEYS.items():
        raw = get(key)
        if raw is None:
            continue
        try:
            values[attribute] = parse(raw)
        except (ValueError, TypeError):
            raise SettingsError(
                f"invalid context value {key}={raw!r}: expected {accepted} (set it in cdk.json or with -c {key}=...)"
            ) from None
    settings = Settings(**values)
    if settings.glue_flex and settings.glue_worker_type not in FLEX_WORKER_TYPES:
        raise SettingsError(
            f"invalid context value glueWorkerType={settings.glue_worker_type!r} with glueFlex=true: "
            f"Flex jobs accept {', '.join(FLEX_WORKER_TYPES)}"
        )
    if settings.quicksight_viewer_arns and not settings.quicksight_enabled:
        raise SettingsError(
            "invalid context value quicksightViewerArns: viewers need a dashboard, which is created only with "
            "quicksightPrincipalArn (-c quicksightPrincipalArn=arn:aws:quicksight:<identity-region>:<account>:"
            "user/default/<user-name>)"
        )
    if settings.ingestion_enabled and not settings.ingestion_playlist_ids:
        raise SettingsError(
            "invalid context value ingestionPlaylistIds=[]: ingestionEnabled=true needs at least one "
            "22-character Spotify playlist id of a user-created public playlist (-c ingestionPlaylistIds=ID1,ID2)"
        )
    return settings


def settings_from_node(node: Node) -> Settings:
    return settings_from_context(node.try_get_context)
