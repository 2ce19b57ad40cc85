"""A small Spotify Web API client for a user's consent (Authorization Code flow), standard library only.

Written for the API as Spotify documents it in December 2026:
- playlist contents need a user token of the playlist's owner or a collaborator (Development Mode rules
  of February 2026): an app-only (client-credentials) token gets 403, so the extractor refreshes the
  consenting user's token instead, and the consent is given once from the operator's laptop
  (cloud_pipeline spotify-login, through `authorize_url` and `exchange_code` below);
- refresh tokens expire 6 months after the consent (June/July 2026): a refresh then answers
  `invalid_grant` (ConsentExpired), and a token response may carry a new refresh token to store;
- entries come from GET /v1/playlists/{id}/items and carry their object under `item` (older
  responses and Extended Quota apps: `track`); batch endpoints are gone, so artists are fetched one
  by one; `popularity`, `followers`, `label` and `genres` may be absent;
- quota is counted per developer account (July 2026): a 429 whose reason is QUOTA_EXCEEDED ends the
  run at once (QuotaExceeded); an ordinary 429 honours Retry-After.
Hosts are configuration so tests can point the client at a local fake server.
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable

DEFAULT_API_BASE_URL = "https://api.spotify.com"
DEFAULT_ACCOUNTS_URL = "https://accounts.spotify.com"
# What the extractor reads: the consenting account's own and collaborative playlists.
SCOPES = ("playlist-read-private", "playlist-read-collaborative")
# Spotify's refresh tokens need a new consent this long after it was given (June/July 2026).
CONSENT_LIFETIME_DAYS = 182


def login_command(prefix: str) -> str:
    return f'make cloud ARGS="spotify-login --prefix {prefix}"'


class SpotifyApiError(Exception):
    def __init__(self, status: int, url: str, message: str) -> None:
        super().__init__(f"Spotify API {status} for {url}: {message}")
        self.status = status
        self.url = url


class ConsentExpired(Exception):
    """The refresh token was refused (`invalid_grant`): the consent expired or was revoked."""


class QuotaExceeded(SpotifyApiError):
    """429 with reason QUOTA_EXCEEDED: the developer account's quota is spent; retrying burns more."""


def authorize_url(client_id: str, redirect_uri: str, state: str, accounts_url: str = DEFAULT_ACCOUNTS_URL) -> str:
    """Where the browser asks the user for consent (Authorization Code flow)."""
    query = urllib.parse.urlencode({"client_id": client_id, "response_type": "code", "redirect_uri": redirect_uri,
                                    "scope": " ".join(SCOPES), "state": state, "show_dialog": "true"})
    return f"{accounts_url.rstrip('/')}/authorize?{query}"


def _token_request(accounts_url: str, client_id: str, client_secret: str, form: dict,
                   timeout: float = 20.0) -> tuple[int, dict | None, dict]:
    credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    request = urllib.request.Request(
        f"{accounts_url.rstrip('/')}/api/token", data=urllib.parse.urlencode(form).encode(), method="POST",
        headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded"})
    return _send(request, timeout)


def _send(request: urllib.request.Request, timeout: float) -> tuple[int, dict | None, dict]:
    """Status, JSON object body (None when the body is not a JSON object) and headers, for any answer."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _json(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read()), dict(error.headers or {})


def exchange_code(client_id: str, client_secret: str, code: str, redirect_uri: str,
                  accounts_url: str = DEFAULT_ACCOUNTS_URL) -> dict:
    """The token response for an authorization code: access_token, refresh_token, scope, expires_in."""
    status, payload, _ = _token_request(accounts_url, client_id, client_secret, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri})
    if status == 200 and isinstance((payload or {}).get("refresh_token"), str):
        return payload
    detail = (payload or {}).get("error_description") or (payload or {}).get("error") or "no detail"
    raise SpotifyApiError(status, f"{accounts_url.rstrip('/')}/api/token", f"the authorization code was refused: "
                          f"{detail}")


class SpotifyClient:
    """Bounded retries, for the token request and every API call alike: 429 honours Retry-After; 5xx and
    a 200 whose body is unusable back off; 401 refreshes the token once."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        access_token: str | None = None,
        on_new_refresh_token: Callable[[str], None] = lambda token: None,
        renew_with: str = "spotify-login",
        api_base_url: str = DEFAULT_API_BASE_URL,
        accounts_url: str = DEFAULT_ACCOUNTS_URL,
        max_attempts: int = 5,
        max_retry_after: float = 30.0,
        timeout: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client_id, self._client_secret = client_id, client_secret
        self.refresh_token = refresh_token
        self.on_new_refresh_token = on_new_refresh_token
        self.renew_with = renew_with
        self.api_base_url = api_base_url.rstrip("/")
        self.accounts_url = accounts_url.rstrip("/")
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self.timeout = timeout
        self.sleep = sleep
        self._token: str | None = access_token  # one the caller already has (the consent's), else refreshed
        self.requests = 0

    # -- token -------------------------------------------------------------
    def _fetch_token(self) -> str:
        """An access token for the consenting user, from the refresh token, with the same bounded retries
        as the API calls. A rotated refresh token is handed to on_new_refresh_token at once: the old one
        may no longer work."""
        url = f"{self.accounts_url}/api/token"
        for attempt in range(1, self.max_attempts + 1):
            self.requests += 1
            status, payload, headers = _token_request(self.accounts_url, self.client_id, self._client_secret, {
                "grant_type": "refresh_token", "refresh_token": self.refresh_token}, self.timeout)
            if status == 200 and isinstance((payload or {}).get("access_token"), str):
                rotated = payload.get("refresh_token")
                if isinstance(rotated, str) and rotated and rotated != self.refresh_token:
                    self.refresh_token = rotated
                    self.on_new_refresh_token(rotated)
                return payload["access_token"]
            if status == 400 and (payload or {}).get("error") == "invalid_grant":
                raise ConsentExpired(
                    "the Spotify consent expired or was revoked (Spotify refused the refresh token: "
                    f"invalid_grant; a consent lasts 6 months): renew it with {self.renew_with}")
            self._raise_if_quota_exceeded(status, payload, url)
            if attempt < self.max_attempts and self._waited_before_retry(status, headers, attempt):
                continue
            if status == 200:
                detail = f"the answer is not JSON with an access_token (after {attempt} attempts)"
            else:
                detail = (payload or {}).get("error_description") or (payload or {}).get("error") or "no detail"
            raise SpotifyApiError(status, url, f"token request refused: {detail}")
        raise AssertionError("unreachable: the last attempt returns or raises")

    @staticmethod
    def _raise_if_quota_exceeded(status: int, payload: dict | None, url: str) -> None:
        error = (payload or {}).get("error")
        reason = (error.get("reason") if isinstance(error, dict) else None) or (payload or {}).get("reason")
        if status == 429 and reason == "QUOTA_EXCEEDED":
            raise QuotaExceeded(status, url, "the developer account's Spotify quota is used up (QUOTA_EXCEEDED); "
                                "the run stops now rather than spend more of it, and the next scheduled run "
                                "tries again")

    # -- requests ----------------------------------------------------------
    def _send(self, request: urllib.request.Request) -> tuple[int, dict | None, dict]:
        self.requests += 1
        return _send(request, self.timeout)

    def _waited_before_retry(self, status: int, headers: dict, attempt: int) -> bool:
        """Sleep before the next attempt when the answer is worth retrying: 429 for Retry-After seconds;
        5xx, and a 200 whose body cannot be used, with exponential backoff. False: do not retry."""
        if status == 429:
            self.sleep(min(_retry_after(headers), self.max_retry_after))
            return True
        if status >= 500 or status == 200:
            self.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
            return True
        return False

    def get(self, path_or_url: str, params: dict | None = None, *, list_field: str | None = None) -> dict:
        """GET a JSON object; with list_field, a 200 without that list is unusable and retried like a 5xx
        (a page cut short must fail the run, never shorten a playlist silently)."""
        url = path_or_url if path_or_url.startswith("http") else f"{self.api_base_url}{path_or_url}"
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        refreshed = False
        for attempt in range(1, self.max_attempts + 1):
            if self._token is None:
                self._token = self._fetch_token()
            request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self._token}"})
            status, payload, headers = self._send(request)
            usable = payload is not None and (list_field is None or isinstance(payload.get(list_field), list))
            if status == 200 and usable:
                return payload
            if status == 401 and not refreshed:
                self._token, refreshed = None, True  # expired token: one refresh
                continue
            self._raise_if_quota_exceeded(status, payload, url)
            if attempt < self.max_attempts and self._waited_before_retry(status, headers, attempt):
                continue
            if status == 200:
                expected = f"a JSON object with an '{list_field}' list" if list_field else "a JSON object"
                raise SpotifyApiError(status, url, f"the answer is not {expected} (after {attempt} attempts)")
            error = (payload or {}).get("error")
            message = error.get("message", "") if isinstance(error, dict) else ""
            raise SpotifyApiError(status, url, message or f"request failed (after {attempt} attempts)")
        raise SpotifyApiError(401, url, "still unauthorized after refreshing the token")

    # -- endpoints ---------------------------------------------------------
    def playlist_items(self, playlist_id: str, page_size: int = 50) -> list[dict]:
        """Every entry of a playlist, following `next` links."""
        entries: list[dict] = []
        page = self.get(f"/v1/playlists/{playlist_id}/items", {"limit": page_size}, list_field="items")
        while True:
            entries.extend(page["items"])
            if not page.get("next"):
                return entries
            page = self.get(page["next"], list_field="items")

    def artist(self, artist_id: str) -> dict:
        return self.get(f"/v1/artists/{artist_id}")

    def my_playlists(self) -> list[dict]:
        """The consenting account's playlists (its own, collaborative and followed ones), every page."""
        playlists: list[dict] = []
        page = self.get("/v1/me/playlists", {"limit": 50}, list_field="items")
        while True:
            playlists.extend(p for p in page["items"] if isinstance(p, dict))
            if not page.get("next"):
                return playlists
            page = self.get(page["next"], list_field="items")


def entry_object(entry: dict) -> dict | None:
    """The track of a playlist entry in either response shape (`item` now, `track` before)."""
    value = entry.get("item") if entry.get("item") is not None else entry.get("track")
    return value if isinstance(value, dict) else None


def _retry_after(headers: dict) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except ValueError:
                break
    return 1.0


def _json(raw: bytes) -> dict | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None
