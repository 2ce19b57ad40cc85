"""A small Spotify Web API client for the client-credentials flow (standard library only).

Written for the API as it is since the February 2026 Development Mode changes:
playlist entries come from GET /v1/playlists/{id}/items and carry their object
under `item` (older responses and Extended Quota apps: `track`); batch
endpoints are gone, so artists are fetched one by one; `popularity` and
`followers` may be absent. Hosts are configuration so tests can point the
client at a local fake server.
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


class SpotifyApiError(Exception):
    def __init__(self, status: int, url: str, message: str) -> None:
        super().__init__(f"Spotify API {status} for {url}: {message}")
        self.status = status
        self.url = url


class SpotifyClient:
    """Bounded retries, for the token request and every API call alike: 429 honours Retry-After; 5xx and
    a 200 whose body is unusable back off; 401 refreshes the token once."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        api_base_url: str = DEFAULT_API_BASE_URL,
        accounts_url: str = DEFAULT_ACCOUNTS_URL,
        max_attempts: int = 5,
        max_retry_after: float = 30.0,
        timeout: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._credentials = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        self.api_base_url = api_base_url.rstrip("/")
        self.accounts_url = accounts_url.rstrip("/")
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self.timeout = timeout
        self.sleep = sleep
        self._token: str | None = None
        self.requests = 0

    # -- token -------------------------------------------------------------
    def _fetch_token(self) -> str:
        """A client-credentials token, with the same bounded retries as the API calls."""
        body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
        url = f"{self.accounts_url}/api/token"
        for attempt in range(1, self.max_attempts + 1):
            request = urllib.request.Request(
                url,
                data=body,
                method="POST",
                headers={
                    "Authorization": f"Basic {self._credentials}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            status, payload, headers = self._send(request)
            if status == 200 and isinstance((payload or {}).get("access_token"), str):
                return payload["access_token"]
            if attempt < self.max_attempts and self._waited_before_retry(status, headers, attempt):
                continue
            if status == 200:
                detail = f"the answer is not JSON with an access_token (after {attempt} attempts)"
            else:
                detail = (payload or {}).get("error_description") or (payload or {}).get("error") or "no detail"
            raise SpotifyApiError(status, url, f"token request refused: {detail}")
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- requests ----------------------------------------------------------
    def _send(self, request: urllib.request.Request) -> tuple[int, dict | None, dict]:
        """Status, JSON object body (None when the body is not a JSON object) and headers."""
        self.requests += 1
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read()), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, _json(error.read()), dict(error.headers or {})

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
