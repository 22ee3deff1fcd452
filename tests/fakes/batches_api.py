"""The Message Batches endpoints of the stand-in, over the same server and scripts as live requests.

Each request of a batch gets the step its component's script says (as a live request would):
a card kind gives a ``succeeded`` result, an HTTP fault an ``errored`` one with the API's error
body, ``expired`` and ``canceled`` those results. ``custom_id``s are checked as the API checks
them (400 otherwise). A batch stays ``in_progress`` (every request counted as processing) until
``seconds`` have passed since its creation, or, with ``seconds=None``, until a test calls
``finish``; results come back as JSON lines in a shuffled order.
"""

from __future__ import annotations

import datetime as _dt
import json
import random
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tests.fakes.messages_api import FakeMessagesAPI

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
BATCH_PATH = "/v1/messages/batches"
# Live-only faults, as a batch request reports them: an errored result.
_AS_ERRORED = {"error_event": "http_529", "drop": "http_500", "stall": "http_500", "no_stop": "http_500"}


@dataclass
class FakeBatch:
    id: str
    created: _dt.datetime
    results: list[dict[str, Any]]
    """One result line per request, decided at creation (each request's step)."""
    ends_at: _dt.datetime | None
    ended: _dt.datetime | None = None
    cancel_requested: _dt.datetime | None = None
    custom_ids: list[str] = field(default_factory=list)
    handling_s: float = 0.0
    """How long the stand-in took to take the batch in (parse, check, decide every answer)."""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Each request's ``params`` as received, by custom_id."""


class FakeBatches:
    """Mounted by ``FakeMessagesAPI``; reach it as ``api.batches``."""

    def __init__(self, api: FakeMessagesAPI, *, seconds: float | None = 0.0, max_requests: int = 100_000) -> None:
        self.api = api
        self.seconds = seconds
        self.max_requests = max_requests
        self.created: list[FakeBatch] = []
        """Every batch created, oldest first."""
        self.drop_next_create = False
        """Make the next batch, then drop the connection: its creator never learns the id."""
        self._n = 0

    def mount(self, app: web.Application) -> None:
        app.router.add_post(BATCH_PATH, self._create)
        app.router.add_get(BATCH_PATH, self._list)
        app.router.add_get(BATCH_PATH + "/{id}", self._retrieve)
        app.router.add_post(BATCH_PATH + "/{id}/cancel", self._cancel)
        app.router.add_get(BATCH_PATH + "/{id}/results", self._results)
        app.router.add_post("/_fake/batches/finish", self._finish_all)
        app.router.add_get("/_fake/batches", self._describe_all)

    # -- control ---------------------------------------------------------------------------------

    def finish(self, batch_id: str | None = None) -> None:
        """End one batch (or every batch) now."""
        for batch in self.created:
            if batch_id in (None, batch.id) and batch.ended is None:
                batch.ended = _now()

    def batch(self, batch_id: str) -> FakeBatch | None:
        return next((b for b in self.created if b.id == batch_id), None)

    def params_of(self, batch_id: str, custom_id: str) -> dict[str, Any] | None:
        batch = self.batch(batch_id)
        return None if batch is None else batch.params.get(custom_id)

    # -- handlers --------------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        problem = self.api._auth_problem(request)
        if problem is not None:
            return self._error(401, "authentication_error", problem)
        body = await self.api._json_body(request)
        items = (body or {}).get("requests")
        invalid = self._invalid(items)
        if invalid:
            return self._error(400, "invalid_request_error", invalid)
        self._n += 1
        now = _now()
        batch_id = f"msgbatch_fake{self.api.seed}_{self._n:06d}"
        results = [self._answer(item["custom_id"], item["params"]) for item in items]  # type: ignore[union-attr]
        random.Random(f"{self.api.seed}:{batch_id}").shuffle(results)  # any order, as the API says
        ends = None if self.seconds is None else now + _dt.timedelta(seconds=self.seconds)
        batch = FakeBatch(batch_id, now, results, ends, custom_ids=[i["custom_id"] for i in items],  # type: ignore[union-attr]
                          params={i["custom_id"]: i["params"] for i in items})  # type: ignore[union-attr]
        self.created.append(batch)
        batch.handling_s = time.perf_counter() - started
        if self.drop_next_create:
            self.drop_next_create = False
            if request.transport is not None:
                request.transport.abort()
        return web.json_response(self._object(batch, request))

    def _invalid(self, items: Any) -> str | None:
        if not isinstance(items, list) or not items:
            return "requests: at least one request is required"
        if len(items) > self.max_requests:
            return f"requests: at most {self.max_requests} requests in one batch (got {len(items)})"
        seen: set[str] = set()
        for n, item in enumerate(items):
            cid = item.get("custom_id") if isinstance(item, dict) else None
            if not isinstance(cid, str) or not CUSTOM_ID.match(cid):
                return f"requests.{n}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'"
            if cid in seen:
                return f"requests.{n}.custom_id: custom_id {cid!r} is not unique in this batch"
            seen.add(cid)
            params = item.get("params")
            if not isinstance(params, dict) or not {"model", "max_tokens", "messages"} <= params.keys():
                return f"requests.{n}.params: model, max_tokens and messages are required"
            if "stream" in params:
                return f"requests.{n}.params.stream: streaming is not supported in batches"
        return None

    def _answer(self, custom_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """Decide one request's result now, from its component's script (recorded like a live one)."""
        from tests.fakes import model_rules
        from tests.fakes.messages_api import RequestRecord, Step, repair_verdict

        api = self.api
        component, language, model, input_tokens = api._describe(params)
        key = component.casefold()
        api._attempts[key] = api._attempts.get(key, 0) + 1
        rejected = model_rules.rejection(params)
        step = api._next_step(component) if rejected is None else Step(f"http_{rejected[0]}", message=rejected[1])
        label = step.kind if rejected is None else "rejected"
        if step.kind == "broken_then_repair":
            verdict = repair_verdict(params.get("messages") or [], api._answers.get(key))
            step = Step("good" if verdict == "repair" else "broken")
            label = {"first": "broken", "repair": "repaired", "rejected": "repair_rejected"}[verdict]
        step = Step(_AS_ERRORED[step.kind]) if step.kind in _AS_ERRORED else step
        rid = api._new_request_id()
        answer = api._answer(params, input_tokens, step, limits=False) if step.status == 200 else None
        api.records.append(RequestRecord(
            t=api._now(), component=component, attempt=api._attempts[key], path=BATCH_PATH,
            open_streams=api.open_streams, step=label, status=step.status, model=model,
            language=language, stream=False, request_id=rid,
            messages=len(params.get("messages") or []), **api._wire_fields(params, answer),
        ))
        if step.kind in ("expired", "canceled"):
            return {"custom_id": custom_id, "result": {"type": step.kind}}
        if step.status != 200:
            error = json.loads(api._error_response(step, model, rid).text)
            return {"custom_id": custom_id, "result": {"type": "errored", "error": error}}
        assert answer is not None
        message = api.message_body(step, component, language, model, answer)
        return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}

    async def _retrieve(self, request: web.Request) -> web.Response:
        batch = self._found(request)
        if isinstance(batch, web.Response):
            return batch
        return web.json_response(self._object(batch, request))

    async def _cancel(self, request: web.Request) -> web.Response:
        batch = self._found(request)
        if isinstance(batch, web.Response):
            return batch
        self._tick(batch)
        if batch.ended is None and batch.cancel_requested is None:
            batch.cancel_requested = _now()
            for line in batch.results:  # nothing has run yet: every request is canceled
                line["result"] = {"type": "canceled"}
        # "canceling" for this answer; the next look finds it ended.
        return web.json_response(self._object(batch, request, tick=False))

    async def _results(self, request: web.Request) -> web.StreamResponse:
        batch = self._found(request)
        if isinstance(batch, web.Response):
            return batch
        self._tick(batch)
        if batch.ended is None:
            return self._error(400, "invalid_request_error", f"batch {batch.id} has not ended yet")
        lines = "".join(json.dumps(line) + "\n" for line in batch.results)
        return web.Response(body=lines.encode("utf-8"), content_type="application/binary")

    async def _list(self, request: web.Request) -> web.Response:
        problem = self.api._auth_problem(request)
        if problem is not None:
            return self._error(401, "authentication_error", problem)
        limit = int(request.query.get("limit", "20"))
        newest_first = list(reversed(self.created))
        after = request.query.get("after_id")
        if after:
            ids = [b.id for b in newest_first]
            newest_first = newest_first[ids.index(after) + 1 :] if after in ids else []
        page = newest_first[:limit]
        data = [self._object(b, request) for b in page]
        return web.json_response({
            "data": data, "has_more": len(newest_first) > limit,
            "first_id": page[0].id if page else None, "last_id": page[-1].id if page else None,
        })

    async def _finish_all(self, request: web.Request) -> web.Response:
        self.finish()
        return web.json_response({"finished": [b.id for b in self.created]})

    async def _describe_all(self, request: web.Request) -> web.Response:
        return web.json_response({"batches": [
            {"id": b.id, "requests": len(b.results), "custom_ids": b.custom_ids, "ended": b.ended is not None}
            for b in self.created
        ]})

    # -- the batch object ------------------------------------------------------------------------

    def _found(self, request: web.Request) -> FakeBatch | web.Response:
        problem = self.api._auth_problem(request)
        if problem is not None:
            return self._error(401, "authentication_error", problem)
        batch = self.batch(request.match_info["id"])
        return batch if batch is not None else self._error(404, "not_found_error", "batch not found")

    def _tick(self, batch: FakeBatch) -> None:
        """Time moves a batch on: past its end time, or one look after a cancel, it has ended."""
        now = _now()
        if batch.ended is None and (batch.cancel_requested is not None or (batch.ends_at and now >= batch.ends_at)):
            batch.ended = now

    def _object(self, batch: FakeBatch, request: web.Request, *, tick: bool = True) -> dict[str, Any]:
        if tick:
            self._tick(batch)
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if batch.ended is None:
            counts["processing"] = len(batch.results)  # the API counts them only once the batch ends
        else:
            for line in batch.results:
                counts[line["result"]["type"]] += 1
        status = "ended" if batch.ended else ("canceling" if batch.cancel_requested else "in_progress")
        base = f"{request.scheme}://{request.host}"
        return {
            "id": batch.id, "type": "message_batch", "processing_status": status, "request_counts": counts,
            "created_at": _iso(batch.created), "expires_at": _iso(batch.created + _dt.timedelta(hours=24)),
            "ended_at": _iso(batch.ended) if batch.ended else None, "archived_at": None,
            "cancel_initiated_at": _iso(batch.cancel_requested) if batch.cancel_requested else None,
            "results_url": f"{base}{BATCH_PATH}/{batch.id}/results" if batch.ended else None,
        }

    @staticmethod
    def _error(status: int, etype: str, message: str) -> web.Response:
        body = {"type": "error", "error": {"type": etype, "message": message}}
        return web.json_response(body, status=status)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


def _iso(value: _dt.datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
