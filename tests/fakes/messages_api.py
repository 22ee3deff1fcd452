"""A local stand-in for the Anthropic Messages API: real HTTP and server-sent events, scripted faults.

The official SDK is pointed at it through ``base_url`` (or ``ANTHROPIC_BASE_URL``). Each request is
identified by the component named on the first line of its last user message
(``Component: <name>``); a script says what that component's 1st, 2nd, ... request gets: a card
(good, hostile, broken, wrapped, cut; ``thinking``: a good one after a thinking block, as a model
with adaptive thinking sends it) or a fault (an HTTP error, an ``error`` event, a dropped
connection, a stall, a stream without ``message_stop``). Every request is recorded.

The ``broken_then_repair`` step answers a contract-breaking card, except to a genuine repair
request: one whose conversation carries the stand-in's previous answer to that component as an
assistant turn, followed by a user turn naming the broken rules' ids (``[code-lines]``,
``[why-section]``). Only then does it answer a good card, so a test proves what a repair carries.

Each model behaves as documented (``model_rules``): an unknown id is a 404; the 5.x models think
before their text (tokens by effort, counted against ``max_tokens``) and reject sampling
parameters, prefill and ``thinking.type: enabled`` with a 400; Haiku 4.5 rejects adaptive
thinking and effort. A marked prefix is cached (``prompt_cache``) and every answer carries the
``anthropic-ratelimit-*`` headers (``rate_limit_headers``); ``answers`` puts these together.
"""

from __future__ import annotations

import asyncio
import base64
import email.utils
import itertools
import json
import math
import random
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from aiohttp import web

from tests.fakes import cards, model_rules
from tests.fakes.answers import Answer, plan_answer
from tests.fakes.batches_api import FakeBatches
from tests.fakes.drafts import DRAFT_COMPONENT, DraftDesk
from tests.fakes.prompt_cache import PromptCache
from tests.fakes.rate_limit_headers import Limits, RateLimitBook

# Kinds that answer with a 200 event stream (some of them break it on purpose).
STREAM_KINDS = frozenset(
    {
        "good",
        "hostile",
        "broken",
        "wrapped",
        "error_event",
        "drop",
        "stall",
        "no_stop",
        "max_tokens",
        "refusal",
        "broken_then_repair",
        "thinking",
    }
)
# Kinds that answer with an HTTP error; any "http_NNN" is accepted too.
ERROR_KINDS = frozenset({"spend_limit"})
BATCH_ONLY_KINDS = frozenset({"expired", "canceled"})
"""Results only a batch request can get (``tests/fakes/batches_api.py``)."""
TRANSIENT_FAULT_KINDS: tuple[str, ...] = (
    "http_429",
    "http_529",
    "http_500",
    "error_event",
    "drop",
    "no_stop",
)
"""Faults that ``fault_rate`` picks from; "stall" is left out because it holds until the client's
stall timeout (a minute by default), which makes a demo look hung."""

_HTTP_KIND = re.compile(r"^http_(\d{3})$")
_BUDGETED_KINDS = frozenset({"good", "hostile", "broken", "wrapped", "thinking"})
"""Steps whose generated card is cut where a thinking model's ``max_tokens`` runs out."""

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}
_ERROR_MESSAGES = {
    400: "max_tokens: 999999 > 64000, which is the maximum allowed number of output tokens for {model}",
    401: "invalid x-api-key",
    402: "Your credit balance is too low to access the Anthropic API.",
    403: "Your API key does not have permission to use the specified resource.",
    404: "model: {model}",
    408: "Request timed out.",
    409: "Conflict.",
    413: "Request exceeds the maximum allowed number of bytes.",
    429: "This request would exceed the rate limit for your organization of 50 requests per minute.",
    500: "Internal server error",
    503: "Service unavailable",
    504: "Request timed out.",
    529: "Overloaded",
}
SPEND_LIMIT_CODE = "enforced_spend_limit_reached"
SPEND_LIMIT_MESSAGE = (
    "You have reached your organization's enforced spend limit for this month; "
    "you will regain access on the 1st at 00:00 UTC."
)
CONCURRENCY_MESSAGE = "Number of concurrent connections has exceeded your rate limit. Please try again later."

THINKING_TEXT = "Thinking it over (THINKING-7f3a): which part of {component} needs the code?"
"""What the ``thinking`` step streams in its thinking block: a card must never contain it."""
THINKING_SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1mYWtl"

_PNG_1X1 = base64.b64decode(cards.DATA_PNG.split(",", 1)[1])
_COMPONENT_LINE = re.compile(r"^\s*Component:\s*(.+?)\s*$", re.MULTILINE)
_LANGUAGE_LINE = re.compile(r"^\s*Code language:\s*(.+?)\s*$", re.MULTILINE)
REPAIR_IDS: tuple[str, ...] = ("[code-lines]", "[why-section]")
"""The ids of the error rules ``cards.broken_card`` breaks, as a repair request must name them."""


@dataclass(frozen=True)
class Step:
    """What one request gets. ``kind`` is one of the step names (or ``http_NNN``)."""

    kind: str
    text: str | None = None
    """Card text to stream instead of the generated one (stream kinds only)."""
    retry_after_s: float | None = None
    """Send ``retry-after``/``retry-after-ms`` with this value (429s default to the server's)."""
    retry_after_header: str | None = None
    """A raw ``retry-after`` value (e.g. an HTTP date), sent without ``retry-after-ms``."""
    error_type: str | None = None
    """Override the error body's ``type`` (HTTP errors and ``error_event``)."""
    message: str | None = None
    """Override the error body's ``message``."""
    after_chunks: int = 3
    """Deltas sent before ``drop``, ``stall`` or ``error_event`` strike."""
    ttft_s: float | None = None
    tokens_per_s: float | None = None

    def __post_init__(self) -> None:
        known = STREAM_KINDS | ERROR_KINDS | BATCH_ONLY_KINDS
        if self.kind not in known and not _HTTP_KIND.match(self.kind):
            raise ValueError(f"unknown fake step {self.kind!r}")

    @property
    def status(self) -> int:
        """The HTTP status this step answers with."""
        m = _HTTP_KIND.match(self.kind)
        if m:
            return int(m.group(1))
        return 429 if self.kind == "spend_limit" else 200


def as_step(step: str | Step) -> Step:
    return step if isinstance(step, Step) else Step(step)


@dataclass
class RequestRecord:
    """One request as the stand-in saw it."""

    t: float
    """Monotonic seconds since ``start()``."""
    component: str
    attempt: int
    """1-based per component, counting every /v1/messages request (0 for count_tokens)."""
    path: str
    open_streams: int
    """Requests on /v1/messages in flight when this one arrived, including this one."""
    step: str
    """The step applied, or ``auth``, ``concurrency_429``, ``bad_json``, ``count_tokens``."""
    status: int
    model: str = ""
    language: str = ""
    stream: bool = True
    request_id: str = ""
    messages: int = 1
    """How many messages the request's conversation holds (3 for a first repair)."""
    carried_answer: bool = False
    """An assistant turn holds the stand-in's previous answer to this component, verbatim."""
    params: tuple[str, ...] = ()
    """The body's top-level keys, sorted (no request may carry ``temperature``)."""
    max_tokens: int = 0
    thinking: str = ""
    """The ``thinking.type`` sent ("" when none was)."""
    effort: str = ""
    cache_read: int = 0
    """Prompt tokens the answer read from the stand-in's prompt cache."""
    cache_write: int = 0
    thinking_tokens: int = 0
    structured: str = ""
    """A review request's JSON shape: ``format`` (structured output), ``tool``, ``tool_forced``."""
    ended: float | None = None
    """Monotonic seconds since ``start()`` when the answer was complete (None: still open)."""
    received: float = field(default_factory=time.time)
    """Wall-clock time (``time.time()``) the request reached the stand-in, before its body was
    read (review and batch records: once it was read): comparable with another process's clock,
    e.g. a benchmark's spawn time of the client that sent it."""


def repair_verdict(messages: list[Any], previous_answer: str | None) -> str:
    """``first`` (no assistant turn), ``repair`` (the previous answer, then a user turn naming
    every id in REPAIR_IDS) or ``rejected`` (looks like a repair but lacks one of them)."""
    turns = [(m.get("role"), _text_of(m.get("content", ""))) for m in messages if isinstance(m, dict)]
    assistant_at = [i for i, (role, _) in enumerate(turns) if role == "assistant"]
    if not assistant_at:
        return "first"
    i = assistant_at[-1]
    carried = previous_answer is not None and turns[i][1].strip() == previous_answer.strip()
    follow = [text for role, text in turns[i + 1 :] if role == "user"]
    named = bool(follow) and all(rule in follow[-1] for rule in REPAIR_IDS)
    return "repair" if carried and named else "rejected"


def _carries(messages: list[Any], previous_answer: str | None) -> bool:
    if previous_answer is None:
        return False
    return any(
        isinstance(m, dict) and m.get("role") == "assistant"
        and _text_of(m.get("content", "")).strip() == previous_answer.strip()
        for m in messages
    )


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unreachable_base_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{unused_port()}"


def _tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / 4))


def _text_of(content: Any) -> str:
    """Text of a ``system`` or message ``content``: a string or a list of text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _seconds_header(seconds: float) -> str:
    # The real API sends whole seconds; round up so that a client never waits too little.
    return str(max(0, math.ceil(seconds)))


class FakeMessagesAPI:
    """The stand-in server. Use ``async with FakeMessagesAPI(...) as api:`` then ``api.base_url``."""

    def __init__(
        self,
        *,
        mode: str | Step = "good",
        ttft_s: float = 0.0,
        tokens_per_s: float = 0.0,
        chunk_chars: int = 12,
        valid_keys: set[str] | None = None,
        seed: int = 0,
        max_open_streams_before_429: int | None = None,
        retry_after_s: float = 1.0,
        fault_rate: float = 0.0,
        fault_kinds: Iterable[str] = TRANSIENT_FAULT_KINDS,
        ttfb_s: float = 0.0,
        rate_limits: Limits | None = None,
        batch_seconds: float | None = 0.0,
    ) -> None:
        self.mode = as_step(mode)
        self.ttft_s = ttft_s
        self.tokens_per_s = tokens_per_s
        self.chunk_chars = max(1, chunk_chars)
        self.valid_keys = valid_keys
        self.seed = seed
        self.max_open_streams_before_429 = max_open_streams_before_429
        self.retry_after_s = retry_after_s
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(as_step(k).kind for k in fault_kinds)
        self.ttfb_s = ttfb_s
        """Seconds before the response's headers and ``message_start``."""
        self.cache = PromptCache(model_rules.min_cache_tokens, model_rules.count_tokens)
        self.rate_limit_book = RateLimitBook(rate_limits)
        self.base_url = ""
        self.records: list[RequestRecord] = []
        self.beacon_hits: list[str] = []
        """Paths under /_fake/beacon/ that something fetched (hostile cards point there)."""
        self.open_streams = 0
        self.peak_open_streams = 0
        self._scripts: dict[str, list[Step]] = {}
        self._default_script: list[Step] = []
        self._attempts: dict[str, int] = {}
        self._served: dict[str, int] = {}
        self._answers: dict[str, str] = {}
        """The last card text served to each component (for ``broken_then_repair``)."""
        self._ids = itertools.count(1)
        self._t0 = time.monotonic()
        self._unpaused = asyncio.Event()
        self._unpaused.set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.drafts = DraftDesk()
        """Answers draft requests (a ``<brief>`` in the first user turn): tests/fakes/drafts.py."""
        from tests.fakes.review_api import ReviewStandIn  # it builds on this module

        self.reviews = ReviewStandIn(self)
        """Answers review requests (a JSON shape asked for): ``tests/fakes/review_api.py``."""
        self.batches = FakeBatches(self, seconds=batch_seconds)

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        self._add_api_routes(app)
        app.router.add_post("/_fake/pause", self._handle_pause)
        app.router.add_post("/_fake/resume", self._handle_resume)
        app.router.add_get("/_fake/records", self._handle_records)
        app.router.add_get("/_fake/beacon/{what:.*}", self._handle_beacon)
        self.batches.mount(app)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown)
        # handler_cancellation: a client that goes away cancels its handler, so a stalled
        # stream ends and open_streams stays true.
        runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        bound_host, bound_port = runner.addresses[0][:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        self._t0 = time.monotonic()
        self._closing.clear()
        return self.base_url

    def _add_api_routes(self, app: web.Application) -> None:
        """The API's own routes (a stand-in for another API serves its own here)."""
        app.router.add_post("/v1/messages", self._handle_messages)
        app.router.add_post("/v1/messages/count_tokens", self._handle_count_tokens)

    async def stop(self) -> None:
        self._closing.set()
        self._unpaused.set()
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    async def __aenter__(self) -> FakeMessagesAPI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- scripting and inspection ------------------------------------------------------------

    def script(self, component: str, *steps: str | Step) -> None:
        """Steps for ``component``'s 1st, 2nd, ... request; after them, ``mode``."""
        self._scripts[component.casefold()] = [as_step(s) for s in steps]

    def script_all(self, *steps: str | Step) -> None:
        """The script of every component that has none of its own."""
        self._default_script = [as_step(s) for s in steps]

    def requests_for(self, component: str, *, path: str | None = "/v1/messages") -> list[RequestRecord]:
        """Records of ``component`` (by default only its /v1/messages requests; path=None: all)."""
        key = component.casefold()
        return [r for r in self.records if r.component.casefold() == key and (path is None or r.path == path)]

    def pause(self) -> None:
        """Hold streams before their next chunk, and new requests before they are answered."""
        self._unpaused.clear()

    def resume(self) -> None:
        self._unpaused.set()

    @property
    def paused(self) -> bool:
        return not self._unpaused.is_set()

    # -- request parsing -----------------------------------------------------------------------

    def _now(self) -> float:
        return time.monotonic() - self._t0

    def _new_request_id(self) -> str:
        return f"req_fake_{self.seed}_{next(self._ids):06d}"

    def _auth_problem(self, request: web.Request) -> str | None:
        key = request.headers.get("x-api-key", "")
        auth = request.headers.get("authorization", "")
        if not key and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        if not key:
            return "x-api-key header is required"
        if self.valid_keys is not None and key not in self.valid_keys:
            return "invalid x-api-key"
        return None

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except (ValueError, UnicodeDecodeError):
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _describe(body: dict[str, Any]) -> tuple[str, str, str, int]:
        """(component, language, model, input tokens) of a request body."""
        system = _text_of(body.get("system", ""))
        messages = body.get("messages") or []
        texts = [_text_of(m.get("content", "")) for m in messages if isinstance(m, dict)]
        users = [
            _text_of(m.get("content", ""))
            for m in messages
            if isinstance(m, dict) and m.get("role") == "user"
        ]
        # A repair's last user turn lists findings; the component is named in the first one.
        m = next((found for u in reversed(users) if (found := _COMPONENT_LINE.search(u))), None)
        component = m.group(1) if m else "Untitled"
        lm = _LANGUAGE_LINE.search(system)
        language = lm.group(1) if lm else "typescript"
        model = str(body.get("model", ""))
        return component, language, model, model_rules.count_tokens(model, system + "".join(texts))

    def _next_step(self, component: str) -> Step:
        key = component.casefold()
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        script = self._scripts.get(key, self._default_script)
        if served < len(script):
            return script[served]
        if served == 0 and self.fault_rate > 0:
            # Seeded per component, so the same components fail whatever order requests arrive in.
            rng = random.Random(f"{self.seed}:{key}")
            if rng.random() < self.fault_rate:
                return Step(rng.choice(self.fault_kinds))
        return self.mode

    def _card_text(self, step: Step, component: str, language: str) -> str:
        text = self._card_text_of(step, component, language)
        self._answers[component.casefold()] = text
        return text

    def _card_text_of(self, step: Step, component: str, language: str) -> str:
        if step.text is not None:
            return step.text
        kind = step.kind
        if kind == "hostile":
            return cards.hostile_card(component, language, self.base_url)
        if kind == "broken":
            return cards.broken_card(component, language)
        if kind == "wrapped":
            return cards.wrapped_card(component, language)
        if kind == "max_tokens":
            return cards.cut_card(component, language)
        if kind == "refusal":
            return cards.refusal_text(component)
        return cards.good_card(component, language)

    # -- handlers ------------------------------------------------------------------------------

    async def _handle_messages(self, request: web.Request) -> web.StreamResponse:
        received = time.time()
        body = await self._json_body(request)
        draft = self.drafts.wants(body)  # a draft may ask for JSON too: it is not a review
        if body is not None and not draft and self.reviews.claims(body):
            return await self.reviews.handle(request, body)
        component, language, model, input_tokens = self._describe(body or {})
        component = DRAFT_COMPONENT if draft else component
        key = component.casefold()
        attempt = self._attempts.get(key, 0) + 1
        self._attempts[key] = attempt
        already_open = self.open_streams
        self.open_streams += 1
        self.peak_open_streams = max(self.peak_open_streams, self.open_streams)
        rid = self._new_request_id()
        record: RequestRecord | None = None
        try:
            auth_problem = self._auth_problem(request)
            limit = self.max_open_streams_before_429
            if auth_problem is not None:
                step, label = Step("http_401", message=auth_problem), "auth"
            elif body is None:
                step, label = Step("http_400", message="request body is not a JSON object"), "bad_json"
            elif (rejected := model_rules.rejection(body)) is not None:
                step, label = Step(f"http_{rejected[0]}", message=rejected[1]), "rejected"
            elif limit is not None and already_open >= limit:
                step, label = Step("http_429", message=CONCURRENCY_MESSAGE), "concurrency_429"
            elif draft:
                step, label = self.drafts.answer(body)
            else:
                step = self._next_step(component)
                label = step.kind
                if step.kind == "broken_then_repair":
                    verdict = repair_verdict((body or {}).get("messages") or [], self._answers.get(key))
                    step = Step("good" if verdict == "repair" else "broken")
                    label = {"first": "broken", "repair": "repaired", "rejected": "repair_rejected"}[verdict]
                elif step.kind == "good" and step.text is None:
                    fixed = self.reviews.fixed_card(body, component, language)
                    if fixed is not None:
                        step, label = Step("good", text=fixed), "fixed"
            messages = (body or {}).get("messages") or []
            stream = bool((body or {}).get("stream", False))
            if not stream and step.kind in ("error_event",):
                step = Step("http_529")
            answer = self._answer(body or {}, input_tokens, step) if step.status == 200 else None
            self.records.append(
                RequestRecord(
                    t=self._now(),
                    component=component,
                    attempt=attempt,
                    path=request.path,
                    open_streams=self.open_streams,
                    step=label,
                    status=step.status,
                    model=model,
                    language=language,
                    stream=stream,
                    request_id=rid,
                    messages=len(messages) if isinstance(messages, list) else 0,
                    carried_answer=isinstance(messages, list) and _carries(messages, self._answers.get(key)),
                    **self._wire_fields(body or {}, answer),
                    received=received,
                )
            )
            record = self.records[-1]
            await self._unpaused.wait()
            if step.status != 200:
                return self._error_response(step, model, rid)
            assert answer is not None
            if not stream:
                return await self._message_response(request, step, component, language, model, answer, rid)
            return await self._stream_response(request, step, component, language, model, answer, rid)
        finally:
            self.open_streams -= 1
            if record is not None:
                record.ended = self._now()

    def _answer(self, body: dict[str, Any], input_tokens: int, step: Step, *, limits: bool = True) -> Answer:
        """``limits=False``: a batch request, which the live rate limits do not count."""
        return plan_answer(
            body,
            total_input_tokens=input_tokens,
            thinking_step_tokens=_tokens(THINKING_TEXT) if step.kind == "thinking" else 0,
            cache=self.cache,
            book=self.rate_limit_book if limits else None,
        )

    @staticmethod
    def _wire_fields(body: dict[str, Any], answer: Answer | None) -> dict[str, Any]:
        """What a record keeps of the request's parameters and of the answer's cache and thinking."""
        thinking, config = body.get("thinking"), body.get("output_config")
        max_tokens = body.get("max_tokens")
        return {
            "params": tuple(sorted(body)),
            "max_tokens": max_tokens if isinstance(max_tokens, int) else 0,
            "thinking": str(thinking.get("type", "")) if isinstance(thinking, dict) else "",
            "effort": str(config.get("effort", "")) if isinstance(config, dict) else "",
            "cache_read": answer.cache.read if answer else 0,
            "cache_write": answer.cache.write if answer else 0,
            "thinking_tokens": answer.spent_thinking if answer else 0,
        }

    async def _handle_count_tokens(self, request: web.Request) -> web.StreamResponse:
        received = time.time()
        body = await self._json_body(request)
        component, language, model, input_tokens = self._describe(body or {})
        rid = self._new_request_id()
        auth_problem = self._auth_problem(request)
        if auth_problem is not None:
            step, label = Step("http_401", message=auth_problem), "auth"
        elif body is None:
            step, label = Step("http_400", message="request body is not a JSON object"), "bad_json"
        else:
            step, label = Step("good"), "count_tokens"
        self.records.append(
            RequestRecord(
                t=self._now(),
                component=component,
                attempt=0,
                path=request.path,
                open_streams=self.open_streams,
                step=label,
                status=step.status,
                model=model,
                language=language,
                stream=False,
                request_id=rid,
                received=received,
            )
        )
        if step.status != 200:
            return self._error_response(step, model, rid)
        return web.json_response({"input_tokens": input_tokens}, headers={"request-id": rid})

    async def _handle_pause(self, request: web.Request) -> web.Response:
        self.pause()
        return web.json_response({"paused": True})

    async def _handle_resume(self, request: web.Request) -> web.Response:
        self.resume()
        return web.json_response({"paused": False})

    async def _handle_records(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "records": [asdict(r) for r in self.records],
                "open_streams": self.open_streams,
                "peak_open_streams": self.peak_open_streams,
                "paused": self.paused,
                "beacon_hits": list(self.beacon_hits),
            }
        )

    async def _handle_beacon(self, request: web.Request) -> web.Response:
        self.beacon_hits.append(request.match_info["what"])
        return web.Response(body=_PNG_1X1, content_type="image/png")

    async def _handle_unknown(self, request: web.Request) -> web.Response:
        rid = self._new_request_id()
        return self._error_response(Step("http_404", message=f"Not Found: {request.path}"), "", rid)

    # -- answers -------------------------------------------------------------------------------

    def _error_response(self, step: Step, model: str, rid: str) -> web.Response:
        status = step.status
        generic = "invalid_request_error" if status < 500 else "api_error"
        error: dict[str, Any] = {
            "type": step.error_type or _ERROR_TYPES.get(status, generic),
            "message": step.message or _ERROR_MESSAGES.get(status, f"HTTP {status}").format(model=model),
        }
        headers = {"request-id": rid}
        if step.kind == "spend_limit":
            # Reported like the real API: a 429 rate_limit_error whose details name the cause;
            # no retry-after, since waiting does not help.
            error["message"] = step.message or SPEND_LIMIT_MESSAGE
            error["details"] = {"error_code": SPEND_LIMIT_CODE}
        elif status == 429 or step.retry_after_s is not None:
            wait = self.retry_after_s if step.retry_after_s is None else step.retry_after_s
            headers["retry-after"] = _seconds_header(wait)
            headers["retry-after-ms"] = str(round(wait * 1000))
        if step.retry_after_header is not None:
            headers["retry-after"] = step.retry_after_header
            headers.pop("retry-after-ms", None)
        body = {"type": "error", "error": error, "request_id": rid}
        return web.json_response(body, status=status, headers=headers)

    @staticmethod
    def _stop_reason(step: Step) -> str:
        return step.kind if step.kind in ("max_tokens", "refusal") else "end_turn"

    def _message_id(self) -> str:
        return f"msg_fake_{self.seed}_{next(self._ids):06d}"

    async def _message_response(
        self,
        request: web.Request,
        step: Step,
        component: str,
        language: str,
        model: str,
        answer: Answer,
        rid: str,
    ) -> web.StreamResponse:
        if step.kind in ("drop", "stall"):
            await self._wait_client_gone(request, abort=step.kind == "drop")
            return web.Response(status=204)
        message = self.message_body(step, component, language, model, answer)
        return web.json_response(message, headers={"request-id": rid, **answer.headers})

    def message_body(self, step: Step, component: str, language: str, model: str, answer: Answer) -> dict[str, Any]:
        """A whole (not streamed) answer: what a non-streaming request or a batch result carries."""
        step, text = self._budgeted(step, self._card_text(step, component, language), answer)
        content: list[dict[str, Any]] = [{"type": "text", "text": text}]
        if answer.thinking_tokens:
            thought = THINKING_TEXT.format(component=component)
            content.insert(0, {"type": "thinking", "thinking": thought, "signature": THINKING_SIGNATURE})
        self.cache.began(answer.cache)
        return {
            "id": self._message_id(),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": self._stop_reason(step),
            "stop_sequence": None,
            "usage": {**answer.start_usage(), "output_tokens": answer.spent_thinking + answer.count(text)},
        }

    @staticmethod
    def _budgeted(step: Step, text: str, answer: Answer) -> tuple[Step, str]:
        """A generated card that thinking leaves too little room for is cut at ``max_tokens``."""
        if step.text is not None or step.kind not in _BUDGETED_KINDS:
            return step, text
        cut = answer.cut(text)
        return (step, text) if cut is None else (replace(step, kind="max_tokens", text=cut), cut)

    async def _stream_response(
        self,
        request: web.Request,
        step: Step,
        component: str,
        language: str,
        model: str,
        answer: Answer,
        rid: str,
    ) -> web.StreamResponse:
        step, text = self._budgeted(step, self._card_text(step, component, language), answer)
        resp = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-cache",
                "request-id": rid,
                **answer.headers,
            },
        )
        await self._pace(self.ttfb_s)
        await resp.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await resp.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

        try:
            await send(
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        "id": self._message_id(),
                        "type": "message",
                        "role": "assistant",
                        "model": model,
                        "content": [],
                        "stop_reason": None,
                        "stop_sequence": None,
                        "usage": answer.start_usage(),
                    },
                },
            )
            self.cache.began(answer.cache)  # from now on others can read what this one writes
            index = 0
            if answer.thinking_tokens:
                await self._send_thinking(component, send, answer.spent_thinking, step)
                index = 1  # the text block comes second: a client must pick blocks by type
            await send(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
            )
            await send("ping", {"type": "ping"})
            sent = await self._send_deltas(request, step, text, send, index)
            if sent is None:
                return resp
            return await self._finish_stream(request, step, resp, sent, send, answer, index)
        except ConnectionResetError:
            # The client went away mid-write; nothing left to answer.
            return resp

    async def _send_thinking(self, component: str, send: Any, tokens: int, step: Step | None = None) -> None:
        """A thinking block at index 0, streamed like the API's: its text, then its signature. It
        takes as long as ``tokens`` take at the stream's pace (the text stands for all of them)."""
        block = {"type": "thinking", "thinking": "", "signature": ""}
        await send("content_block_start", {"type": "content_block_start", "index": 0, "content_block": block})
        thought = THINKING_TEXT.format(component=component)
        n = self.chunk_chars
        pieces = [thought[i : i + n] for i in range(0, len(thought), n)]
        tps = self.tokens_per_s if step is None or step.tokens_per_s is None else step.tokens_per_s
        delay = tokens / tps / len(pieces) if tps > 0 else 0.0
        for piece in pieces:
            await self._pace(delay)
            await self._unpaused.wait()
            delta = {"type": "thinking_delta", "thinking": piece}
            await send("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        delta = {"type": "signature_delta", "signature": THINKING_SIGNATURE}
        await send("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta})
        await send("content_block_stop", {"type": "content_block_stop", "index": 0})

    async def _send_deltas(
        self, request: web.Request, step: Step, text: str, send: Any, index: int = 0
    ) -> str | None:
        """Stream the text's deltas (fewer for faults that strike mid-way); None if shutting down."""
        n = self.chunk_chars
        chunks = [text[i : i + n] for i in range(0, len(text), n)]
        if step.kind in ("drop", "stall", "error_event"):
            chunks = chunks[: max(0, step.after_chunks)]
        tps = self.tokens_per_s if step is None or step.tokens_per_s is None else step.tokens_per_s
        delay = (n / 4) / tps if tps > 0 else 0.0
        await self._pace(self.ttft_s if step.ttft_s is None else step.ttft_s)
        sent = ""
        for i, chunk in enumerate(chunks):
            if i and delay:
                await self._pace(delay)
            await self._unpaused.wait()
            if self._closing.is_set():
                self._abort(request)
                return None
            await send(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": chunk}},
            )
            sent += chunk
        return sent

    async def _finish_stream(
        self,
        request: web.Request,
        step: Step,
        resp: web.StreamResponse,
        sent: str,
        send: Any,
        answer: Answer,
        index: int = 0,
    ) -> web.StreamResponse:
        kind = step.kind
        if kind == "drop":
            await self._wait_client_gone(request, abort=True)
            return resp
        if kind == "stall":
            await self._wait_client_gone(request, abort=False)
            return resp
        if kind == "error_event":
            error = {"type": step.error_type or "overloaded_error", "message": step.message or "Overloaded"}
            await send(
                "error", {"type": "error", "error": error, "request_id": resp.headers.get("request-id")}
            )
            await resp.write_eof()
            return resp
        await send("content_block_stop", {"type": "content_block_stop", "index": index})
        if kind != "no_stop":
            await send(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": self._stop_reason(step), "stop_sequence": None},
                    "usage": {"output_tokens": answer.spent_thinking + answer.count(sent)},
                },
            )
            await send("message_stop", {"type": "message_stop"})
        await resp.write_eof()
        return resp

    async def _pace(self, seconds: float) -> None:
        if seconds <= 0:
            return
        try:
            await asyncio.wait_for(self._closing.wait(), seconds)
        except TimeoutError:
            pass

    @staticmethod
    def _abort(request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()

    async def _wait_client_gone(self, request: web.Request, *, abort: bool) -> None:
        """Abort the connection (``drop``) or hold it silently until the client closes it."""
        if abort:
            self._abort(request)
        while True:
            transport = request.transport
            if transport is None or transport.is_closing():
                break
            if self._closing.is_set():
                self._abort(request)
                break
            await asyncio.sleep(0.02)
        # Wait here until handler cancellation (the connection is gone) ends this handler, so that
        # aiohttp does not try to finish a response on a dead connection.
        await asyncio.sleep(1.0)


def http_date(seconds_from_now: float) -> str:
    """An HTTP date ``seconds_from_now`` in the future, for a ``retry-after`` header."""
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)
