"""Holds a run's other requests until its first one's response has begun.

A prompt cache entry can be read only once the response of the request that writes it has begun:
requests sent together would each write the same prefix (and each pay the write). A run whose
requests share a cacheable prefix sends its first one alone and releases the rest as soon as that
response has begun, or as soon as that attempt ends in any way, so a fault never holds a run up.
"""

from __future__ import annotations

import asyncio


class FirstResponseGate:
    """``wait_turn(job)`` returns at once for the leader (or when the gate is off), and for every
    other job once ``open()`` has been called."""

    def __init__(self, leader: object | None) -> None:
        self._leader = leader
        self._open = asyncio.Event()
        if leader is None:
            self._open.set()

    @property
    def is_open(self) -> bool:
        return self._open.is_set()

    async def wait_turn(self, job: object) -> None:
        if job is not self._leader and not self._open.is_set():
            await self._open.wait()

    def open(self) -> None:
        self._open.set()
