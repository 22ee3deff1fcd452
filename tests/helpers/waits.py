"""Waiting on a condition instead of sleeping a fixed time, with a guard against a hang."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

HANG_GUARD_S = 60.0


def wait_until(predicate: Callable[[], bool], *, alive: Callable[[], bool] = lambda: True,
               timeout_s: float = HANG_GUARD_S) -> bool:
    """True once ``predicate`` holds. If ``alive`` says what is awaited has ended (a process
    exited), the predicate's last word instead. A timeout is a failure: the hang guard."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        if not alive():
            return predicate()
        time.sleep(0.005)
    raise AssertionError(f"hang guard: the awaited condition did not come within {timeout_s} s")


async def wait_until_async(predicate: Callable[[], bool], *, timeout_s: float = 5.0) -> None:
    """``wait_until`` for a coroutine: the event loop keeps running while it waits."""

    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout_s)
