"""A fake Spotify Web API on 127.0.0.1, replaying responses shaped like the real ones.

Playlists:
  PL_NEW   3 entries in the 2026 shape (`item`), served 2 per page, with a local file entry
  PL_OLD   1 entry in the pre-2026 shape (`track`)
  PL_EDIT  a Spotify-owned editorial playlist: 404, as for Development Mode apps
Faults are switched on per test: one 429 with Retry-After, one 503, an expired
token (401), a 500 on every artist request, a 429 or 503 from the token endpoint,
and a 200 page that is not JSON (once) or lacks `items` (always).
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CLIENT_ID, CLIENT_SECRET = "fake-client-id", "fake-client-secret"
PL_NEW, PL_OLD, PL_EDIT = "1111111111111111111111", "2222222222222222222222", "37i9dQZF1DXcBWIGoYBM5M"


def artist_ref(artist_id, name):
    return {"id": artist_id, "name": name, "type": "artist",
            "external_urls": {"spotify": f"https://open.spotify.com/artist/{artist_id}"}}


def track(track_id, name, artists, album_id, album_name, *, popularity=None):
    value = {
        "id": track_id, "name": name, "type": "track", "duration_ms": 200000, "explicit": False,
        "external_urls": {"spotify": f"https://open.spotify.com/track/{track_id}"},
        "artists": artists,
        "album": {"id": album_id, "name": album_name, "release_date": "2024-05-17",
                  "release_date_precision": "day", "total_tracks": 12,
                  "external_urls": {"spotify": f"https://open.spotify.com/album/{album_id}"}},
    }
    if popularity is not None:  # absent for Development Mode apps
        value["popularity"] = popularity
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
    # The same song as on PL_NEW (deduplicated, first entry kept) in the old shape, with popularity.
    {"added_at": "2025-01-01T00:00:00Z", "track": track("trk2bbbbbbbbbbbbbbbbbb", "Duet", [A2, A3],
                                                         "alb2bbbbbbbbbbbbbbbbbb", "Together", popularity=71)},
]
ARTISTS = {
    A1["id"]: {**A1, "genres": ["russian rock"]},  # Development Mode: no popularity, no followers
    A2["id"]: {**A2, "genres": ["j-pop"], "popularity": 80, "followers": {"total": 2500000}},
    A3["id"]: {**A3, "genres": ["soul"]},
}


class FakeSpotify:
    def __init__(self) -> None:
        self.faults: set[str] = set()
        self.log: list[tuple[str, str, int]] = []
        self.tokens_issued = 0
        self._valid_tokens: set[str] = set()
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

    def expire_tokens(self) -> None:
        self._valid_tokens.clear()

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

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = urllib.parse.parse_qs(self.rfile.read(length).decode())
                expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if self.path != "/api/token" or form.get("grant_type") != ["client_credentials"]:
                    return self._reply(400, {"error": "unsupported_grant_type"})
                if self.headers.get("Authorization") != expected:
                    return self._reply(400, {"error": "invalid_client", "error_description": "Invalid client"})
                with fake._lock:
                    if "token_429_once" in fake.faults:
                        fake.faults.discard("token_429_once")
                        return self._reply(429, {"error": "rate_limited"}, {"Retry-After": "3"})
                    if "token_503_once" in fake.faults:
                        fake.faults.discard("token_503_once")
                        return self._reply(503, b"<html>Service Unavailable</html>")
                    fake.tokens_issued += 1
                    token = f"token-{fake.tokens_issued}"
                    fake._valid_tokens.add(token)
                return self._reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600})

            def do_GET(self):
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                if token not in fake._valid_tokens:
                    return self._reply(401, {"error": {"status": 401, "message": "The access token expired"}})
                with fake._lock:
                    if "429_once" in fake.faults:
                        fake.faults.discard("429_once")
                        return self._reply(429, {"error": {"status": 429, "message": "API rate limit exceeded"}},
                                           {"Retry-After": "2"})
                    if "503_once" in fake.faults:
                        fake.faults.discard("503_once")
                        return self._reply(503, {"error": {"status": 503, "message": "Service unavailable"}})
                    if "expire_once" in fake.faults:
                        fake.faults.discard("expire_once")
                        fake._valid_tokens.clear()
                        return self._reply(401, {"error": {"status": 401, "message": "The access token expired"}})
                parsed = urllib.parse.urlparse(self.path)
                query = urllib.parse.parse_qs(parsed.query)
                parts = parsed.path.strip("/").split("/")
                if parts[:2] == ["v1", "playlists"] and len(parts) == 4 and parts[3] == "tracks":
                    return self._reply(403, {"error": {"status": 403, "message": "Forbidden"}})
                if parts[:2] == ["v1", "playlists"] and len(parts) == 4 and parts[3] == "items":
                    entries = {PL_NEW: NEW_ENTRIES, PL_OLD: OLD_ENTRIES}.get(parts[2])
                    if entries is None:
                        return self._reply(404, {"error": {"status": 404, "message": "Resource not found"}})
                    limit = min(int(query.get("limit", ["2"])[0]), 2)
                    offset = int(query.get("offset", ["0"])[0])
                    if offset and "page_not_json_once" in fake.faults:
                        fake.faults.discard("page_not_json_once")
                        return self._reply(200, b"<html>upstream proxy page</html>")
                    if offset and "page_without_items" in fake.faults:
                        return self._reply(200, {"href": self.path, "next": None, "total": len(entries)})
                    page = entries[offset:offset + limit]
                    following = offset + limit
                    next_url = (f"{fake.url}/v1/playlists/{parts[2]}/items?offset={following}&limit={limit}"
                                if following < len(entries) else None)
                    return self._reply(200, {"items": page, "next": next_url, "offset": offset, "limit": limit,
                                             "total": len(entries)})
                if parts[:2] == ["v1", "artists"] and len(parts) == 3:
                    if "artists_500" in fake.faults:
                        return self._reply(500, {"error": {"status": 500, "message": "Server error"}})
                    artist = ARTISTS.get(parts[2])
                    if artist is None:
                        return self._reply(404, {"error": {"status": 404, "message": "Resource not found"}})
                    return self._reply(200, artist)
                return self._reply(404, {"error": {"status": 404, "message": "Service not found"}})

        return Handler
