"""ingestion/README.md, the manual beside the code: what it quotes from the product is the product's."""

from __future__ import annotations

import json
import os
import re

from ingestion.infrastructure import DATASETS, TABLE_PREFIX
from ingestion import QUERIES_DIR
from sql.queries import load_named_queries
from tests.conftest import ROOT

with open(os.path.join(ROOT, "ingestion", "README.md"), encoding="utf-8") as handle:
    MANUAL = handle.read()
with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
    FRONT_PAGE = " ".join(handle.read().split())


def test_the_table_of_tables_is_what_the_crawler_registers():
    rows = re.findall(r"^\s*\| `(\w+)` \| `(\w+)/` \(", MANUAL, re.MULTILINE)
    assert rows == [(f"{TABLE_PREFIX}{name}", name) for name in DATASETS]


def test_the_named_queries_it_lists_are_the_deployed_ones():
    titles = [query.title.removesuffix(" (Spotify API)").lower() for query in load_named_queries(QUERIES_DIR)]
    section = " ".join(MANUAL.split("**Named queries**", 1)[1].split("\n\n", 1)[0].split()).lower()
    assert sorted(titles) == sorted(["albums with the most tracks", "artist collaborations", "songs added per month",
                                     "most popular songs", "playlist changes"])
    assert all(title in section for title in titles)
    assert f"{['no', 'one', 'two', 'three', 'four', 'five', 'six'][len(titles)]} more named queries" in FRONT_PAGE


def test_the_secret_it_describes_is_what_the_extractor_reads():
    from tests.ingestion.test_handlers import extract

    assert '`{"client_id", "client_secret", "refresh_token", "consented_at"}`' in " ".join(MANUAL.split())
    value = {"client_id": "id", "client_secret": "secret", "refresh_token": "refresh", "consented_at": "2026-12-05"}

    class Secrets:
        def get_secret_value(self, SecretId):
            return {"SecretString": json.dumps(value)}

    assert extract.read_consent(Secrets(), "arn", "alice") == value


def test_the_set_up_quotes_the_consent_command_as_it_is():
    from cloud_pipeline.cli import parser
    from ingestion.runtime.spotify_api import login_command

    login = parser().parse_args(["spotify-login", "--prefix", "alice", "--list-playlists"])
    assert (login.port, login.timeout) == (8888, 300)
    assert "**`http://127.0.0.1:8888/callback`**" in MANUAL and "within 5 minutes" in MANUAL
    command = login_command("alice")
    assert command == 'make cloud ARGS="spotify-login --prefix alice"'
    assert command.removesuffix('"') + ' --list-playlists"' in MANUAL
    assert command in FRONT_PAGE
