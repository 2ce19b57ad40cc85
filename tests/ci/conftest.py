# The GitHub deploy stack is synthesized once, with the other variants the infra checks run over.
from tests.stacks.conftest import GITHUB_REPOSITORY as REPOSITORY  # noqa: F401
from tests.stacks.conftest import github_app  # noqa: F401
