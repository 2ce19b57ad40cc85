import pytest

from tests.infra.synth import synthesize

REPOSITORY = "octo-org/spotify-fork"


@pytest.fixture(scope="session")
def github_app(tmp_path_factory):
    """The app with the GitHub deploy stack, as `-c githubRepository=... -c resourcePrefix=alice` makes it."""
    return synthesize(tmp_path_factory.mktemp("github"), githubRepository=REPOSITORY, resourcePrefix="alice")
