"""The chat-completions stand-in on its own thread and loop, for tests and benchmarks that run
whole processes (``with ChatStandInThread() as api:`` then ``api.v1_url``)."""

from __future__ import annotations

from typing import Any

from tests.fakes.chat_completions import FakeChatCompletionsAPI
from tests.helpers.server_thread import StandInThread


class ChatStandInThread(StandInThread):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__()
        self.api = FakeChatCompletionsAPI(**kwargs)

    def __enter__(self) -> FakeChatCompletionsAPI:
        super().__enter__()
        return self.api  # type: ignore[return-value]
