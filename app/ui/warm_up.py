"""Getting ready for a run off the event loop: the code language's highlighting and syntax grammar,
and what the run's provider imports (the Anthropic SDK: ~1.6 s), in a thread started on a hint."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.engine.provider_config import ProviderKind

log = logging.getLogger(__name__)

_warmed: set[str] = set()
"""What a warm-up has done or is doing: "provider:<kind>", "language:<name>"."""


def warm_up(language: str | None = None, kind: ProviderKind | None = None) -> threading.Thread | None:
    """Get ready for a run in a thread: Pygments' lexer and the syntax grammar for ``language``
    (~25 ms), then what the provider of ``kind`` asks to preload (the Anthropic SDK: ~1.6 s), so
    that none of it happens on the event loop while cards stream in. Call it on a hint of a run
    and when one starts; returns the thread, or None when everything asked for is done or under
    way.

    Not a daemon: quitting meanwhile waits for the import to end rather than finalizing the
    interpreter under it (which has crashed). ``kind`` None: the default provider."""
    from app.engine.provider_config import DEFAULT_KIND, preload

    kind = kind or DEFAULT_KIND
    provider_item = f"provider:{kind.value}"
    wanted = {provider_item} | ({f"language:{language}"} if language else set())
    todo = wanted - _warmed
    if not todo:
        return None
    _warmed.update(todo)

    def target() -> None:
        try:
            if language and f"language:{language}" in todo:
                from app.core.render import prime_highlighting
                from app.core.syntax import prime_syntax

                prime_highlighting(language)
                prime_syntax(language)
            if provider_item in todo:
                preload(kind)
        except Exception:  # the run itself reports a broken install, with context
            log.debug("warming up failed", exc_info=True)

    thread = threading.Thread(target=target, name="cardsmith-warm-up")
    thread.start()
    return thread
