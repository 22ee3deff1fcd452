"""Tests of the retry policy (which faults, how long to wait) and the adaptive concurrency limit."""

from __future__ import annotations

import asyncio
import random

import pytest

from app.engine.provider import TRANSIENT_FAULTS, FaultKind, ProviderError
from app.engine.retry import AdaptiveLimit, RetryPolicy


def err(kind: FaultKind, retry_after_s: float | None = None) -> ProviderError:
    return ProviderError(kind, f"{kind.value} happened", retry_after_s=retry_after_s)


# -- RetryPolicy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(TRANSIENT_FAULTS, key=lambda k: k.value))
def test_transient_kinds_are_retried_while_attempts_are_left(kind: FaultKind) -> None:
    policy = RetryPolicy(max_attempts=3)
    assert policy.should_retry(err(kind), 1)
    assert policy.should_retry(err(kind), 2)
    assert not policy.should_retry(err(kind), 3)


@pytest.mark.parametrize(
    "kind", sorted(set(FaultKind) - TRANSIENT_FAULTS, key=lambda k: k.value)
)
def test_permanent_kinds_are_never_retried(kind: FaultKind) -> None:
    assert not RetryPolicy(max_attempts=10).should_retry(err(kind), 1)


def test_backoff_doubles_and_is_capped_without_jitter() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=8.0, jitter=0.0)
    rng = random.Random(1)
    delays = [policy.delay_for(n, err(FaultKind.SERVER_ERROR), rng) for n in range(1, 8)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_jitter_stays_within_its_band() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=100.0, jitter=0.25)
    rng = random.Random(7)
    for attempt in (1, 2, 3):
        nominal = 2.0 ** (attempt - 1)
        samples = [policy.delay_for(attempt, err(FaultKind.OVERLOADED), rng) for _ in range(200)]
        assert all(nominal * 0.75 <= s <= nominal * 1.25 for s in samples)
        assert max(samples) - min(samples) > 0.1 * nominal  # jitter really spreads the waits


def test_retry_after_is_honoured_and_never_shortened() -> None:
    policy = RetryPolicy(jitter=0.25)
    rng = random.Random(3)
    samples = [policy.delay_for(1, err(FaultKind.RATE_LIMITED, 12.0), rng) for _ in range(200)]
    assert all(12.0 <= s <= 15.0 for s in samples)
    # retry-after wins over the backoff cap
    assert min(samples) > policy.max_delay_s


def test_retry_after_is_capped() -> None:
    policy = RetryPolicy(max_retry_after_s=60.0, jitter=0.0)
    assert policy.delay_for(1, err(FaultKind.RATE_LIMITED, 3600.0), random.Random(0)) == 60.0


def test_seeded_rng_gives_the_same_delays() -> None:
    policy = RetryPolicy()
    a = [policy.delay_for(n, err(FaultKind.TIMEOUT), random.Random(42)) for n in (1, 2, 3)]
    b = [policy.delay_for(n, err(FaultKind.TIMEOUT), random.Random(42)) for n in (1, 2, 3)]
    assert a == b


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(jitter=1.5)


# -- AdaptiveLimit --------------------------------------------------------------------------------


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_limit_blocks_beyond_the_limit_and_serves_in_order() -> None:
    limit = AdaptiveLimit(2)
    await limit.acquire()
    await limit.acquire()
    order: list[str] = []

    async def take(name: str) -> None:
        await limit.acquire()
        order.append(name)

    tasks = [asyncio.create_task(take(n)) for n in ("a", "b")]
    await settle()
    assert order == [] and limit.in_use == 2 and limit.waiting == 2
    limit.release()
    await settle()
    assert order == ["a"]
    limit.release()
    await settle()
    assert order == ["a", "b"]
    await asyncio.gather(*tasks)


async def test_halving_is_once_per_wave_and_reported() -> None:
    changes: list[tuple[int, int, str]] = []
    limit = AdaptiveLimit(8, on_change=lambda *c: changes.append(c))
    generations = [await limit.acquire() for _ in range(4)]
    assert set(generations) == {0}
    assert limit.on_rate_limited(generations[0])
    # the other three requests of the same wave do not halve again
    assert not any(limit.on_rate_limited(g) for g in generations[1:])
    assert limit.limit == 4
    for _ in range(4):
        limit.release()
    fresh = await limit.acquire()
    assert fresh == 1
    assert limit.on_rate_limited(fresh)
    assert limit.limit == 2
    assert [c[:2] for c in changes] == [(4, 8), (2, 8)]
    assert all("429" in c[2] for c in changes)


async def test_limit_never_drops_below_one() -> None:
    limit = AdaptiveLimit(2)
    assert limit.on_rate_limited()
    assert limit.limit == 1
    assert not limit.on_rate_limited()
    assert limit.limit == 1


async def test_lowered_limit_holds_back_new_requests() -> None:
    limit = AdaptiveLimit(4)
    for _ in range(4):
        await limit.acquire()
    limit.on_rate_limited()  # limit 2 with 4 in flight
    waiter = asyncio.create_task(limit.acquire())
    limit.release()
    limit.release()
    await settle()
    assert not waiter.done()  # 2 still in flight == limit
    limit.release()
    await settle()
    assert waiter.done()
    assert limit.in_use == 2


async def test_success_grows_back_to_target_and_wakes_waiters() -> None:
    changes: list[tuple[int, int, str]] = []
    limit = AdaptiveLimit(4, grow_after=3, on_change=lambda *c: changes.append(c))
    limit.on_rate_limited()
    limit.on_rate_limited()
    assert limit.limit == 1
    await limit.acquire()
    waiter = asyncio.create_task(limit.acquire())
    await settle()
    assert not waiter.done()
    grew = [limit.on_success() for _ in range(3)]
    assert grew == [False, False, True]
    await settle()
    assert waiter.done() and limit.limit == 2
    for _ in range(6):
        limit.on_success()
    assert limit.limit == 4
    for _ in range(10):
        assert not limit.on_success()
    assert limit.limit == 4
    assert [c[0] for c in changes] == [2, 1, 2, 3, 4]


async def test_a_429_resets_the_success_count() -> None:
    limit = AdaptiveLimit(4, grow_after=3)
    limit.on_rate_limited()
    limit.on_success()
    limit.on_success()
    limit.on_rate_limited()
    assert limit.limit == 1
    limit.on_success()
    limit.on_success()
    assert limit.limit == 1
    limit.on_success()
    assert limit.limit == 2


async def test_cancelled_waiter_does_not_leak_a_slot() -> None:
    limit = AdaptiveLimit(1)
    await limit.acquire()
    waiter = asyncio.create_task(limit.acquire())
    await settle()
    waiter.cancel()
    await settle()
    limit.release()
    assert limit.in_use == 0
    assert await limit.acquire() == 0
    assert limit.in_use == 1


async def test_waiter_cancelled_after_being_handed_the_slot_passes_it_on() -> None:
    limit = AdaptiveLimit(1)
    await limit.acquire()
    first = asyncio.create_task(limit.acquire())
    second = asyncio.create_task(limit.acquire())
    await settle()
    limit.release()  # hands the slot to `first`...
    first.cancel()  # ...which is cancelled before it could resume
    await settle()
    assert first.cancelled()
    assert second.done() and limit.in_use == 1


async def test_context_manager_releases() -> None:
    limit = AdaptiveLimit(1)
    async with limit as generation:
        assert generation == 0 and limit.in_use == 1
    assert limit.in_use == 0
