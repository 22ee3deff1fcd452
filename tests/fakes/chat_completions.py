"""A local stand-in for the OpenAI chat-completions API as local model servers serve it.

Real HTTP and server-sent events on 127.0.0.1, like the Messages API stand-in it extends: the same
scripts (``script``, ``script_all``, ``mode``, ``fault_rate``), card texts, pacing, pause and
records, served as ``POST /v1/chat/completions`` and ``GET /v1/models``. What it imitates:

- the stream: ``data:`` lines of ``chat.completion.chunk``s, a last chunk with the finish reason,
  then, only when ``stream_options.include_usage`` is asked, a usage chunk whose ``choices`` is
  empty (llama.cpp's and Ollama's way), then ``data: [DONE]``;
- ``thinking``: a reasoning model's ``reasoning_content`` deltas before the answer;
- ``max_tokens`` ends with ``finish_reason: "length"``, ``refusal`` with ``content_filter``;
- ``no_stop`` ends the stream without a finish reason or ``[DONE]``; ``error_event`` sends a
  ``data: {"error": ...}`` chunk mid-stream; ``drop`` and ``stall`` as in the Messages stand-in;
- ``http_503`` answers llama.cpp's ``Loading model``; ``http_404`` and any model outside
  ``models`` answer Ollama's ``model "x" not found, try pulling it first``;
- ``loading_requests``: the first N requests get the 503 (a server still loading its model);
  ``max_open_streams_before_503``: Ollama's answer when its queue is full.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Iterable

from aiohttp import web

from tests.fakes.messages_api import (
    FakeMessagesAPI,
    RequestRecord,
    Step,
    _carries,
    _text_of,
    _tokens,
    repair_verdict,
)

CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
DEFAULT_MODELS = ("llama3.2", "qwen2.5-coder:7b")
LOADING_ERROR = {"code": 503, "message": "Loading model", "type": "unavailable_error"}
"""llama-server's answer while it loads its model."""
BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded"
"""Ollama's answer when more requests wait than it queues."""
REASONING = "Let me think about which part of {component} the code should show."


def not_found_message(model: str) -> str:
    """Ollama's 404 for a model that was never pulled."""
    return f'model "{model}" not found, try pulling it first'


@dataclass
class ChatRecord(RequestRecord):
    """One request as the stand-in saw it, with what only this API carries."""

    include_usage: bool = False
    """The request asked for ``stream_options.include_usage``."""
    bearer: bool = False
    """The request carried ``Authorization: Bearer ...``."""
    max_tokens: int | None = None


class FakeChatCompletionsAPI(FakeMessagesAPI):
    """``async with FakeChatCompletionsAPI(...) as api:`` then point the provider at
    ``api.base_url + "/v1"``. ``models=None`` serves any model name."""

    def __init__(
        self,
        *,
        models: Iterable[str] | None = DEFAULT_MODELS,
        loading_requests: int = 0,
        max_open_streams_before_503: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.models = None if models is None else tuple(models)
        self.loading_requests = loading_requests
        self.max_open_streams_before_503 = max_open_streams_before_503

    @property
    def v1_url(self) -> str:
        """The base URL a client is given (it ends in /v1, as for every such server)."""
        return self.base_url + "/v1"

    def _add_api_routes(self, app: web.Application) -> None:
        app.router.add_post(CHAT_PATH, self._handle_chat)
        app.router.add_get(MODELS_PATH, self._handle_models)

    def requests_for(self, component: str, *, path: str | None = CHAT_PATH) -> list[RequestRecord]:
        return super().requests_for(component, path=path)

    # -- handlers ------------------------------------------------------------------------------

    async def _handle_models(self, request: web.Request) -> web.Response:
        self.records.append(ChatRecord(t=self._now(), component="", attempt=0, path=request.path,
                                       open_streams=self.open_streams, step="models", status=200,
                                       stream=False, bearer=_bearer(request) is not None))
        served = self.models or ()
        data = [{"id": m, "object": "model", "created": 1733011200, "owned_by": "library"} for m in served]
        return web.json_response({"object": "list", "data": data})

    async def _handle_chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        turns = [m for m in (body or {}).get("messages") or [] if isinstance(m, dict)]
        system = "\n".join(_text_of(m.get("content", "")) for m in turns if m.get("role") == "system")
        dialogue = [m for m in turns if m.get("role") != "system"]
        component, language, model, input_tokens = self._describe(
            {"system": system, "messages": dialogue, "model": (body or {}).get("model", "")}
        )
        key = component.casefold()
        self._attempts[key] = attempt = self._attempts.get(key, 0) + 1
        waiting = self.open_streams
        self.open_streams += 1
        self.peak_open_streams = max(self.peak_open_streams, self.open_streams)
        try:
            step, label = self._chat_step(request, body, component, model, dialogue, waiting)
            options = (body or {}).get("stream_options")
            include_usage = isinstance(options, dict) and options.get("include_usage") is True
            self.records.append(ChatRecord(
                t=self._now(), component=component, attempt=attempt, path=request.path,
                open_streams=self.open_streams, step=label, status=step.status, model=model,
                language=language, stream=bool((body or {}).get("stream")),
                request_id=self._new_request_id(), messages=len(dialogue),
                carried_answer=_carries(dialogue, self._answers.get(key)),
                include_usage=include_usage, bearer=_bearer(request) is not None,
                max_tokens=(body or {}).get("max_tokens"),
            ))
            await self._unpaused.wait()
            if step.status != 200:
                return self._chat_error(step, model)
            return await self._chat_stream(request, step, component, language, model, input_tokens, include_usage)
        finally:
            self.open_streams -= 1

    def _chat_step(
        self, request: web.Request, body: dict[str, Any] | None, component: str, model: str,
        dialogue: list[dict[str, Any]], waiting: int,
    ) -> tuple[Step, str]:
        """The step this request gets, and the label its record shows."""
        if self.valid_keys is not None and _bearer(request) not in self.valid_keys:
            return Step("http_401", message="Invalid API key"), "auth"
        if body is None:
            return Step("http_400", message="request body is not a JSON object"), "bad_json"
        if self.loading_requests > 0:
            self.loading_requests -= 1
            return Step("http_503"), "loading"
        if self.models is not None and model not in self.models:
            return Step("http_404"), "unknown_model"
        limit = self.max_open_streams_before_503
        if limit is not None and waiting >= limit:
            return Step("http_503", message=BUSY_MESSAGE), "busy_503"
        step = self._next_step(component)
        if step.kind != "broken_then_repair":
            return step, step.kind
        verdict = repair_verdict(dialogue, self._answers.get(component.casefold()))
        label = {"first": "broken", "repair": "repaired", "rejected": "repair_rejected"}[verdict]
        return Step("good" if verdict == "repair" else "broken"), label

    # -- answers -------------------------------------------------------------------------------

    def _chat_error(self, step: Step, model: str) -> web.Response:
        status = step.status
        headers: dict[str, str] = {}
        if status == 503 and step.message is None:
            error: dict[str, Any] = dict(LOADING_ERROR)
        elif status == 404:
            error = {"message": step.message or not_found_message(model), "type": "api_error",
                     "param": None, "code": None}
        else:
            error = {"message": step.message or f"HTTP {status}", "type": step.error_type or "api_error",
                     "param": None, "code": None}
        if status == 429 or step.retry_after_s is not None:
            wait = self.retry_after_s if step.retry_after_s is None else step.retry_after_s
            headers["retry-after"] = str(max(0, round(wait)))
        return web.json_response({"error": error}, status=status, headers=headers)

    async def _chat_stream(
        self, request: web.Request, step: Step, component: str, language: str, model: str,
        input_tokens: int, include_usage: bool,
    ) -> web.StreamResponse:
        text = self._card_text(step, component, language)
        resp = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await resp.prepare(request)
        frame = {"id": f"chatcmpl-fake-{self._new_request_id()}", "object": "chat.completion.chunk",
                 "created": int(time.time()), "model": model, "system_fingerprint": "fake"}

        async def send(payload: dict[str, Any] | str) -> None:
            data = payload if isinstance(payload, str) else json.dumps({**frame, **payload})
            await resp.write(f"data: {data}\n\n".encode())

        def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        try:
            await send(choice({"role": "assistant", "content": ""}))
            if step.kind == "thinking":
                thought = REASONING.format(component=component)
                for i in range(0, len(thought), self.chunk_chars):
                    await send(choice({"reasoning_content": thought[i : i + self.chunk_chars]}))
            sent = await self._chat_deltas(request, step, text, send, choice)
            if sent is None:
                return resp
            if step.kind in ("drop", "stall"):
                await self._wait_client_gone(request, abort=step.kind == "drop")
                return resp
            if step.kind == "error_event":
                await send(json.dumps({"error": {"code": 500, "message": step.message or "model runner crashed",
                                                 "type": step.error_type or "server_error"}}))
            elif step.kind != "no_stop":
                finish = {"max_tokens": "length", "refusal": "content_filter"}.get(step.kind, "stop")
                await send(choice({}, finish))
                if include_usage:
                    usage = {"prompt_tokens": input_tokens, "completion_tokens": _tokens(sent)}
                    await send({"choices": [], "usage": {**usage, "total_tokens": sum(usage.values())}})
                await send("[DONE]")
            await resp.write_eof()
        except ConnectionResetError:
            pass  # the client went away mid-write
        return resp

    async def _chat_deltas(self, request: web.Request, step: Step, text: str, send: Any, choice: Any) -> str | None:
        """The answer's content deltas (fewer for faults that strike mid-way); None if shutting down."""
        n = self.chunk_chars
        pieces = [text[i : i + n] for i in range(0, len(text), n)]
        if step.kind in ("drop", "stall", "error_event"):
            pieces = pieces[: max(0, step.after_chunks)]
        tps = self.tokens_per_s if step.tokens_per_s is None else step.tokens_per_s
        await self._pace(self.ttft_s if step.ttft_s is None else step.ttft_s)
        sent = ""
        for i, piece in enumerate(pieces):
            if i and tps > 0:
                await self._pace((n / 4) / tps)
            await self._unpaused.wait()
            if self._closing.is_set():
                self._abort(request)
                return None
            await send(choice({"content": piece}))
            sent += piece
        return sent


def _bearer(request: web.Request) -> str | None:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else None
