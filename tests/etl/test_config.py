"""Job arguments: each bad value named with what is accepted."""

from __future__ import annotations

import pytest

from etl.config import build_config
from etl.contract import ConfigurationError


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"MAX_QUARANTINE_RATE": "1.5"}, "--MAX_QUARANTINE_RATE='1.5' is invalid: expected a fraction between 0 and 1"),
        ({"MIN_OUTPUT_ROWS": "many"}, "--MIN_OUTPUT_ROWS='many' is invalid: expected a whole number >= 0"),
        ({"MAX_ORPHAN_ARTIST_RATE": "nan"}, "--MAX_ORPHAN_ARTIST_RATE='nan' is invalid"),
        ({"SOURCE_PATH": ""}, "missing job argument(s): --SOURCE_PATH"),
    ],
)
def test_bad_job_arguments_are_named(arguments, message):
    base = {"JOB_NAME": "j", "SOURCE_PATH": "s", "TARGET_PATH": "t", "QUARANTINE_PATH": "q"}
    with pytest.raises(ConfigurationError) as failure:
        build_config({**base, **arguments})
    assert message in str(failure.value)
