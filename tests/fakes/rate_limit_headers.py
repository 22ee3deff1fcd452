"""The ``anthropic-ratelimit-*`` headers the stand-in sends: the account's per-minute limits and
what is left of them over the last minute. Input counts only uncached tokens (cache reads do not
count); output is reserved from ``max_tokens`` when a request starts. Nothing is enforced here
(``max_open_streams_before_429`` is the stand-in's 429)."""

from __future__ import annotations

import datetime as _dt
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

WINDOW_S = 60.0


@dataclass(frozen=True)
class Limits:
    """Per minute. The defaults are a large account's, so that a run is not slowed by them unless
    a test (or ``--rate-limits``) asks for a small one."""

    requests: int = 4_000
    input_tokens: int = 2_000_000
    output_tokens: int = 400_000


class RateLimitBook:
    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or Limits()
        self._clock = clock
        self._charges: deque[tuple[float, int, int]] = deque()

    def charge(self, input_tokens: int, output_reserved: int) -> dict[str, str]:
        """Count one request and return the headers its response carries."""
        now = self._clock()
        while self._charges and self._charges[0][0] <= now - WINDOW_S:
            self._charges.popleft()
        self._charges.append((now, input_tokens, output_reserved))
        oldest = self._charges[0][0]
        reset = (_dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=oldest + WINDOW_S - now))
        reset_text = reset.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        used = {
            "requests": len(self._charges),
            "input-tokens": sum(c[1] for c in self._charges),
            "output-tokens": sum(c[2] for c in self._charges),
        }
        limit = {
            "requests": self.limits.requests,
            "input-tokens": self.limits.input_tokens,
            "output-tokens": self.limits.output_tokens,
        }
        headers: dict[str, str] = {}
        for name, value in limit.items():
            headers[f"anthropic-ratelimit-{name}-limit"] = str(value)
            headers[f"anthropic-ratelimit-{name}-remaining"] = str(max(0, value - used[name]))
            headers[f"anthropic-ratelimit-{name}-reset"] = reset_text
        return headers
