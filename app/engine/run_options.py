"""The knobs of one run of the runner (``app.engine.runner``)."""

from __future__ import annotations

from dataclasses import dataclass

from app.engine.retry import RetryPolicy
from app.errors import UsageError


@dataclass(frozen=True)
class RunOptions:
    """Knobs of one run. ``max_attempts`` wins over ``policy.max_attempts`` (it is the user's
    ``--max-attempts``); the policy supplies the delays."""

    concurrency: int = 4
    max_attempts: int = 4
    stall_timeout_s: float = 60.0
    policy: RetryPolicy | None = None
    seed: int | None = None
    grow_after: int = 3
    """Successes needed to raise a lowered concurrency by one."""
    start_concurrency: int | None = None
    """Start below ``concurrency`` (e.g. within the account's rate limits) and grow toward it
    with successes, as after a 429; None: start at ``concurrency``."""
    start_reason: str = ""
    """Why the run starts below ``concurrency`` (shown once, as a ``ConcurrencyChanged``)."""
    first_alone: bool = False
    """Send the first job alone and hold the others until its response has begun (so that
    they can read a prompt cache it writes; ``app.engine.first_response``)."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise UsageError(f"concurrency must be at least 1 (got {self.concurrency})")
        if self.max_attempts < 1:
            raise UsageError(f"max attempts must be at least 1 (got {self.max_attempts})")
        if not self.stall_timeout_s > 0:
            raise UsageError(f"stall timeout must be more than 0 s (got {self.stall_timeout_s})")
        if self.grow_after < 1:
            raise UsageError(f"grow_after must be at least 1 (got {self.grow_after})")
        if self.start_concurrency is not None and self.start_concurrency < 1:
            raise UsageError(f"start concurrency must be at least 1 (got {self.start_concurrency})")
