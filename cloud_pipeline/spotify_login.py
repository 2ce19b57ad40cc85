"""`spotify-login`: the Spotify consent the ingestion's extractor needs, given once from this machine.

Since February 2026 Spotify serves a playlist's items only to its owner or a collaborator, so the extractor
acts as that user through a refresh token (Authorization Code flow). This command runs the flow through a
one-shot server on http://127.0.0.1:<port>/callback (Spotify allows plain http only for a loopback IP
literal, never `localhost`) and stores the token in the ingestion stack's secret. No token or client secret
is ever printed."""

from __future__ import annotations

import datetime as dt
import getpass
import html
import json
import secrets
import sys
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Callable, Mapping

from botocore.exceptions import ClientError

from cloud_pipeline.errors import DENIED_CODES, POLICY_FILE, OperatorError
from ingestion.runtime.spotify_api import (
    CONSENT_LIFETIME_DAYS,
    DEFAULT_ACCOUNTS_URL,
    DEFAULT_API_BASE_URL,
    ConsentExpired,
    SpotifyApiError,
    SpotifyClient,
    authorize_url,
    exchange_code,
    login_command,
)

STACK_SUFFIX = "-spotify-ingestion"
CALLBACK_PATH = "/callback"
DASHBOARD_URL = "https://developer.spotify.com/dashboard"
CREDENTIAL_VARIABLES = ("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET")


@dataclass(frozen=True)
class Ingestion:
    stack_name: str
    status: str
    secret_arn: str | None  # None while the stack lacks its CredentialsSecret output


def find_ingestion(cloudformation, prefix: str) -> Ingestion | None:
    """The stack <prefix>-spotify-ingestion, or None when it is not deployed."""
    name = f"{prefix}{STACK_SUFFIX}"
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except ClientError as error:
        if "does not exist" not in error.response.get("Error", {}).get("Message", ""):
            raise
        return None
    if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
        return None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    return Ingestion(name, stacks[0]["StackStatus"], outputs.get("CredentialsSecret"))


def read_secret(secretsmanager, arn: str) -> dict:
    """The secret's JSON object; {} while it has no value (the stack creates it empty) or holds no JSON object."""
    try:
        raw = secretsmanager.get_secret_value(SecretId=arn).get("SecretString")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        return {}
    try:
        value = json.loads(raw or "")
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def expiry(consented_at: dt.datetime) -> dt.datetime:
    return consented_at + dt.timedelta(days=CONSENT_LIFETIME_DAYS)


def consent_status(ingestion: Ingestion, secretsmanager, prefix: str, now: dt.datetime) -> tuple[str, dict]:
    """status's line about the consent and its JSON. Only consented_at and whether refresh_token is set are read."""
    renew = login_command(prefix)
    if ingestion.secret_arn is None:
        return (f"{ingestion.stack_name} is {ingestion.status} without its CredentialsSecret output yet",
                {"consented": None})
    try:
        value = read_secret(secretsmanager, ingestion.secret_arn)
    except ClientError as error:
        if error.response["Error"]["Code"] not in DENIED_CODES:
            raise
        return (f"cannot read the consent: access denied to the secret {ingestion.secret_arn} (a participant needs "
                f"{POLICY_FILE}, and the secret the tag resource-prefix={prefix})", {"consented": None})
    if not value.get("refresh_token"):
        return f"no consent yet: run {renew}", {"consented": False}
    try:
        consented = dt.datetime.fromisoformat(str(value.get("consented_at")))
    except ValueError:
        return f"consented on an unknown date (the secret has no consented_at): renew with {renew}", {"consented": True}
    expires = expiry(consented)
    days_left = (expires.date() - now.date()).days
    report = {"consented": True, "consented_at": consented.isoformat(), "expires": expires.date().isoformat(),
              "days_left": days_left}
    if days_left < 0:
        return f"consent expired on {expires.date()} (given {consented.date()}): renew with {renew}", report
    return f"consented on {consented.date()}, {days_left} days left (renew with {renew})", report


def app_credentials(stored: dict, env: Mapping[str, str]) -> tuple[str, str]:
    """The Spotify app's client id and secret: the secret's, else the environment's, else typed in."""
    if all(isinstance(stored.get(k), str) and stored[k] for k in ("client_id", "client_secret")):
        return stored["client_id"], stored["client_secret"]
    if all(env.get(name) for name in CREDENTIAL_VARIABLES):
        return env["SPOTIFY_CLIENT_ID"], env["SPOTIFY_CLIENT_SECRET"]
    if not sys.stdin.isatty():
        raise OperatorError("no Spotify app credentials: the secret holds none; set SPOTIFY_CLIENT_ID and "
                            f"SPOTIFY_CLIENT_SECRET (your app's Client ID and Client secret at {DASHBOARD_URL})")
    print(f"Spotify app Client ID (from {DASHBOARD_URL}): ", end="", file=sys.stderr, flush=True)
    client_id = sys.stdin.readline().strip()
    client_secret = getpass.getpass("Spotify app Client secret (not shown): ").strip()
    if not client_id or not client_secret:
        raise OperatorError("the Spotify app's Client ID and Client secret are both needed")
    return client_id, client_secret


class CallbackServer(HTTPServer):
    """Answers requests on 127.0.0.1:<port> until Spotify's redirect to /callback arrives (or the time is up)."""

    def __init__(self, port: int, state: str) -> None:
        self.state = state
        self.code: str | None = None
        self.problem: str | None = None
        super().__init__(("127.0.0.1", port), _CallbackHandler)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{CALLBACK_PATH}"

    def judge(self, query: dict[str, str]) -> None:
        if not secrets.compare_digest(query.get("state", ""), self.state):
            self.problem = ("the callback's state does not match this login (a stale or forged redirect); "
                            "nothing stored: run the command again")
        elif "error" in query:
            refused = " (the consent was refused)" if query["error"] == "access_denied" else ""
            self.problem = f"Spotify answered error={query['error']}{refused}; nothing stored"
        elif not query.get("code"):
            self.problem = "Spotify's redirect carries neither a code nor an error; nothing stored"
        else:
            self.code = query["code"]

    def wait(self, timeout: float) -> str:
        """The authorization code; OperatorError for a refusal, a wrong state or no callback in time."""
        deadline = time.monotonic() + timeout
        while self.code is None and self.problem is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OperatorError(f"no callback on {self.redirect_uri} within {timeout:g} s; nothing stored: run "
                                    "the command again and open the authorize URL it prints")
            self.timeout = remaining
            self.handle_request()
        if self.problem:
            raise OperatorError(self.problem)
        return self.code


class _CallbackHandler(BaseHTTPRequestHandler):
    server: CallbackServer
    timeout = 10  # a connection that sends nothing must not hold the one-shot server

    def log_message(self, *args) -> None:  # the URL carries the code: keep it off the terminal
        pass

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path != CALLBACK_PATH:
            return self._page(404, "Not found", "This server only waits for Spotify's redirect.")
        self.server.judge({name: values[0] for name, values in urllib.parse.parse_qs(query).items()})
        if self.server.problem:
            return self._page(400, "Spotify consent failed", f"{self.server.problem}. You can close this tab.")
        self._page(200, "Spotify consent received",
                   "You can close this tab; the terminal says when the consent is stored.")

    def _page(self, status: int, title: str, text: str) -> None:
        body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
                f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def login(*, cloudformation, secretsmanager, prefix: str, region: str, port: int, timeout: float,
          list_playlists: bool, open_browser: Callable[[str], object] | None, now: Callable[[], dt.datetime],
          env: Mapping[str, str], say: Callable[[str], None]) -> dict:
    ingestion = find_ingestion(cloudformation, prefix)
    if ingestion is None:
        raise OperatorError(f"stack {prefix}{STACK_SUFFIX} not found in region {region}: deploy the ingestion first "
                            f'with make deploy ARGS="-c resourcePrefix={prefix} -c ingestionEnabled=true '
                            '-c ingestionPlaylistIds=<id1>,<id2>"')
    arn = ingestion.secret_arn
    if arn is None:
        raise OperatorError(f"stack {ingestion.stack_name} is {ingestion.status} and lacks the output "
                            "CredentialsSecret: wait for the deployment to finish or redeploy with make deploy")
    client_id, client_secret = app_credentials(read_secret(secretsmanager, arn), env)
    accounts_url = env.get("SPOTIFY_ACCOUNTS_URL") or DEFAULT_ACCOUNTS_URL
    state = secrets.token_urlsafe(24)
    try:  # bound before any URL is shown, so the redirect can never arrive before the server listens
        server = CallbackServer(port, state)
    except OSError as error:
        raise OperatorError(f"cannot listen on 127.0.0.1:{port} ({error.strerror}): pass another --port and "
                            "register that redirect URI instead") from None
    with server:
        redirect_uri = server.redirect_uri
        url = authorize_url(client_id, redirect_uri, state, accounts_url)
        say(f"1. In your Spotify app's settings ({DASHBOARD_URL}, your app, Edit), add this redirect URI exactly "
            "and save:")
        say(f"   {redirect_uri}")
        say("2. Sign in as the owner (or a collaborator) of the playlists to extract and agree, at:")
        say(f"   {url}")
        if open_browser is not None:
            open_browser(url)
        say(f"waiting up to {timeout:g} s for Spotify's redirect (Ctrl-C stops)")
        code = server.wait(timeout)
    try:
        tokens = exchange_code(client_id, client_secret, code, redirect_uri, accounts_url)
    except SpotifyApiError as error:
        raise OperatorError(f"{error}; nothing stored") from None
    except OSError as error:
        raise OperatorError(f"cannot reach Spotify at {accounts_url} ({error}); nothing stored") from None
    consented_at = now().astimezone(dt.timezone.utc).replace(microsecond=0)
    consent = {"client_id": client_id, "client_secret": client_secret, "refresh_token": tokens["refresh_token"],
               "consented_at": consented_at.isoformat()}
    secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps(consent))
    expires = expiry(consented_at).date()
    say(f"consent stored in {arn}")
    say(f"it expires on {expires} ({CONSENT_LIFETIME_DAYS} days); renew it before then with {login_command(prefix)}")
    report = {"stack": ingestion.stack_name, "secret": arn, "redirect_uri": redirect_uri,
              "consented_at": consent["consented_at"], "expires": expires.isoformat()}
    if list_playlists:
        report["playlists"] = _list_playlists(consent, tokens["access_token"], secretsmanager, arn, prefix, env, say)
    return report


def _list_playlists(consent: dict, access_token: str, secretsmanager, arn: str, prefix: str,
                    env: Mapping[str, str], say: Callable[[str], None]) -> list[dict]:
    """The consenting account's playlists, and which ones the extractor can read (its own and collaborative)."""

    def store_rotated(refresh_token: str) -> None:  # Spotify may rotate it; the old one may stop working at once
        secretsmanager.put_secret_value(SecretId=arn, SecretString=json.dumps({**consent,
                                                                               "refresh_token": refresh_token}))

    # The consent's own access token: no refresh, so no rotation to store unless it expires meanwhile.
    client = SpotifyClient(consent["client_id"], consent["client_secret"], consent["refresh_token"],
                           access_token=access_token, on_new_refresh_token=store_rotated,
                           renew_with=login_command(prefix),
                           api_base_url=env.get("SPOTIFY_API_BASE_URL") or DEFAULT_API_BASE_URL,
                           accounts_url=env.get("SPOTIFY_ACCOUNTS_URL") or DEFAULT_ACCOUNTS_URL)
    try:
        user = client.get("/v1/me")["id"]
        found = client.my_playlists()
    except (SpotifyApiError, ConsentExpired) as error:
        raise OperatorError(f"the consent is stored, but listing the playlists failed: {error}") from None
    except OSError as error:
        raise OperatorError(f"the consent is stored, but Spotify cannot be reached ({error})") from None
    playlists = []
    for item in found:
        owner = (item.get("owner") or {}).get("id")
        why = "yours" if owner == user else "collaborative" if item.get("collaborative") else None
        playlists.append({"id": item.get("id"), "name": item.get("name"), "owner": owner, "readable": why is not None,
                          "why": why or "neither yours nor collaborative: Spotify answers 403"})
    say(f"\nplaylists of {user} ({len(playlists)}):")
    width = max((len(str(p["name"])) for p in playlists), default=0)
    for p in playlists:
        verdict = f"readable ({p['why']})" if p["readable"] else f"not readable ({p['why']})"
        say(f"  {p['id']}  {str(p['name']):<{width}}  owner {p['owner']}  {verdict}")
    readable = [p["id"] for p in playlists if p["readable"]]
    if readable:
        say(f'extract them with: make deploy ARGS="-c resourcePrefix={prefix} -c ingestionEnabled=true '
            f'-c ingestionPlaylistIds={",".join(readable)}"')
    else:
        say("none of them can be extracted: consent as the owner or a collaborator of the playlists")
    return playlists
