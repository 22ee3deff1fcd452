"""The Messages API stand-in on its own thread and loop, for tests that run a whole process."""

from __future__ import annotations

import asyncio
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from tests.fakes.messages_api import FakeMessagesAPI


class StandInThread:
    """``with StandInThread(mode="good") as api: ...`` serves on 127.0.0.1 until the block ends.

    Scripting (``api.script``) before a run and reading ``api.records`` after it are plain
    attribute work, safe from the test's thread while the server's thread is idle or serving.
    """

    def __init__(self, **kwargs: Any) -> None:
        self.api = FakeMessagesAPI(**kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="stand-in", daemon=True)

    def __enter__(self) -> FakeMessagesAPI:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.api.start(), self._loop).result(timeout=10)
        return self.api

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@contextmanager
def serving_cli(monkeypatch: Any, key: str, **kwargs: Any) -> Iterator[FakeMessagesAPI]:
    """A stand-in that the command line (the SDK) reaches through its environment variables."""
    with StandInThread(**kwargs) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", key)
        yield fake
