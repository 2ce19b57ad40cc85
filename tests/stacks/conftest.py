import pytest

from tests.stacks.support.synth import synthesize

QUICKSIGHT_USER = "arn:aws:quicksight:us-east-1:123456789012:user/default/alice"
QUICKSIGHT_VIEWERS = ("arn:aws:quicksight:us-east-1:123456789012:group/default/workshop",
                      "arn:aws:quicksight:us-east-1:123456789012:user/default/bob")


@pytest.fixture(scope="session")
def default_app(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="session")
def full_app(tmp_path_factory):
    """Every optional part switched on: QuickSight (with dashboard viewers), Flex, a schedule, sandbox teardown."""
    return synthesize(
        tmp_path_factory.mktemp("full"),
        quicksightPrincipalArn=QUICKSIGHT_USER,
        quicksightViewerArns=",".join(QUICKSIGHT_VIEWERS),
        glueFlex="true",
        glueWorkerType="G.2X",
        glueNumberOfWorkers="4",
        pipelineSchedule="cron(0 6 * * ? *)",
        removeDataOnDestroy="true",
        resourcePrefix="alice",
    )


@pytest.fixture(scope="session")
def ingestion_app(tmp_path_factory):
    return synthesize(
        tmp_path_factory.mktemp("ingestion"),
        ingestionEnabled="true",
        ingestionPlaylistIds="3cEYpjA9oz9GiPac4AsH4n,0v1XpBHnsbkCn7iJ9Ucr1l",
        removeDataOnDestroy="true",
    )


def everything(tmp_path_factory, prefix: str):
    """Every optional stack and resource on, data retained (the default mode): QuickSight, ingestion, Flex, schedule."""
    return synthesize(
        tmp_path_factory.mktemp(f"everything-{prefix}"),
        resourcePrefix=prefix,
        quicksightPrincipalArn=QUICKSIGHT_USER,
        glueFlex="true",
        pipelineSchedule="cron(0 6 * * ? *)",
        ingestionEnabled="true",
        ingestionPlaylistIds="3cEYpjA9oz9GiPac4AsH4n",
    )


@pytest.fixture(scope="session")
def alice_everything(tmp_path_factory):
    return everything(tmp_path_factory, "alice")


@pytest.fixture(scope="session")
def bob_everything(tmp_path_factory):
    return everything(tmp_path_factory, "bob")


GITHUB_REPOSITORY = "octo-org/spotify-fork"


@pytest.fixture(scope="session")
def github_app(tmp_path_factory):
    """The app with the GitHub deploy stack, as `-c githubRepository=... -c resourcePrefix=alice` makes it."""
    return synthesize(tmp_path_factory.mktemp("github"), githubRepository=GITHUB_REPOSITORY, resourcePrefix="alice")


# Every synthesized variant the generic checks (IAM catalog, lifecycle) run over.
ALL_VARIANTS = ["default_app", "full_app", "ingestion_app", "bob_everything", "github_app"]
