"""The Messages API stand-in's reviewer: answers requests that ask for a JSON shape.

A request is a review request when it asks for structured output (``output_config.format``) or
offers tools. The answer follows the request's own schema, whatever it is: the stand-in builds its
review (a verdict, notes, a summary) and then fits it to the schema it was sent (keys the schema
does not have are dropped, required ones it lacks are filled, enums are kept to their values), so a
test proves what the app asks for. As the API does, it rejects forced tool use while thinking is
on, and a structured-output schema whose objects do not forbid additional properties.

Scenario: ``revise(name, ...)`` makes those cards' reviews ``revise`` with one error note on a
code line of the card (the line as numbered in the request); ``script(name, *steps)`` gives a
component's 1st, 2nd, ... review request ``pass``, ``revise``, ``fail``, ``malformed`` (an answer
that is not JSON in the schema) or an ``http_NNN`` error. Every request is recorded in the
server's ``records`` with ``structured`` set.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from app.core.models import Thinking, lookup
from tests.fakes import cards, model_rules
from tests.fakes.messages_api import RequestRecord, Step, _text_of, _tokens

if TYPE_CHECKING:
    from tests.fakes.messages_api import FakeMessagesAPI

REVIEW_STEPS = ("pass", "revise", "fail", "malformed")
FORCED_WITH_THINKING = "Thinking may not be enabled when tool_choice forces tool use."
OPEN_OBJECT = (
    "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set "
    "to false"
)
NOTE_TEXT = "REVIEW-NOTE {component}: this line needs error handling (line {line})"
"""The message of a ``revise`` note; a fix request must carry it back to the card's model."""
MALFORMED_TEXT = "The card looks fine to me, nothing to add."
FIXED_EXPLANATION = (
    "This example gives the component one small, clear job, as the reviewer asked. "
    "The code below is the smallest version of it that runs as written."
)
"""The explanation of a card written for a fix request; a ``revise`` scenario passes it."""
FIXED_MARKER = "as the reviewer asked"
_NUMBERED = re.compile(r"^\s*(\d+) \| (.*)$")
_COMPONENT = re.compile(r"^\s*Component:\s*(.+?)\s*$", re.MULTILINE)


def shape_of(body: dict[str, Any]) -> str:
    """``format``, ``tool``, ``tool_forced`` or "" (not a review request)."""
    if ((body.get("output_config") or {}).get("format") or {}).get("schema") is not None:
        return "format"
    if body.get("tools"):
        forced = (body.get("tool_choice") or {}).get("type") in ("any", "tool")
        return "tool_forced" if forced else "tool"
    return ""


def thinking_on(body: dict[str, Any]) -> bool:
    """As the API decides: asked for, or the model's default (adaptive models think unless told
    not to; a model that always thinks cannot be told)."""
    asked = (body.get("thinking") or {}).get("type")
    info = lookup(str(body.get("model", "")))
    if info is not None and info.thinking_always_on:
        return True
    if asked in ("enabled", "adaptive"):
        return True
    if asked == "disabled":
        return False
    return info is not None and info.thinking is Thinking.ADAPTIVE


def conform(value: Any, schema: dict[str, Any]) -> Any:
    """``value`` fitted to ``schema``: what the model's constrained answer would look like."""
    kind = schema.get("type")
    if "enum" in schema:
        return value if value in schema["enum"] else schema["enum"][0]
    if kind == "object":
        props: dict[str, Any] = schema.get("properties") or {}
        given = value if isinstance(value, dict) else {}
        out = {k: conform(given[k], props[k]) for k in props if k in given}
        for key in schema.get("required") or []:
            if key not in out:
                out[key] = conform(None, props.get(key) or {})
        return out
    if kind == "array":
        return [conform(item, schema.get("items") or {}) for item in (value or [])]
    if kind == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else 1
    if kind == "string":
        return value if isinstance(value, str) else ""
    return value


def open_objects(schema: Any) -> bool:
    """Some object in ``schema`` does not say ``additionalProperties: false``."""
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
        return True
    return any(open_objects(v) for v in schema.values() if isinstance(v, (dict, list))) or any(
        open_objects(item) for v in schema.values() if isinstance(v, list) for item in v
    )


def code_line(user_text: str) -> int:
    """The number of the first code line of the card numbered in the request (1 if none)."""
    inside = False
    for line in user_text.split("\n"):
        m = _NUMBERED.match(line)
        if not m:
            continue
        if m.group(2).lstrip().startswith("```"):
            if inside:
                break
            inside = True
            continue
        if inside:
            return int(m.group(1))
    return 1


class ReviewStandIn:
    """Mounted by ``FakeMessagesAPI``; see the module docstring."""

    def __init__(self, api: FakeMessagesAPI) -> None:
        self.api = api
        self.mode = "pass"
        self._scripts: dict[str, list[str]] = {}
        self._served: dict[str, int] = {}
        self._revise: set[str] = set()

    # -- scenario ------------------------------------------------------------------------------

    def revise(self, *components: str) -> None:
        """These components' reviews are ``revise`` with a note on a code line (after any script)."""
        self._revise |= {c.casefold() for c in components}

    def script(self, component: str, *steps: str) -> None:
        for step in steps:
            if step not in REVIEW_STEPS and not step.startswith("http_"):
                raise ValueError(f"unknown review step {step!r}")
        self._scripts[component.casefold()] = list(steps)

    def records(self) -> list[RequestRecord]:
        return [r for r in self.api.records if r.structured]

    # -- requests ------------------------------------------------------------------------------

    @staticmethod
    def claims(body: dict[str, Any]) -> bool:
        return bool(shape_of(body))

    def fixed_card(self, body: dict[str, Any], component: str, language: str) -> str | None:
        """The answer to a fix request (the card's conversation carrying a ``revise`` note back):
        a good card whose explanation says it was fixed. None for any other request."""
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        if not any(m.get("role") == "assistant" for m in messages) or not messages:
            return None
        if "REVIEW-NOTE" not in _text_of(messages[-1].get("content", "")):
            return None
        return cards.good_card(component, language).replace(cards.EXPLANATION, FIXED_EXPLANATION)

    def _step(self, key: str, card_text: str) -> str:
        served = self._served.get(key, 0)
        self._served[key] = served + 1
        script = self._scripts.get(key, [])
        if served < len(script):
            return script[served]
        if key in self._revise:
            return "pass" if FIXED_MARKER in card_text else "revise"
        return self.mode

    async def handle(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        api = self.api
        users = [_text_of(m.get("content", "")) for m in body.get("messages") or []
                 if isinstance(m, dict) and m.get("role") == "user"]
        last = users[-1] if users else ""
        m = _COMPONENT.search(last)
        component = m.group(1) if m else "Untitled"
        key = component.casefold()
        shape, thinking, model = shape_of(body), thinking_on(body), str(body.get("model", ""))
        api.open_streams += 1
        api.peak_open_streams = max(api.peak_open_streams, api.open_streams)
        rid = api._new_request_id()
        record = RequestRecord(
            t=api._now(), component=component, attempt=1 + sum(
                1 for r in api.records if r.structured and r.component.casefold() == key),
            path=request.path, open_streams=api.open_streams, step="", status=200, model=model,
            stream=bool(body.get("stream")), request_id=rid, messages=len(body.get("messages") or []),
            structured=shape,
        )
        api.records.append(record)
        try:
            problem = api._auth_problem(request)
            word = ""
            if problem is not None:
                error: Step | None = Step("http_401", message=problem)
            elif (rejected := model_rules.rejection(body)) is not None:
                error = Step(f"http_{rejected[0]}", message=rejected[1])
            elif not body.get("stream"):
                error = Step("http_400", message="the stand-in's reviewer answers streamed requests only")
            elif shape == "tool_forced" and thinking:
                error = Step("http_400", message=FORCED_WITH_THINKING)
            elif shape == "format" and open_objects(body["output_config"]["format"]["schema"]):
                error = Step("http_400", message=OPEN_OBJECT)
            else:
                word = self._step(key, last)
                error = Step(word) if word.startswith("http_") else None
            record.step = error.kind if error is not None else f"review:{word}"
            record.status = error.status if error is not None else 200
            await api._unpaused.wait()
            if error is not None:
                return api._error_response(error, model, rid)
            answer = self._answer(word, component, last, body, shape)
            return await self._stream(request, body, answer, shape, thinking, model, rid, component)
        finally:
            api.open_streams -= 1
            record.ended = api._now()

    def _schema(self, body: dict[str, Any], shape: str) -> dict[str, Any]:
        if shape == "format":
            return dict(body["output_config"]["format"]["schema"])
        tool = (body.get("tools") or [{}])[0]
        return dict(tool.get("input_schema") or {})

    def _answer(self, word: str, component: str, user_text: str, body: dict[str, Any], shape: str) -> str:
        """The JSON text of the review (or, ``malformed``, prose that is not)."""
        if word == "malformed":
            return MALFORMED_TEXT
        line = code_line(user_text)
        notes = [] if word == "pass" else [
            {"severity": "error", "line": line, "message": NOTE_TEXT.format(component=component, line=line)}
        ]
        review = {"verdict": word, "notes": notes, "summary": f"Stand-in review of {component}: {word}."}
        return json.dumps(conform(review, self._schema(body, shape)))

    async def _stream(self, request: web.Request, body: dict[str, Any], answer: str, shape: str,
                      thinking: bool, model: str, rid: str, component: str) -> web.StreamResponse:
        api = self.api
        resp = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", "request-id": rid,
        })
        await resp.prepare(request)

        async def send(event: str, data: dict[str, Any]) -> None:
            await resp.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

        input_tokens = _tokens(_text_of(body.get("system", "")) + json.dumps(body.get("messages")))
        message = {"id": api._message_id(), "type": "message", "role": "assistant", "model": model,
                   "content": [], "stop_reason": None, "stop_sequence": None,
                   "usage": {"input_tokens": input_tokens, "output_tokens": 1}}
        await send("message_start", {"type": "message_start", "message": message})
        index = 0
        if thinking:
            await api._send_thinking(component, send, model_rules.thinking_tokens(body))
            index = 1
        as_tool = shape.startswith("tool") and answer != MALFORMED_TEXT
        if as_tool:
            name = (body.get("tools") or [{}])[0].get("name", "")
            block = {"type": "tool_use", "id": f"toolu_{rid}", "name": name, "input": {}}
        else:
            block = {"type": "text", "text": ""}
        await send("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})
        n = api.chunk_chars
        delay = (n / 4) / api.tokens_per_s if api.tokens_per_s > 0 else 0.0
        await api._pace(api.ttft_s)
        for i in range(0, len(answer), n):
            if i and delay:
                await api._pace(delay)
            await api._unpaused.wait()
            piece = answer[i : i + n]
            delta = {"type": "input_json_delta", "partial_json": piece} if as_tool else \
                {"type": "text_delta", "text": piece}
            await send("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})
        await send("content_block_stop", {"type": "content_block_stop", "index": index})
        stop = "tool_use" if as_tool else "end_turn"
        await send("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                                     "usage": {"output_tokens": _tokens(answer)}})
        await send("message_stop", {"type": "message_stop"})
        await resp.write_eof()
        return resp

