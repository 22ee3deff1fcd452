"""The runner's "first request alone" option and its start below the plan's concurrency: the
other jobs wait until the first response has begun (whatever the role), so that they read the
prompt cache it writes; against the stand-in, that is 1 write and 7 reads instead of 8 writes."""

from __future__ import annotations

from typing import AsyncIterator

from app.core.prompt import CardRequest
from app.engine.card_run import Job
from app.engine.events import ConcurrencyChanged, Done
from app.engine.provider import FaultKind, ProviderError, StreamChunk
from app.engine.providers.anthropic import AnthropicProvider
from app.engine.runner import Runner, RunOptions
from tests.engine.test_runner import Recorder, names_of, run_jobs
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.scripted_provider import ScriptedProvider, thinking

SHARED = "Code language: typescript\n\n" + "The shared context of every card in the plan. " * 80


class FirstChunkWatch:
    """Wraps a provider; notes, as each stream opens, whether the leader has yielded anything."""

    def __init__(self, inner: ScriptedProvider, leader: str) -> None:
        self.inner, self.leader, self.name = inner, leader, "watch"
        self.leader_began = False
        self.opened: list[tuple[str, bool]] = []

    def stream(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        self.opened.append((request.component, self.leader_began))
        return self._watch(request)

    async def _watch(self, request: CardRequest) -> AsyncIterator[StreamChunk]:
        async for chunk in self.inner.stream(request):
            if request.component == self.leader:
                self.leader_began = True
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


async def test_the_others_open_only_once_the_first_response_has_begun() -> None:
    names = names_of(5)
    inner = ScriptedProvider(chunk_delay_s=0.01).script(names[0], thinking(3))
    watch = FirstChunkWatch(inner, names[0])
    totals, _ = await run_jobs(watch, names, concurrency=5, first_alone=True)
    assert totals.done == 5
    assert watch.opened[0] == (names[0], False)
    assert sorted(n for n, _ in watch.opened[1:]) == names[1:]
    assert all(began for _, began in watch.opened[1:])


async def test_without_the_option_every_job_opens_at_once() -> None:
    names = names_of(5)
    inner = ScriptedProvider(chunk_delay_s=0.01).script(names[0], thinking(3))
    watch = FirstChunkWatch(inner, names[0])
    await run_jobs(watch, names, concurrency=5)
    assert not any(began for _, began in watch.opened[1:])
    assert inner.peak_streams == 5


async def test_a_first_attempt_that_fails_releases_the_others() -> None:
    names = names_of(4)
    fault = ProviderError(FaultKind.OVERLOADED, "overloaded (529)")
    inner = ScriptedProvider().script(names[0], fault)
    watch = FirstChunkWatch(inner, names[0])
    totals, _ = await run_jobs(watch, names, concurrency=4, first_alone=True)
    assert totals.done == 4
    # Released by the fault: they went out before the leader's retry answered anything.
    assert [n for n, _ in watch.opened[:1]] == [names[0]] and len(inner.calls_for(names[0])) == 2
    assert not all(began for _, began in watch.opened[1:4])


async def test_a_run_can_start_below_its_concurrency_and_says_why() -> None:
    names = names_of(6)
    inner = ScriptedProvider(chunk_delay_s=0.005)
    totals, rec = await run_jobs(inner, names, concurrency=4, start_concurrency=1, start_reason="why not")
    assert totals.done == 6
    first = rec.of(ConcurrencyChanged)[0]
    assert (first.limit, first.target, first.reason) == (1, 4, "why not")
    assert [c.open_at_start for c in inner.calls[:3]] == [1, 1, 1]  # then it grows by successes


def marked_job(name: str) -> Job:
    request = CardRequest(
        component=name,
        model="claude-haiku-5-5",
        system=SHARED,
        messages=(("user", f"Component: {name}\n\nInstruction:\nShow it."),),
        max_tokens=3024,
        thinking="adaptive",
        effort="low",
        headroom=2000,
        cache_system=True,
    )
    return Job(name, request)


async def run_marked(first_alone: bool) -> list[Done]:
    async with FakeMessagesAPI(ttfb_s=0.2) as api:
        provider = AnthropicProvider(api_key="k", base_url=api.base_url)
        rec = Recorder()
        jobs = [marked_job(n) for n in names_of(8)]
        try:
            await Runner(provider, jobs, RunOptions(concurrency=8, first_alone=first_alone), rec).run()
        finally:
            await provider.aclose()
    return rec.of(Done)


async def test_against_the_stand_in_the_wait_turns_eight_writes_into_one_and_seven_reads() -> None:
    alone = await run_marked(True)
    assert sorted(d.cache_write_tokens > 0 for d in alone) == [False] * 7 + [True]
    assert sum(d.cache_read_tokens > 0 for d in alone) == 7
    together = await run_marked(False)
    assert all(d.cache_write_tokens > 0 and d.cache_read_tokens == 0 for d in together)
    assert len(together) == 8
