"""The preview's markup, without Qt: one card's article, and the script that writes cards into the page.

Card bodies are model output: ``card_fragment`` renders them through ``render_card`` (sanitized);
everything else here is built by the app with every value escaped. Scripts carry keys and HTML as
JSON values, never as script text.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.core.card import Finding
from app.core.fences import close_open_fence
from app.core.render import MAX_PREVIEW_BYTES, render_card, too_large, too_large_notice
from app.core.review import CardReview, ReviewStatus, review_status
from app.core.states import CardState

log = logging.getLogger(__name__)

_STATUS_CLASS = re.compile(r"[^a-z0-9-]")


@dataclass(frozen=True)
class PreviewCard:
    """What the preview shows for one component."""

    key: str
    """Component key (casefolded name); identifies the card's article in the page."""
    name: str
    body: str
    """Card Markdown; ``""`` while queued or missing (a placeholder is shown)."""
    status: str
    """The card's state (a ``CardState``): missing, queued, streaming, done, failed, edited..."""
    findings: tuple[Finding, ...] = ()
    review: CardReview | None = None
    """The card's stored review (``card.meta.review``); shown above the card while it holds for
    ``body``, as stale once the text differs."""

    @property
    def review_status(self) -> ReviewStatus:
        return review_status(self.review, self.body)

    @property
    def state(self) -> CardState | None:
        """The status as a ``CardState`` (None for a word that names none)."""
        try:
            return CardState(self.status)
        except ValueError:
            return None

    def shown_body(self) -> str:
        """The Markdown the preview renders: while a run is still writing the card, a code fence
        left open is closed (for display only), so its code shows as code, not as a paragraph."""
        state = self.state
        return close_open_fence(self.body) if state is not None and state.busy else self.body


# --- Markup ---------------------------------------------------------------------------------


def _placeholder(state: CardState | None) -> str:
    # An empty body while a run has the card means "the text is on its way", not "no card".
    text = "Waiting…" if state is not None and state.waiting else "No card yet."
    return f'<p class="notice placeholder">{text}</p>'


def _head_html(card: PreviewCard) -> str:
    status_class = _STATUS_CLASS.sub("", card.status.lower()) or "unknown"
    return (
        '<div class="card-head">'
        f'<span class="badge {status_class}">{html.escape(card.status)}</span> '
        f'<span class="card-name">{html.escape(card.name)}</span>'
        "</div>"
    )


_VERDICT_CLASS = {
    ReviewStatus.PASS: "done", ReviewStatus.REVISE: "warning", ReviewStatus.FAIL: "error",
    ReviewStatus.STALE: "stale",
}


def review_html(card: PreviewCard) -> str:
    """The verdict above the card: its badge, the reviewer, each note and the summary, all model
    text escaped; a stale review shows only that it is stale; no review shows nothing."""
    status, review = card.review_status, card.review
    if review is None or status is ReviewStatus.NONE:
        return ""
    badge = f'<span class="badge {_VERDICT_CLASS[status]}">review: {html.escape(status.label)}</span>'
    if status is ReviewStatus.STALE:
        return f'<div class="review stale">{badge} <span class="rule">the card changed since</span></div>'
    notes = "".join(
        f'<li class="finding {"error" if n.severity == "error" else "warning"}">'
        f'{html.escape((f"line {n.line}: " if n.line is not None else "") + n.message)}</li>'
        for n in review.notes
    )
    summary = f'<p class="review-summary">{html.escape(review.summary)}</p>' if review.summary else ""
    listing = f'<ul class="findings">{notes}</ul>' if notes else ""
    model = html.escape(review.model)
    return f'<div class="review {status.value}">{badge} <span class="rule">{model}</span>{summary}{listing}</div>'



def _finding_html(finding: Finding) -> str:
    severity = "error" if finding.severity == "error" else "warning"
    where = f"line {finding.line}: " if finding.line is not None else ""
    return (
        f'<li class="finding {severity}">{html.escape(where + finding.message)} '
        f'<span class="rule">{html.escape(finding.rule)}</span></li>'
    )


def _findings_html(findings: Iterable[Finding]) -> str:
    items = "".join(_finding_html(f) for f in findings)
    return f'<ul class="findings">{items}</ul>' if items else ""


def _body_too_large_notice(size_bytes: int) -> str:
    return (
        f'<p class="notice">This card is too large to preview ({size_bytes:,} bytes of Markdown; '
        f"the limit is {MAX_PREVIEW_BYTES:,}). Open the card file to read it.</p>"
    )


def card_fragment(body: str) -> str:
    """The sanitized HTML of a card body, or a too-large notice in its place."""
    # A body over the limit is no card, and rendering megabytes (Pygments above all) would freeze
    # the window for seconds on every update; the cheap length test skips encoding normal cards.
    if len(body) * 4 > MAX_PREVIEW_BYTES:
        body_bytes = len(body.encode("utf-8"))
        if body_bytes > MAX_PREVIEW_BYTES:
            return _body_too_large_notice(body_bytes)
    try:
        fragment = render_card(body)
    except Exception:  # a renderer bug must not take the window down; the card says so instead
        log.exception("could not render a card for the preview")
        return '<p class="notice">This card could not be rendered.</p>'
    if too_large(fragment):
        return too_large_notice(len(fragment.encode("utf-8")))
    return fragment


def article_inner_html(card: PreviewCard, fragment: str | None) -> str:
    """The inside of one ``<article class="card">``: head, body (or placeholder), findings.

    ``fragment`` is ``card_fragment(card.shown_body())`` (``None`` for an empty body).
    """
    body = fragment if fragment is not None else _placeholder(card.state)
    return f"{_head_html(card)}{review_html(card)}\n{body.strip()}\n{_findings_html(card.findings)}"


# Runs in the application world: page content has no JavaScript of its own. Keys and HTML arrive as
# JSON values, never as script text; articles are found by key, changed ones get new innerHTML,
# untouched ones stay the same DOM nodes, and scroll is only touched for an explicit scroll_to.
_UPDATE_JS = """\
(function (p) {
  var main = document.getElementById("cards");
  if (!main) { return false; }
  if (p.theme !== null) {
    var cls = document.documentElement.classList;
    cls.remove("theme-light", "theme-dark");
    if (p.theme === "light" || p.theme === "dark") { cls.add("theme-" + p.theme); }
  }
  var byKey = new Map();
  Array.prototype.forEach.call(main.children, function (el) { byKey.set(el.dataset.key, el); });
  if (p.order !== null) {
    var wanted = new Set(p.order);
    byKey.forEach(function (el, key) { if (!wanted.has(key)) { el.remove(); byKey.delete(key); } });
    var prev = null;
    p.order.forEach(function (key) {
      var el = byKey.get(key);
      if (!el) {
        el = document.createElement("article");
        el.className = "card";
        el.dataset.key = key;
        byKey.set(key, el);
      }
      var here = prev ? prev.nextSibling : main.firstChild;
      if (el !== here) { main.insertBefore(el, here); }
      prev = el;
    });
  }
  p.html.forEach(function (pair) {
    var el = byKey.get(pair[0]);
    if (el) { el.innerHTML = pair[1]; }
  });
  if (p.scroll !== null) {
    var target = byKey.get(p.scroll);
    if (target) {
      // Cards out of view are not laid out (content-visibility) and count with a guessed height;
      // the target and the cards just above it (those that come into view with it and could
      // push it down) are laid out now, so the jump lands where asked and stays.
      main.querySelectorAll("article.near").forEach(function (el) { el.classList.remove("near"); });
      for (var el = target, i = 0; i < 4 && el; i++, el = el.previousElementSibling) {
        el.classList.add("near");
      }
      target.scrollIntoView({block: "start"});
    }
  }
  return true;
})(%s);
"""


def update_script(
    *,
    order: list[str] | None = None,
    changes: Sequence[tuple[str, str]] = (),
    scroll: str | None = None,
    theme: str | None = None,
) -> str:
    """One application-world script: reorder articles, replace changed ones, scroll, theme."""
    payload = {
        "order": order,
        "html": [[key, markup] for key, markup in changes],
        "scroll": scroll,
        "theme": theme,
    }
    # ensure_ascii keeps the literal plain ASCII: no U+2028 or encoding surprises inside the script.
    return _UPDATE_JS % json.dumps(payload, ensure_ascii=True)


def split_changes(changes: list[tuple[str, str]], limit: int) -> list[list[tuple[str, str]]]:
    batches: list[list[tuple[str, str]]] = [[]]
    size = 0
    for key, markup in changes:
        cost = len(key) + len(markup) + 16
        if batches[-1] and size + cost > limit:
            batches.append([])
            size = 0
        batches[-1].append((key, markup))
        size += cost
    return batches
