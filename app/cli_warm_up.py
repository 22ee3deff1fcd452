"""What `cardsmith generate` needs only once answers come in, loaded while it waits for the first.

The first requests go out before the lint, the card history, rich's console and the code
language's syntax grammar are imported: a worker thread imports them as soon as a response has
begun, so that neither the first request nor the event loop waits for them.
"""

from __future__ import annotations

import importlib
import logging
import threading

from app.engine import events as ev

log = logging.getLogger(__name__)

LATER_WORK: tuple[str, ...] = (
    "app.core.lint",  # the first answer is linted
    "app.core.syntax",  # the lint's offline syntax check
    "app.core.history",  # a written card's version is recorded
    "rich.console",  # a terminal-less run prints its first line when a card is done
)

ANSWER_EVENTS = (ev.Thinking, ev.Delta)
"""A response has begun: its request reached the API, and the first answer is being awaited."""


class LaterWork:
    """``on_event`` for a run's events: the first answer event starts the warm-up thread."""

    def __init__(self, language: str | None) -> None:
        self._language = language
        self.thread: threading.Thread | None = None

    def on_event(self, event: object) -> None:
        if self.thread is None and isinstance(event, ANSWER_EVENTS):
            # Not a daemon: a run that ends meanwhile waits for the import rather than finalizing
            # the interpreter under it.
            self.thread = threading.Thread(target=self._load, name="cardsmith-later-work")
            self.thread.start()

    def _load(self) -> None:
        try:
            for name in LATER_WORK:
                importlib.import_module(name)
            if self._language:
                from app.core.syntax import prime_syntax

                prime_syntax(self._language)
        except Exception:  # first use imports again and reports a broken install there
            log.debug("loading the later work failed", exc_info=True)
