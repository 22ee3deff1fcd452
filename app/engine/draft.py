"""A draft: one request for a plan (or for additions to one) through the same runner as every card,
with at most one follow-up that lists the answer's errors, and the plan text built from the answer.

Nothing here writes a file: the command line and the window decide where a draft goes.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace
from typing import Awaitable, Callable

from app.core.card import Finding
from app.core.draft_plan import Draft, DraftError, read_answer
from app.core.draft_prompt import DRAFT_JOB, build_draft_request, build_fix_request, supports_structured_output
from app.core.draft_render import Rendered, append_components, render_plan
from app.core.plan import Plan
from app.core.pricing import usage_cost_usd
from app.core.prompt import CardRequest
from app.core.states import CardState
from app.engine import events as ev
from app.engine.card_run import Job
from app.engine.follow_ups import FollowUp
from app.engine.progress import CardProgress
from app.engine.provider import FaultKind, Provider
from app.engine.roles import ROLE_DEFAULTS, Role, request_settings
from app.engine.runner import Runner, RunOptions

DRAFT_STALL_TIMEOUT_S = 300.0
"""A strong model may think for minutes before its first word, and its thinking may stream nothing."""


@dataclass(frozen=True)
class DraftSpec:
    """What to draft: a brief, for a new plan or (``existing``) for additions to one."""

    brief: str
    model: str = ROLE_DEFAULTS[Role.DRAFT].model
    language: str | None = None
    """The code language the writer asked for; None: the model chooses from the brief."""
    components: int | None = None
    """How many components to ask for; None: as many as the brief needs."""
    max_tokens: int = ROLE_DEFAULTS[Role.DRAFT].max_tokens
    fallback_title: str = "Untitled plan"
    existing: Plan | None = None
    existing_bytes: bytes = b""
    """The plan file's bytes ``existing`` was parsed from: additions go after them."""
    execution_model: str = field(default_factory=lambda: request_settings(Role.EXECUTE).model)
    """The model a new plan's front matter names for its cards."""

    @property
    def structured(self) -> bool:
        return supports_structured_output(self.model)

    @property
    def additions(self) -> bool:
        return self.existing is not None

    def request(self) -> CardRequest:
        existing = self.existing_bytes.decode("utf-8", errors="replace").removeprefix("\ufeff")
        return build_draft_request(
            self.brief, model=self.model, max_tokens=self.max_tokens, structured=self.structured,
            language=self.language, components=self.components,
            existing_plan=existing if self.additions else None,
        )


@dataclass(frozen=True)
class DraftResult:
    text: str = ""
    """The new plan, or (additions) the text to append to the plan's bytes; "" when there is none."""
    draft: Draft | None = None
    notes: tuple[str, ...] = ()
    """What was fixed by construction (names, fences, the language) and is worth saying."""
    errors: tuple[DraftError, ...] = ()
    """Errors the last answer still has: the draft is rejected."""
    raw: str = ""
    """The model's last answer (or, after a failure, what arrived of it)."""
    answers: int = 0
    fixed: bool = False
    """A follow-up was needed, and its answer is the draft."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    duration_s: float = 0.0
    model: str = ""
    failure: str = ""
    """Why no complete answer came (a fault, a refusal, max_tokens); "" otherwise."""
    failure_kind: FaultKind | None = None
    cancelled: bool = False

    @property
    def usable(self) -> bool:
        return self.draft is not None and not (self.errors or self.failure or self.cancelled)


EventSink = Callable[[ev.Event], "Awaitable[None] | None"]


def progress_text(card: CardProgress) -> str:
    """A draft's state in words, for the terminal's line and the dialog: a card's, except that
    its follow-up fixes plan errors (a card's repair fixes lint errors)."""
    if card.state is CardState.REPAIRING:
        return f"fixing its errors · {card.tokens} tok" if card.tokens else "asking for a fix of its errors"
    return card.label()


class Drafting:
    """``run()`` once; ``cancel()`` from the same loop at any time (nothing is kept of a cancelled
    draft but what it reported as events)."""

    def __init__(
        self,
        spec: DraftSpec,
        provider: Provider,
        on_event: EventSink | None = None,
        *,
        stall_timeout_s: float = DRAFT_STALL_TIMEOUT_S,
        max_attempts: int = 4,
        fixes: int = 1,
    ) -> None:
        self.spec = spec
        self._provider = provider
        self._on_event = on_event
        self._options = RunOptions(concurrency=1, max_attempts=max_attempts, stall_timeout_s=stall_timeout_s)
        self._fixes = fixes
        self._runner: Runner | None = None
        self._cancel_requested = False
        self._partial: list[str] = []
        self._terminal: ev.TerminalEvent | None = None

    def cancel(self) -> None:
        self._cancel_requested = True
        if self._runner is not None:
            self._runner.cancel()

    async def run(self) -> DraftResult:
        job = Job(DRAFT_JOB, self.spec.request())
        follow_up = self._follow_up if self._fixes > 0 else None
        self._runner = Runner(self._provider, [job], self._options, self._forward,
                              cost_fn=usage_cost_usd, follow_up=follow_up)
        if self._cancel_requested:
            self._runner.cancel()
        await self._runner.run()
        return self._result()

    async def _forward(self, event: ev.Event) -> None:
        if isinstance(event, ev.Started):
            self._partial = []
        elif isinstance(event, ev.Delta):
            self._partial.append(event.text)
        elif isinstance(event, ev.TERMINAL_EVENTS):
            self._terminal = event  # type: ignore[assignment]
        if self._on_event is not None:
            result = self._on_event(event)
            if inspect.isawaitable(result):
                await result

    def _follow_up(self, job: Job, request: CardRequest, answer: str, done_so_far: int) -> FollowUp | None:
        if done_so_far >= self._fixes:
            return None
        reading = read_answer(answer, structured=self.spec.structured, additions=self.spec.additions)
        if not reading.errors:
            return None
        findings = tuple(Finding("plan", "error", e.message, e.line) for e in reading.errors)
        return FollowUp(build_fix_request(request, answer, reading.errors), findings)

    def _result(self) -> DraftResult:
        event = self._terminal
        if isinstance(event, ev.Done):
            return self._finish(event)
        partial = "".join(self._partial)
        if isinstance(event, ev.Failed):
            return DraftResult(raw=partial, failure=event.reason, failure_kind=event.kind)
        if isinstance(event, ev.NotRun):
            stopped = self._runner.stopped if self._runner is not None else None
            return DraftResult(raw=partial, failure=event.reason, failure_kind=stopped.kind if stopped else None)
        return DraftResult(raw=partial, cancelled=True)

    def _finish(self, done: ev.Done) -> DraftResult:
        spec = self.spec
        answers = done.answers or (done.text,)
        base = DraftResult(
            raw=answers[-1], answers=len(answers), input_tokens=done.input_tokens,
            output_tokens=done.output_tokens, cost_usd=done.cost_usd, duration_s=done.duration_s,
            model=done.model,
        )
        reading = read_answer(answers[-1], structured=spec.structured, additions=spec.additions)
        if reading.draft is None:
            return replace(base, errors=reading.errors)
        rendered: Rendered
        if spec.existing is not None:
            rendered = append_components(spec.existing_bytes, spec.existing, reading.draft)
        else:
            rendered = render_plan(reading.draft, model=spec.execution_model, language=spec.language,
                                   fallback_title=spec.fallback_title)
        if rendered.errors:
            return replace(base, errors=rendered.errors)
        notes = list(reading.notes + rendered.notes)
        drafted = len(reading.draft.components)
        if spec.components is not None and drafted != spec.components:
            notes.append(f"{spec.components} components were asked for; the draft has {drafted}")
        return replace(base, text=rendered.text, draft=rendered.draft, notes=tuple(notes),
                       fixed=len(answers) > 1)
