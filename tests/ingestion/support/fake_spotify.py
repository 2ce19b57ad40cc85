"""A fake Spotify (accounts service and Web API) on 127.0.0.1 that follows Spotify's rules as documented in
December 2026 (../shared/research/spotify-web-api-2026.md), replaying responses shaped like the real ones.

Accounts:
  GET  /authorize    the consent page, answered as the browser would after the user clicked: a redirect to
                     the registered redirect URI with `code` and the caller's `state` (or error=access_denied);
                     an unregistered redirect URI is refused, as Spotify's dashboard rules do
  POST /api/token    authorization_code (once per code, same redirect URI), refresh_token (a new refresh
                     token each time, the old one stops working; an expired or unknown one: invalid_grant),
                     client_credentials (an app-only token, no user)
Playlists (the consenting user is USER_ID):
  PL_NEW    the user's own: 3 entries in the 2026 shape (`item`), served 2 per page, one a local file
  PL_OLD    another user's, collaborative with USER_ID: 1 entry in the pre-2026 shape (`track`)
  PL_OTHER  another user's public playlist the user follows: 403 to everyone but its owner
  PL_EDIT   a Spotify-owned editorial playlist: 404 for everyone
Playlist items answer 403 to an app-only token. GET /v1/me and /v1/me/playlists: the user and their playlists.
Faults are switched on per test: one 429 with Retry-After, one 503, an expired access token (401), a 500
on every artist request, a 429 or 503 from the token endpoint, a 200 page that is not JSON (once) or lacks
`items` (always), a 429 QUOTA_EXCEEDED, a denied consent, and refresh tokens that stop rotating.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID, CLIENT_SECRET = "fake-client-id", "fake-client-secret"
USER_ID, OTHER_USER = "alice.listens", "bob.curates"
PL_NEW, PL_OLD, PL_OTHER, PL_EDIT = ("1111111111111111111111", "2222222222222222222222", "3333333333333333333333",
                                     "37i9dQZF1DXcBWIGoYBM5M")


def artist_ref(artist_id, name):
    return {"id": artist_id, "name": name, "type": "artist",
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"}}


def track(track_id, name, artists, album_id, album_name, *, popularity=None, label=None):
    value = {
        "id": track_id, "name": name, "type": "track", "duration_ms": 200000, "explicit": False,
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
        "artists": artists,
        "album": {"id": album_id, "name": album_name, "release_date": "2024-05-17",
                  "release_date_precision": "day", "total_tracks": 12, "genres": [],
                  "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"}},
    }
    if popularity is not None:  # absent for Development Mode apps, as are the album's label and popularity
        value["popularity"] = popularity
        value["album"]["popularity"] = popularity - 10
    if label is not None:
        value["album"]["label"] = label
    return value


A1, A2, A3 = artist_ref("art1aaaaaaaaaaaaaaaaaa", "Кино"), artist_ref("art2bbbbbbbbbbbbbbbbbb", "米津玄師"), \
    artist_ref("art3cccccccccccccccccc", "Earth, Wind & Fire")
NEW_ENTRIES = [
    {"added_at": "2026-11-01T10:00:00Z", "item": track("trk1aaaaaaaaaaaaaaaaaa", "Группа крови", [A1],
                                                        "alb1aaaaaaaaaaaaaaaaaa", "Группа крови")},
    {"added_at": "2026-11-02T10:00:00Z", "item": track("trk2bbbbbbbbbbbbbbbbbb", "Duet", [A2, A3],
                                                        "alb2bbbbbbbbbbbbbbbbbb", "Together")},
    {"added_at": "2026-11-03T10:00:00Z", "is_local": True, "item": {"id": None, "name": "local.mp3", "type": "track"}},
]
OLD_ENTRIES = [
    # The same song as on PL_NEW, in the old shape, from an Extended Quota era answer: popularity and label.
    {"added_at": "2025-01-01T00:00:00Z", "track": track("trk2bbbbbbbbbbbbbbbbbb", "Duet", [A2, A3],
                                                         "alb2bbbbbbbbbbbbbbbbbb", "Together", popularity=71,
                                                         label="Sony Music")},
]
OTHER_ENTRIES = [
    {"added_at": "2026-10-01T00:00:00Z", "item": track("trk9zzzzzzzzzzzzzzzzzz", "Not yours", [A1],
                                                        "alb1aaaaaaaaaaaaaaaaaa", "Группа крови")},
]
ARTISTS = {
    A1["id"]: {**A1, "genres": ["russian rock"]},  # Development Mode: no popularity, no followers
    A2["id"]: {**A2, "genres": ["j-pop"], "popularity": 80, "followers": {"total": 2500000}},
    A3["id"]: {**A3},  # genres is deprecated and may be absent
}
PLAYLISTS = {  # id: (name, owner, collaborative, entries)
    PL_NEW: ("Morning", USER_ID, False, NEW_ENTRIES),
    PL_OLD: ("Shared with Bob", OTHER_USER, True, OLD_ENTRIES),
    PL_OTHER: ("Bob's picks", OTHER_USER, False, OTHER_ENTRIES),
}


def error_body(status: int, message: str, reason: str | None = None) -> dict:
    error = {"status": status, "message": message}
    if reason:
        error["reason"] = reason
    return {"error": error}


class FakeSpotify:
    def __init__(self) -> None:
        self.faults: set[str] = set()
        self.log: list[tuple[str, str, int]] = []
        self.tokens_issued = 0
        self.redirect_uris: set[str] = set()  # registered in the app's dashboard
        self.playlists = copy.deepcopy(PLAYLISTS)
        self._counter = itertools.count(1)
        self._access: dict[str, str | None] = {}  # access token -> user id (None: app-only)
        self._refresh: dict[str, str] = {}  # live refresh token -> user id
        self._codes: dict[str, tuple[str, str]] = {}  # authorization code -> (redirect URI, scope)
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    # -- what a test arranges ------------------------------------------------
    def consent(self) -> str:
        """A refresh token for USER_ID, as if the consent had been given (the flow itself: /authorize)."""
        with self._lock:
            token = f"refresh-{next(self._counter)}"
            self._refresh[token] = USER_ID
            return token

    def live_refresh_tokens(self) -> set[str]:
        return set(self._refresh)

    def expire_tokens(self) -> None:
        self._access.clear()

    def expire_consents(self) -> None:
        """Six months later, or revoked by the user: every refresh answers invalid_grant."""
        self._refresh.clear()

    def remove_entry(self, playlist_id: str, track_id: str) -> None:
        name, owner, collaborative, entries = self.playlists[playlist_id]
        kept = [e for e in entries if ((e.get("item") or e.get("track") or {}).get("id")) != track_id]
        self.playlists[playlist_id] = (name, owner, collaborative, kept)

    def _issue_access(self, user: str | None) -> str:
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        self._access[token] = user
        return token

    # -- the server ------------------------------------------------------------
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _reply(self, status, body, headers=None):
                # Logged before answering, so the client never sees a reply the log lacks.
                fake.log.append((self.command, self.path, status))
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _authorize(self, query):
                one = {name: values[0] for name, values in query.items()}
                if one.get("client_id") != CLIENT_ID:
                    return self._reply(400, {"error": "invalid_client", "error_description": "Invalid client"})
                if one.get("redirect_uri") not in fake.redirect_uris:
                    return self._reply(400, {"error": "invalid_request",
                                             "error_description": "INVALID_CLIENT: Invalid redirect URI"})
                if one.get("response_type") != "code":
                    return self._reply(400, {"error": "unsupported_response_type"})
                answer = {"state": one["state"]} if "state" in one else {}
                if "consent_denied" in fake.faults:
                    answer = {"error": "access_denied", **answer}
                else:
                    with fake._lock:
                        code = f"code-{next(fake._counter)}"
                        fake._codes[code] = (one["redirect_uri"], one.get("scope", ""))
                    answer = {"code": code, **answer}
                location = one["redirect_uri"] + "?" + urllib.parse.urlencode(answer)
                return self._reply(302, b"", {"Location": location})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {name: values[0] for name, values in
                        urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
                expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if self.path != "/api/token":
                    return self._reply(404, {"error": "not_found"})
                if self.headers.get("Authorization") != expected:
                    return self._reply(400, {"error": "invalid_client", "error_description": "Invalid client"})
                with fake._lock:
                    if "token_429_once" in fake.faults:
                        fake.faults.discard("token_429_once")
                        return self._reply(429, {"error": "rate_limited"}, {"Retry-After": "3"})
                    if "token_503_once" in fake.faults:
                        fake.faults.discard("token_503_once")
                        return self._reply(503, b"<html>Service Unavailable</html>")
                    grant = form.get("grant_type")
                    if grant == "client_credentials":
                        token = fake._issue_access(None)
                        return self._reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})
                    if grant == "authorization_code":
                        redirect_uri, scope = fake._codes.pop(form.get("code", ""), (None, ""))
                        if redirect_uri is None or redirect_uri != form.get("redirect_uri"):
                            return self._reply(400, {"error": "invalid_grant",
                                                     "error_description": "Invalid authorization code"})
                        refresh = f"refresh-{next(fake._counter)}"
                        fake._refresh[refresh] = USER_ID
                        return self._reply(200, {"access_token": fake._issue_access(USER_ID), "token_type": "Bearer",
                                                 "scope": scope, "expires_in": 3600, "refresh_token": refresh})
                    if grant == "refresh_token":
                        user = fake._refresh.get(form.get("refresh_token", ""))
                        if user is None:
                            return self._reply(400, {"error": "invalid_grant",
                                                     "error_description": "Refresh token revoked"})
                        answer = {"access_token": fake._issue_access(user), "token_type": "Bearer",
                                  "expires_in": 3600, "scope": " ".join(("playlist-read-private",
                                                                          "playlist-read-collaborative"))}
                        if "no_rotation" not in fake.faults:
                            del fake._refresh[form["refresh_token"]]
                            answer["refresh_token"] = f"refresh-{next(fake._counter)}"
                            fake._refresh[answer["refresh_token"]] = user
                        return self._reply(200, answer)
                return self._reply(400, {"error": "unsupported_grant_type"})

            def do_GET(self):
                parsed = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(parsed.query)
                if parsed.path == "/authorize":
                    return self._authorize(query)
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if token not in fake._access:
                    return self._reply(401, error_body(401, "The access token expired"))
                user = fake._access[token]
                with fake._lock:
                    if "quota_exceeded" in fake.faults:
                        return self._reply(429, error_body(429, "API rate limit exceeded", "QUOTA_EXCEEDED"),
                                           {"Retry-After": "86400"})
                    if "429_once" in fake.faults:
                        fake.faults.discard("429_once")
                        return self._reply(429, error_body(429, "API rate limit exceeded"), {"Retry-After": "2"})
                    if "503_once" in fake.faults:
                        fake.faults.discard("503_once")
                        return self._reply(503, error_body(503, "Service unavailable"))
                    if "expire_once" in fake.faults:
                        fake.faults.discard("expire_once")
                        fake._access.clear()
                        return self._reply(401, error_body(401, "The access token expired"))
                parts = parsed.path.strip("/").split("/")
                if parts == ["v1", "me"]:
                    if user is None:
                        return self._reply(401, error_body(401, "Only valid bearer authentication supported"))
                    return self._reply(200, {"id": user, "display_name": user, "type": "user"})
                if parts == ["v1", "me", "playlists"]:
                    if user is None:
                        return self._reply(401, error_body(401, "Only valid bearer authentication supported"))
                    return self._reply(200, fake._my_playlists(user))
                if parts[:2] == ["v1", "playlists"] and len(parts) == 4 and parts[3] == "tracks":
                    return self._reply(403, error_body(403, "Forbidden"))  # replaced by /items
                if parts[:2] == ["v1", "playlists"] and len(parts) == 4 and parts[3] == "items":
                    return self._items(parts[2], user, query)
                if parts[:2] == ["v1", "artists"] and len(parts) == 3:
                    if "artists_500" in fake.faults:
                        return self._reply(500, error_body(500, "Server error"))
                    artist = ARTISTS.get(parts[2])
                    if artist is None:
                        return self._reply(404, error_body(404, "Resource not found"))
                    return self._reply(200, artist)
                return self._reply(404, error_body(404, "Service not found"))

            def _items(self, playlist_id, user, query):
                if playlist_id not in fake.playlists:
                    return self._reply(404, error_body(404, "Resource not found"))
                _, owner, collaborative, entries = fake.playlists[playlist_id]
                if user is None or not (user == owner or collaborative):
                    return self._reply(403, error_body(403, "Forbidden"))
                limit = min(int(query.get("limit", ["2"])[0]), 2)
                offset = int(query.get("offset", ["0"])[0])
                if offset and "page_not_json_once" in fake.faults:
                    fake.faults.discard("page_not_json_once")
                    return self._reply(200, b"<html>upstream proxy page</html>")
                if offset and "page_without_items" in fake.faults:
                    return self._reply(200, {"href": self.path, "next": None, "total": len(entries)})
                page = entries[offset:offset + limit]
                following = offset + limit
                next_url = (f"{fake.url}/v1/playlists/{playlist_id}/items?offset={following}&limit={limit}"
                            if following < len(entries) else None)
                return self._reply(200, {"items": page, "next": next_url, "offset": offset, "limit": limit,
                                         "total": len(entries)})

        return Handler

    def _my_playlists(self, user: str) -> dict:
        items = [{"id": playlist_id, "name": name, "owner": {"id": owner, "display_name": owner},
                  "collaborative": collaborative, "public": not collaborative,
                  "snapshot_id": f"snap-{playlist_id[:4]}-{len(entries)}", "items": {"total": len(entries)}}
                 for playlist_id, (name, owner, collaborative, entries) in self.playlists.items()]
        return {"items": items, "next": None, "total": len(items), "limit": 50, "offset": 0}
