"""What a batch result means for its card: an answer (``Done``) or the failure a live run would
report, whether it may replace the card on disk, and where a card of any component is written."""

from __future__ import annotations

import datetime as _dt
import logging
from dataclasses import replace
from pathlib import Path

from app.core.card import CardMeta, body_sha256
from app.core.history import find_by_body_hash, record_version
from app.core.plan import Component
from app.core.pricing import usage_cost_usd
from app.core.slug import slugify, unique_slug
from app.core.store import StoredCard, StoreSnapshot
from app.engine.batch_client import BatchResult, ResultKind, parse_time
from app.engine.batch_state import PendingItem
from app.engine.card_run import REFUSAL_REASON
from app.engine.events import Cancelled, Done, Failed, NotRun, TerminalEvent
from app.engine.provider import FaultKind, StopReason
from app.errors import StoreError

log = logging.getLogger(__name__)

EXPIRED_REASON = "expired: the batch did not reach it within 24 h; the next run sends it again"
MISSING_REASON = "no result came back for it; the next run sends it again"


def batch_seconds(created_at: str | None, now: _dt.datetime) -> float:
    """A batch card's ``duration_s``: from the batch's creation to its result being read."""
    created = parse_time(created_at)
    return max(0.0, (now - created).total_seconds()) if created else 0.0


def result_event(component: str, result: BatchResult, duration_s: float) -> TerminalEvent:
    """The event a live run would have sent for this answer or failure (the text not yet linted)."""
    if result.kind is ResultKind.CANCELED:
        return Cancelled(component)
    if result.kind is ResultKind.EXPIRED:
        return NotRun(component, EXPIRED_REASON)
    if result.kind is ResultKind.ERRORED:
        return Failed(component, result.fault or FaultKind.OTHER, f"batch request errored: {result.reason}", 1)
    if result.stop_reason is StopReason.MAX_TOKENS:
        reason = "answer cut off at max_tokens; raise max_tokens in the plan"
        return Failed(component, FaultKind.TRUNCATED, reason, 1)
    if result.stop_reason is StopReason.REFUSAL:
        return Failed(component, FaultKind.REFUSED, REFUSAL_REASON, 1)
    return Done(
        component=component,
        text=result.text,
        stop_reason=result.stop_reason or StopReason.END,
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        model=result.model,
        cost_usd=usage_cost_usd(result.model, result.usage),
        duration_s=duration_s,
        attempts=1,
        cache_read_tokens=result.usage.cache_read_tokens,
        cache_write_tokens=result.usage.cache_write_5m_tokens + result.usage.cache_write_1h_tokens,
    )


def after(card: StoredCard, repair: Done) -> Done:
    """A repair's answer as the card's next one: both answers, tokens and cost summed (the lint
    keeps whichever has fewer errors, as for a live repair)."""
    costs = (card.meta.cost_usd, repair.cost_usd)
    return replace(
        repair,
        text=repair.text,
        input_tokens=card.meta.input_tokens + repair.input_tokens,
        output_tokens=card.meta.output_tokens + repair.output_tokens,
        cache_read_tokens=card.meta.cache_read_tokens + repair.cache_read_tokens,
        cache_write_tokens=card.meta.cache_write_tokens + repair.cache_write_tokens,
        cost_usd=None if None in costs else sum(c for c in costs if c is not None),
        duration_s=card.meta.duration_s + repair.duration_s,
        answers=(card.body, *(repair.answers or (repair.text,))),
    )


def as_done(card: StoredCard, *, counted: bool = False) -> Done:
    """A card already on disk, as the ``Done`` that wrote it (for a view that missed it);
    ``counted``: the view has its tokens and cost already, so they are left out."""
    meta = card.meta
    if counted:
        return Done(meta.component, card.body, StopReason.END, 0, 0, meta.model, 0.0, meta.duration_s, 1)
    return Done(meta.component, card.body, StopReason.END, meta.input_tokens, meta.output_tokens,
                meta.model, meta.cost_usd, meta.duration_s, 1, cache_read_tokens=meta.cache_read_tokens,
                cache_write_tokens=meta.cache_write_tokens)


def kept_reason(card: StoredCard | None, item: PendingItem, force: bool) -> str | None:
    """Why a result must not replace the card on disk; None when it may. It may only when the
    card is still exactly what it was when sent (or there is none), is not locked, and was not
    edited unless sent with ``--force``."""
    if card is None:
        return None
    if card.meta.locked:
        return "it is locked"
    if body_sha256(card.body) != item.card_sha256:
        return "it was edited since it was sent" if card.edited else "it changed since it was sent"
    if card.edited and not force:
        return "it is edited"
    return None


def keep_in_history(folder: Path, card: StoredCard, item: PendingItem, done: Done, body: str) -> None:
    """A result as a version of a card it must not replace: nothing paid for is lost."""
    stem = card.path.stem
    if find_by_body_hash(folder, stem, body_sha256(body)) is not None:
        return
    now = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    meta = CardMeta(component=card.meta.component, model=done.model, input_tokens=done.input_tokens,
                    output_tokens=done.output_tokens, cache_read_tokens=done.cache_read_tokens,
                    cache_write_tokens=done.cache_write_tokens, cost_usd=done.cost_usd, duration_s=done.duration_s,
                    request_sha256=item.request_sha256, body_sha256=body_sha256(body), generated_at=now,
                    batch=True)
    try:
        record_version(folder, stem, meta, body, "generated")
    except StoreError as exc:
        log.warning("%s", exc.message)  # the card itself is untouched; the run goes on


def with_orphans(snapshot: StoreSnapshot) -> StoreSnapshot:
    """The snapshot with orphan cards (components that left the plan) under their names too, so
    that a result for a component the writer removed meanwhile lands on its card, not nowhere."""
    cards, slugs = dict(snapshot.cards), dict(snapshot.slugs)
    for orphan in snapshot.orphans:
        key = orphan.meta.component.casefold()
        if key not in cards:
            cards[key] = orphan
            slugs[key] = orphan.path.stem
    return replace(snapshot, cards=cards, slugs=slugs)


def give_slug(snapshot: StoreSnapshot, name: str) -> None:
    """A free file name for a component the plan no longer has (its card will be an orphan)."""
    key = name.casefold()
    if key in snapshot.slugs:
        return
    taken = set(snapshot.slugs.values()) | _stems(snapshot.folder)
    snapshot.slugs[key] = unique_slug(slugify(name), taken)


def removed_component(name: str) -> Component:
    return Component(name=name, instruction="", line=0)


def _stems(folder: Path) -> set[str]:
    try:
        return {p.name.rsplit(".", 1)[0] for p in folder.iterdir()}
    except OSError:
        return set()
