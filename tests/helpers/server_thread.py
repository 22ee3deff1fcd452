"""The Messages API stand-in serving from a thread of its own: a test, a command line in a worker
thread, a real process and a window all reach it alike, over 127.0.0.1.

Tests take it from the ``stand_in`` and ``api`` fixtures (tests/conftest.py); ``StandInThread`` is
for code that needs one outside a test function.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from tests.fakes.messages_api import FakeMessagesAPI, RequestRecord

KEY = "sk-ant-test-canary-0123456789"
"""The key the ``api`` fixture puts in ANTHROPIC_API_KEY: a canary no output may show."""


class ServedStandIn(FakeMessagesAPI):
    """The stand-in, served on its own thread's loop. Scripting it and reading its records are plain
    attribute work, safe from any thread; ``pause`` and ``resume`` reach its loop safely from any
    thread too (its ``asyncio.Event`` may only be set from that loop)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, **options: Any) -> None:
        super().__init__(**options)
        self._loop = loop

    def pause(self) -> None:
        self._on_loop(super().pause)

    def resume(self) -> None:
        self._on_loop(super().resume)

    def _on_loop(self, call: Callable[[], None]) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:  # a request handler of the stand-in itself (/_fake/pause)
            call()
            return

        async def on_loop() -> None:
            call()

        asyncio.run_coroutine_threadsafe(on_loop(), self._loop).result(timeout=10)


class StandInThread:
    """``with StandInThread(mode="good") as api: ...`` serves on 127.0.0.1 until the block ends;
    the options are ``FakeMessagesAPI``'s."""

    def __init__(self, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self.api = ServedStandIn(self._loop, **options)
        self._thread = threading.Thread(target=self._loop.run_forever, name="stand-in", daemon=True)

    def __enter__(self) -> ServedStandIn:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.api.start(), self._loop).result(timeout=10)
        return self.api

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


StandIn = Callable[..., ServedStandIn]
"""The ``stand_in`` fixture's type: ``stand_in(api_key=None, **options)``."""


def message_requests(api: FakeMessagesAPI, since: int = 0) -> list[RequestRecord]:
    """The /v1/messages requests the stand-in received (from the ``since``-th record on)."""
    return [r for r in api.records[since:] if r.path == "/v1/messages"]
