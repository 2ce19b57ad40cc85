import pytest

from tests.infra.synth import synthesize

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
