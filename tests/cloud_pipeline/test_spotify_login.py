"""spotify-login and status's consent line, end to end: the command line as a participant (moto, IAM enforced
under docs/participant-policy.json) against a fake Spotify on 127.0.0.1. The browser is a thread that does
what a browser does with the authorize URL: the consent page redirects (the fake answers as if the user
agreed or refused), and the redirect is followed to the command's loopback server."""

from __future__ import annotations

import datetime as dt
import getpass
import http.client
import io
import json
import socket
import sys
import threading
import urllib.parse

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.core import set_initial_no_auth_action_count

from tests.cloud_pipeline.conftest import (
    REGION, Participant, StubbedSession, deploy, deploy_ingestion, run_cli, secret_value, stubbed_client,
)
from tests.ingestion.support.fake_spotify import CLIENT_ID, CLIENT_SECRET, PL_NEW, PL_OLD, PL_OTHER, FakeSpotify

NOW = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.timezone.utc)
APP = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
LOGIN = 'make cloud ARGS="spotify-login --prefix alice"'


def get(url: str) -> tuple[int, dict[str, str], str]:
    """One GET, redirects not followed (http.client: no proxy from the environment either)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


class Browser:
    """webbrowser.open's stand-in. It returns at once, as a browser does: the command answers the redirect only
    after it, so the visit runs in a thread. forged_state replaces the state of Spotify's redirect."""

    def __init__(self, forged_state: str | None = None) -> None:
        self.forged_state = forged_state
        self.opened: list[str] = []
        self.redirect: str | None = None
        self.page: tuple[int, str] | None = None
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self._visit, args=(url,), daemon=True)
        thread.start()
        self._threads.append(thread)
        return True

    def _visit(self, url: str) -> None:
        status, headers, _ = get(url)
        assert status == 302, status
        location = headers["Location"]
        if self.forged_state is not None:
            base, _, query = location.partition("?")
            answer = {**dict(urllib.parse.parse_qsl(query)), "state": self.forged_state}
            location = f"{base}?{urllib.parse.urlencode(answer)}"
        self.redirect = location
        status, _, body = get(location)
        self.page = (status, body)

    def finish(self) -> None:
        for thread in self._threads:
            thread.join(10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def spotify(monkeypatch):
    with FakeSpotify() as fake:
        monkeypatch.setenv("SPOTIFY_ACCOUNTS_URL", fake.url)
        monkeypatch.setenv("SPOTIFY_API_BASE_URL", fake.url)
        for name in ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET"):
            monkeypatch.delenv(name, raising=False)
        yield fake


@pytest.fixture
def port(spotify) -> int:
    port = free_port()
    spotify.redirect_uris.add(f"http://127.0.0.1:{port}/callback")  # as registered in the app's dashboard
    return port


def login(port: int, *options: str, browser=None) -> int:
    return run_cli(["spotify-login", "--prefix", "alice", "--region", REGION, "--port", str(port), *options],
                   participant=Participant("alice"), browser=browser or Browser(), now=lambda: NOW)


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


def secrets_in(spotify: FakeSpotify, stored: dict | None) -> list[str]:
    """Every credential the run handled: none may be printed."""
    return [CLIENT_SECRET, *(f"token-{n}" for n in range(1, spotify.tokens_issued + 1)),
            *spotify.live_refresh_tokens(), *([stored["refresh_token"]] if stored else [])]


def test_the_consent_is_stored_and_nothing_secret_is_printed(aws, spotify, port, capsys):
    arn = deploy_ingestion("alice", APP)
    browser = Browser()
    assert login(port, browser=browser) == 0
    browser.finish()
    out, err = capsys.readouterr()

    stored = secret_value(arn)
    assert stored == {**APP, "refresh_token": stored["refresh_token"], "consented_at": "2026-12-01T09:30:00+00:00"}
    assert spotify.live_refresh_tokens() == {stored["refresh_token"]}
    lines = out.splitlines()
    assert lines[:3] == [
        "1. In your Spotify app's settings (https://developer.spotify.com/dashboard, your app, Edit), add this "
        "redirect URI exactly and save:",
        f"   http://127.0.0.1:{port}/callback",
        "2. Sign in as the owner (or a collaborator) of the playlists to extract and agree, at:",
    ]
    assert lines[3] == f"   {browser.opened[0]}"
    authorize, _, query = browser.opened[0].partition("?")
    assert authorize == f"{spotify.url}/authorize"
    sent = dict(urllib.parse.parse_qsl(query))
    assert len(sent.pop("state")) == 32  # secrets.token_urlsafe(24)
    assert sent == {"client_id": CLIENT_ID, "response_type": "code", "show_dialog": "true",
                    "redirect_uri": f"http://127.0.0.1:{port}/callback",
                    "scope": "playlist-read-private playlist-read-collaborative"}
    assert lines[4:] == [
        "waiting up to 300 s for Spotify's redirect (Ctrl-C stops)",
        f"consent stored in {arn}",
        f"it expires on 2027-06-01 (182 days); renew it before then with {LOGIN}",
    ]
    assert err == ""
    assert browser.page[0] == 200 and "You can close this tab" in browser.page[1]
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(browser.redirect).query))["code"]
    assert spotify.tokens_issued == 1
    for secret in [*secrets_in(spotify, stored), code]:
        assert secret not in out + err + browser.page[1]


def test_the_app_credentials_come_from_the_environment_when_the_secret_has_no_value(aws, spotify, port, capsys,
                                                                                   monkeypatch):
    arn = deploy_ingestion("alice")  # as the stack creates it: no value at all
    monkeypatch.setenv("SPOTIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SPOTIFY_CLIENT_SECRET", CLIENT_SECRET)
    browser = Browser()
    assert login(port, browser=browser) == 0
    browser.finish()
    stored = secret_value(arn)
    assert stored == {**APP, "refresh_token": stored["refresh_token"], "consented_at": "2026-12-01T09:30:00+00:00"}
    out, err = capsys.readouterr()
    assert all(secret not in out + err for secret in secrets_in(spotify, stored))


def test_without_app_credentials_or_a_terminal_it_names_the_variables(aws, spotify, port, capsys, monkeypatch):
    arn = deploy_ingestion("alice", {"note": "not the credentials"})
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    browser = Browser()
    assert login(port, browser=browser) == 1
    assert one_line_error(capsys) == (
        "error: no Spotify app credentials: the secret holds none; set SPOTIFY_CLIENT_ID and SPOTIFY_CLIENT_SECRET "
        "(your app's Client ID and Client secret at https://developer.spotify.com/dashboard)")
    assert browser.opened == [] and secret_value(arn) == {"note": "not the credentials"}


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_terminal_it_asks_for_the_app_credentials_and_hides_the_secret(aws, spotify, port, capsys, monkeypatch):
    arn = deploy_ingestion("alice")
    monkeypatch.setattr(sys, "stdin", Terminal(f"{CLIENT_ID}\n"))
    asked = []
    monkeypatch.setattr(getpass, "getpass", lambda prompt: asked.append(prompt) or CLIENT_SECRET)
    browser = Browser()
    assert login(port, browser=browser) == 0
    browser.finish()
    stored = secret_value(arn)
    assert {key: stored[key] for key in APP} == APP
    assert asked == ["Spotify app Client secret (not shown): "]
    assert capsys.readouterr().err == "Spotify app Client ID (from https://developer.spotify.com/dashboard): "


def test_a_redirect_with_another_state_stores_nothing(aws, spotify, port, capsys):
    arn = deploy_ingestion("alice", APP)
    browser = Browser(forged_state="from-another-login")
    assert login(port, browser=browser) == 1
    browser.finish()
    assert one_line_error(capsys) == ("error: the callback's state does not match this login (a stale or forged "
                                      "redirect); nothing stored: run the command again")
    assert secret_value(arn) == APP
    assert browser.page[0] == 400 and "Spotify consent failed" in browser.page[1]
    assert spotify.tokens_issued == 0


def test_a_refused_consent_stores_nothing(aws, spotify, port, capsys):
    arn = deploy_ingestion("alice", APP)
    spotify.faults.add("consent_denied")
    browser = Browser()
    assert login(port, browser=browser) == 1
    browser.finish()
    assert one_line_error(capsys) == (
        "error: Spotify answered error=access_denied (the consent was refused); nothing stored")
    assert secret_value(arn) == APP
    assert browser.page[0] == 400
    assert spotify.tokens_issued == 0


def test_no_callback_in_time_stores_nothing(aws, spotify, port, capsys):
    arn = deploy_ingestion("alice", APP)
    browser = Browser()
    assert login(port, "--timeout", "0.5", "--no-browser", browser=browser) == 1
    assert one_line_error(capsys) == (
        f"error: no callback on http://127.0.0.1:{port}/callback within 0.5 s; nothing stored: run the command "
        "again and open the authorize URL it prints")
    assert browser.opened == []  # --no-browser
    assert secret_value(arn) == APP


def test_a_port_in_use_is_one_line(aws, spotify, port, capsys):
    arn = deploy_ingestion("alice", APP)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        assert login(port) == 1
    assert one_line_error(capsys) == (
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use): pass another --port and register "
        "that redirect URI instead")
    assert secret_value(arn) == APP


def test_without_the_ingestion_stack_it_names_the_context_flag(aws, spotify, port, capsys):
    assert login(port) == 1
    assert one_line_error(capsys) == (
        f"error: stack alice-spotify-ingestion not found in region {REGION}: deploy the ingestion first with "
        'make deploy ARGS="-c resourcePrefix=alice -c ingestionEnabled=true -c ingestionPlaylistIds=<id1>,<id2>"')


def test_list_playlists_marks_what_the_extractor_can_read(aws, spotify, port, capsys):
    arn = deploy_ingestion("alice", APP)
    browser = Browser()
    assert login(port, "--list-playlists", browser=browser) == 0
    browser.finish()
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[lines.index("playlists of alice.listens (3):"):] == [
        "playlists of alice.listens (3):",
        f"  {PL_NEW}  Morning          owner alice.listens  readable (yours)",
        f"  {PL_OLD}  Shared with Bob  owner bob.curates  readable (collaborative)",
        f"  {PL_OTHER}  Bob's picks      owner bob.curates  not readable (neither yours nor collaborative: "
        "Spotify answers 403)",
        'extract them with: make deploy ARGS="-c resourcePrefix=alice -c ingestionEnabled=true '
        f'-c ingestionPlaylistIds={PL_NEW},{PL_OLD}"',
    ]
    # listing refreshed the token and Spotify rotated it: the secret holds the one that still works
    stored = secret_value(arn)
    assert spotify.live_refresh_tokens() == {stored["refresh_token"]}
    assert stored["consented_at"] == "2026-12-01T09:30:00+00:00"
    assert err == "" and all(secret not in out for secret in secrets_in(spotify, stored))


def test_json_keeps_stdout_for_the_report(aws, spotify, port, capsys):
    arn = deploy_ingestion("alice", APP)
    browser = Browser()
    assert login(port, "--list-playlists", "--json", browser=browser) == 0
    browser.finish()
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert {key: report[key] for key in ("stack", "secret", "redirect_uri", "consented_at", "expires")} == {
        "stack": "alice-spotify-ingestion", "secret": arn, "redirect_uri": f"http://127.0.0.1:{port}/callback",
        "consented_at": "2026-12-01T09:30:00+00:00", "expires": "2027-06-01"}
    assert [(p["id"], p["readable"]) for p in report["playlists"]] == [(PL_NEW, True), (PL_OLD, True),
                                                                        (PL_OTHER, False)]
    assert f"   http://127.0.0.1:{port}/callback" in err.splitlines()  # the instructions still reach the user
    assert all(secret not in out + err for secret in secrets_in(spotify, secret_value(arn)))


# --- status -----------------------------------------------------------------------------------------------------
def status(*options: str, participant: Participant | None = None) -> int:
    return run_cli(["status", "--prefix", "alice", "--region", REGION, *options],
                   participant=participant or Participant("alice"), now=lambda: NOW)


@pytest.mark.parametrize("consented_at, line", [
    ("2026-07-04T08:00:00+00:00", f"spotify   consented on 2026-07-04, 32 days left (renew with {LOGIN})"),
    ("2026-05-01T08:00:00+00:00", f"spotify   consent expired on 2026-10-30 (given 2026-05-01): renew with {LOGIN}"),
], ids=["days left", "expired"])
def test_status_shows_when_the_consent_expires(aws, capsys, consented_at, line):
    deploy("alice")
    deploy_ingestion("alice", {**APP, "refresh_token": "refresh-kept", "consented_at": consented_at})
    assert status() == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == line
    assert "refresh-kept" not in out and CLIENT_SECRET not in out


@pytest.mark.parametrize("value", [None, APP], ids=["no value", "client credentials only"])
def test_status_before_any_consent(aws, capsys, value):
    deploy("alice")
    deploy_ingestion("alice", value)
    assert status() == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"spotify   no consent yet: run {LOGIN}"


def test_status_json_has_the_consent_only_with_the_ingestion_stack(aws, capsys):
    deploy("alice")
    alice = Participant("alice")
    assert status("--json", participant=alice) == 0
    assert json.loads(capsys.readouterr().out)["spotify_consent"] is None
    deploy_ingestion("alice", {**APP, "refresh_token": "refresh-kept", "consented_at": "2026-07-04T08:00:00+00:00"})
    assert status("--json", participant=alice) == 0
    assert json.loads(capsys.readouterr().out)["spotify_consent"] == {
        "consented": True, "consented_at": "2026-07-04T08:00:00+00:00", "expires": "2027-01-02", "days_left": 32}


def test_status_without_the_ingestion_stack_says_nothing_about_spotify(aws, capsys):
    deploy("alice")
    assert status() == 0
    assert not any(line.startswith("spotify") for line in capsys.readouterr().out.splitlines())


# --- the participant policy --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda s, bob: s.client("secretsmanager").put_secret_value(SecretId=bob, SecretString="{}"),
    lambda s, bob: s.client("secretsmanager").get_secret_value(SecretId=bob),
    lambda s, bob: s.client("cloudformation").describe_stacks(StackName="bob-spotify-ingestion"),
], ids=["put bob's secret", "read bob's secret", "bob's ingestion stack"])
def test_a_participant_cannot_touch_another_prefixs_consent(aws, call):
    deploy_ingestion("alice", APP)
    bob = deploy_ingestion("bob", APP)
    alice = Participant("alice")
    with pytest.raises(ClientError) as raised:
        set_initial_no_auth_action_count(0)(lambda: call(alice.session(region_name=REGION), bob))()
    # moto answers Secrets Manager denials with a bare 403 (AWS: AccessDeniedException)
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert raised.value.response["Error"]["Code"] in ("AccessDenied", "AccessDeniedException", "403")
    assert secret_value(bob) == APP


def test_a_participant_may_store_their_own_consent_only_in_a_secret_tagged_with_their_prefix(aws):
    own = deploy_ingestion("alice", APP)
    untagged = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="untagged", SecretString="{}")
    session = Participant("alice").session(region_name=REGION)

    def put(arn: str):
        return session.client("secretsmanager").put_secret_value(SecretId=arn, SecretString='{"a": 1}')

    set_initial_no_auth_action_count(0)(lambda: put(own))()
    assert secret_value(own) == {"a": 1}
    with pytest.raises(ClientError) as raised:
        set_initial_no_auth_action_count(0)(lambda: put(untagged["ARN"]))()
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert secret_value(untagged["ARN"]) == {}


def test_status_names_the_policy_when_the_secret_is_denied(aws, capsys):
    """A secret of the user's own (-c ingestionSecretArn) without the prefix tag: AWS answers AccessDeniedException
    (moto only a bare 403, hence the stub), and status still reports everything else."""
    deploy("alice")
    arn = deploy_ingestion("alice")
    secrets, stubber = stubbed_client("secretsmanager")
    stubber.add_client_error("get_secret_value", service_error_code="AccessDeniedException",
                             service_message="not authorized to perform: secretsmanager:GetSecretValue")
    session = StubbedSession(boto3.Session(region_name=REGION), {"secretsmanager": secrets})
    assert run_cli(["status", "--prefix", "alice", "--region", REGION], session_factory=lambda **kwargs: session,
                   now=lambda: NOW) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        f"spotify   cannot read the consent: access denied to the secret {arn} (a participant needs "
        "docs/participant-policy.json, and the secret the tag resource-prefix=alice)")
