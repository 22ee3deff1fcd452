"""The engine's only retry policy (backoff, jitter, retry-after) and its adaptive concurrency.

The SDK's own retries are off (``max_retries=0``), so the policy here mirrors the SDK's defaults
(0.5 s x 2^n up to 8 s, retry-after up to 60 s) while keeping every attempt visible.
"""

from __future__ import annotations

import asyncio
import collections
import random
from dataclasses import dataclass
from types import TracebackType
from typing import Callable

from app.engine.provider import TRANSIENT_FAULTS, ProviderError


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry a card's request and how long to wait first."""

    max_attempts: int = 4
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")
        if self.base_delay_s < 0 or self.max_delay_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("delays must not be negative")

    def should_retry(self, error: ProviderError, attempt: int) -> bool:
        """Transient faults only, and only while attempts are left (``attempt`` has just failed)."""
        return error.kind in TRANSIENT_FAULTS and attempt < self.max_attempts

    def delay_for(self, attempt: int, error: ProviderError, rng: random.Random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        if error.retry_after_s is not None:
            # The server said how long; waiting less would just earn another 429, so jitter
            # only lengthens the wait (and spreads the cards that were told the same time).
            honoured = min(max(error.retry_after_s, 0.0), self.max_retry_after_s)
            return honoured * (1.0 + rng.uniform(0.0, self.jitter))
        backoff = min(self.base_delay_s * 2.0 ** max(attempt - 1, 0), self.max_delay_s)
        return backoff * rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)


ChangeCallback = Callable[[int, int, str], None]
"""Called with (limit, target, reason) whenever the limit changes."""


class AdaptiveLimit:
    """A FIFO concurrency limiter whose limit halves on 429 and grows back with successes.

    ``acquire()`` returns the halving generation at the time the slot was taken; passing it to
    ``on_rate_limited`` lets requests that were already in flight before the last halving report
    their 429 without halving again (one wave of 429s is one signal, not four).
    """

    def __init__(
        self,
        target: int,
        grow_after: int = 3,
        *,
        start: int | None = None,
        on_change: ChangeCallback | None = None,
    ) -> None:
        """``start``: begin below ``target`` and grow toward it with successes (None: at target)."""
        if target < 1:
            raise ValueError("the concurrency target must be at least 1")
        if grow_after < 1:
            raise ValueError("grow_after must be at least 1")
        if start is not None and start < 1:
            raise ValueError("the start concurrency must be at least 1")
        self._target = target
        self._limit = target if start is None else min(start, target)
        self._grow_after = grow_after
        self._on_change = on_change
        self._in_use = 0
        self._generation = 0
        self._successes = 0
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def target(self) -> int:
        return self._target

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    async def acquire(self) -> int:
        """Wait for a slot (first come, first served); returns the current generation."""
        if self._in_use < self._limit and not self._waiters:
            self._in_use += 1
            return self._generation
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                # The slot was handed over just as we were cancelled: pass it on.
                self.release()
            else:
                self._discard(waiter)
            raise
        return self._generation

    def release(self) -> None:
        if self._in_use <= 0:
            raise RuntimeError("release() without acquire()")
        self._in_use -= 1
        self._wake()

    async def __aenter__(self) -> int:
        return await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def on_rate_limited(self, generation: int | None = None, cause: str = "rate limited (429)") -> bool:
        """Halve the limit (min 1) unless this 429 (or 503 busy: ``cause``) belongs to a wave
        already reacted to.

        Returns True when the limit changed."""
        if generation is not None and generation < self._generation:
            return False
        self._successes = 0
        if self._limit <= 1:
            return False
        self._limit = max(1, self._limit // 2)
        self._generation += 1
        self._notify(f"{cause}: {self._limit} parallel requests")
        return True

    def on_success(self) -> bool:
        """Count a success; every ``grow_after`` of them raise the limit by one, up to the target.

        Returns True when the limit changed."""
        if self._limit >= self._target:
            self._successes = 0
            return False
        self._successes += 1
        if self._successes < self._grow_after:
            return False
        self._successes = 0
        self._limit += 1
        self._notify(f"recovering: {self._limit} parallel requests")
        self._wake()
        return True

    def _notify(self, reason: str) -> None:
        if self._on_change is not None:
            self._on_change(self._limit, self._target, reason)

    def _discard(self, waiter: asyncio.Future[None]) -> None:
        try:
            self._waiters.remove(waiter)
        except ValueError:
            pass

    def _wake(self) -> None:
        while self._waiters and self._in_use < self._limit:
            waiter = self._waiters.popleft()
            if waiter.done():
                continue
            self._in_use += 1
            waiter.set_result(None)
