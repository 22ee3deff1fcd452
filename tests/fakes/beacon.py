"""A tiny HTTP server on 127.0.0.1 that counts every request it receives: the "remote" host of hostile cards.

A preview that stays inert never reaches it; ``hits`` holds the path of every request that did.
It answers every GET with a 1x1 PNG (so an ``<img>`` that gets through really loads) and also
serves ``/_fake/beacon/<what>`` like the Messages API stand-in, so ``tests.fakes.cards.hostile_card``
can point at ``beacon.base_url``.
"""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def _count(self) -> None:
        self.server.beacon.record(f"{self.command} {self.path}")

    def _answer(self) -> None:
        self._count()
        # Drain a request body (a submitted form) so the client sees a clean answer.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(_PNG_1X1)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(_PNG_1X1)

    do_GET = do_POST = do_HEAD = do_PUT = do_OPTIONS = _answer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        # Tests read hits, not stderr.
        return


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, beacon: "Beacon") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.beacon = beacon


class Beacon:
    """``with Beacon() as beacon:`` serves on 127.0.0.1 (a free port) until the block ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: list[str] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self) -> "Beacon":
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="beacon", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "Beacon":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def url(self, what: str) -> str:
        """An absolute URL on the beacon, e.g. ``url("img.png")`` -> ``http://127.0.0.1:N/img.png``."""
        return f"{self.base_url}/{what.lstrip('/')}"

    def record(self, hit: str) -> None:
        with self._lock:
            self._hits.append(hit)

    @property
    def hits(self) -> list[str]:
        """``"METHOD /path"`` of every request received since the last ``reset``."""
        with self._lock:
            return list(self._hits)

    @property
    def count(self) -> int:
        with self._lock:
            return len(self._hits)

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()
