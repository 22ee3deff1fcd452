"""The stand-in's prompt cache, with the documented rules: the prefix is everything up to the
last block marked ``cache_control`` (system blocks, then message blocks); below the model's
minimum nothing is cached; an entry can be read only after its writer's response has begun
(requests sent together each write it); it lives 5 minutes, refreshed by every read."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

TTL_S = 300.0


def _blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def cached_prefix(body: dict[str, Any]) -> str | None:
    """The text a cache entry would hold: through the last marked block; None if none is marked."""
    blocks = _blocks(body.get("system", ""))
    for message in body.get("messages") or []:
        if isinstance(message, dict):
            blocks += _blocks(message.get("content", ""))
    marked = [i for i, b in enumerate(blocks) if b.get("cache_control")]
    if not marked:
        return None
    return "".join(str(b.get("text", "")) for b in blocks[: marked[-1] + 1])


@dataclass
class _Entry:
    readable_at: float | None = None
    """When its writer's response began; None while no writer's has."""
    expires_at: float = math.inf


@dataclass
class CacheUse:
    """What one request did with the cache: tokens read or written (0 and 0: not cached)."""

    read: int = 0
    write: int = 0
    entry: _Entry | None = field(default=None, repr=False)


class PromptCache:
    def __init__(
        self,
        min_tokens: Callable[[str], int | None],
        count: Callable[[str, str], int],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._min_tokens = min_tokens
        self._count = count
        self._clock = clock
        self._entries: dict[str, _Entry] = {}

    def use(self, model: str, body: dict[str, Any]) -> CacheUse:
        prefix = cached_prefix(body)
        minimum = self._min_tokens(model)
        if prefix is None or minimum is None or self._count(model, prefix) < minimum:
            return CacheUse()
        tokens = self._count(model, prefix)
        key = hashlib.sha256(f"{model}\0{prefix}".encode()).hexdigest()
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and entry.readable_at is not None and now < entry.expires_at:
            entry.expires_at = now + TTL_S
            return CacheUse(read=tokens)
        if entry is None or now >= entry.expires_at:
            entry = self._entries[key] = _Entry()
        return CacheUse(write=tokens, entry=entry)

    def clear(self) -> None:
        """Forget every entry (a benchmark's runs each start cold)."""
        self._entries.clear()

    def began(self, use: CacheUse) -> None:
        """The writer's response has begun: from now on its entry can be read."""
        entry = use.entry
        if entry is not None and entry.readable_at is None:
            entry.readable_at = self._clock()
            entry.expires_at = entry.readable_at + TTL_S
