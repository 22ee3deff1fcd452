"""The preview's render cache: a plan opened before shows its cards as rendered then, through the
same allowlist, and a cache of another renderer is rendered again (docs/architecture.md#start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from app.core.render import highlight_css, render_card
from app.core.render_cache import (
    RenderCache,
    card_digest,
    load_highlight,
    load_render_cache,
    renderer_stamp,
    save_render_cache,
)
from app.core.states import CardState
from app.ui.preview import PreviewCard, PreviewView
from tests.fakes.cards import good_card
from tests.helpers.cli import copy_example
from tests.helpers.webpage import run_js
from tests.helpers.window import MakeWindow, read_dom

pytestmark = pytest.mark.gui

CARDS_HTML = 'document.getElementById("cards").innerHTML'
BODIES_JS = """Array.from(document.querySelectorAll("#cards > article.card")).map(
  a => Array.from(a.children).filter(c => !c.matches(".card-head, .review")).map(c => c.outerHTML).join(""))"""
HOSTILE = '<h1>From the cache</h1><img src="x" onerror="alert(1)"><script>steal()</script><p class="notice">fake</p>'


def a_card(key: str = "a") -> PreviewCard:
    return PreviewCard(key=key, name=key.upper(), body=good_card(key.upper(), "python"), status=CardState.DONE.value)


def preview_with(qtbot: Any, cache: RenderCache | None, highlight: str | None = None) -> PreviewView:
    view = PreviewView(cache=cache, highlight=highlight)
    qtbot.addWidget(view)
    view.resize(PreviewView.COLUMN_PX, 600)
    view.show()
    qtbot.waitUntil(lambda: view.is_loaded, timeout=20000)
    return view


def shown_html(qtbot: Any, view: PreviewView) -> str:
    view.flush()
    return run_js(qtbot, view.page(), CARDS_HTML)


def test_a_card_in_the_cache_is_shown_from_it_through_the_allowlist(qtbot: Any) -> None:
    card = a_card()
    view = preview_with(qtbot, RenderCache(renderer_stamp(), {card_digest(card.body): HOSTILE}))
    view.set_cards([card])
    html = shown_html(qtbot, view)
    assert "From the cache" in html  # not rendered: taken from the cache
    assert "onerror" not in html and "steal" not in html and "<script" not in html
    assert 'class="notice"' not in html  # the app's own classes stay the app's


def test_a_card_edited_since_misses_the_cache(qtbot: Any) -> None:
    card = a_card()
    view = preview_with(qtbot, RenderCache(renderer_stamp(), {card_digest("older text"): HOSTILE}))
    view.set_cards([card])
    assert "From the cache" not in shown_html(qtbot, view)


def test_a_cache_of_another_renderer_is_rendered_again(qtbot: Any) -> None:
    card = a_card()
    view = preview_with(qtbot, RenderCache("another renderer", {card_digest(card.body): HOSTILE}))
    view.set_cards([card])
    assert "From the cache" in shown_html(qtbot, view)
    with qtbot.waitSignal(view.rendered, timeout=5000):
        view.check_cache(renderer_stamp(), highlight_css())
    html = shown_html(qtbot, view)
    assert "From the cache" not in html and "<h1>A</h1>" in html
    # What goes back to the cache is what is shown now, under the current stamp.
    assert view.render_cache(renderer_stamp()).fragments == {card_digest(card.body): render_card(card.body)}


def test_new_colours_reload_the_shell_with_the_cards(qtbot: Any) -> None:
    card = a_card()
    old = ".highlight .k { color: #123456 }"
    view = preview_with(qtbot, None, highlight=old)
    view.set_cards([card])
    shown_html(qtbot, view)
    assert "#123456" in run_js(qtbot, view.page(), "document.querySelector('style').textContent")
    with qtbot.waitSignal(view.loaded, timeout=20000):
        view.check_cache(renderer_stamp(), highlight_css())
    assert "#123456" not in run_js(qtbot, view.page(), "document.querySelector('style').textContent")
    assert "<h1>A</h1>" in shown_html(qtbot, view)


def test_the_cache_holds_exactly_the_cards_shown(qtbot: Any) -> None:
    view = preview_with(qtbot, None)
    cards = [a_card("a"), a_card("b")]
    view.set_cards(cards)
    shown_html(qtbot, view)
    view.set_cards(cards[1:])  # a card gone from the plan is gone from the cache
    shown_html(qtbot, view)
    cache = view.render_cache("stamp")
    assert cache.fragments == {card_digest(cards[1].body): render_card(cards[1].body)}
    assert cache.stamp == "stamp" and view.highlight == highlight_css()


def test_a_plan_reopened_shows_the_same_cards_from_its_cache(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    qtbot.waitUntil(lambda: len(read_dom(window, qtbot, BODIES_JS)) == 6, timeout=10000)
    first = read_dom(window, qtbot, BODIES_JS)
    window.close()  # writes the cache now (else 2 s after the preview last rendered a card)
    cache = load_render_cache(plan)
    assert cache is not None and cache.stamp == renderer_stamp() and len(cache.fragments) == 6
    assert load_highlight() == highlight_css()  # the shell's colours, kept for every plan

    # Mark the cached HTML so that the reopened window visibly shows it from the cache.
    marked = RenderCache(cache.stamp, {k: v.replace("<h1>", '<h1 title="cached">', 1) for k, v in cache.fragments.items()})
    save_render_cache(plan, marked)
    again = make_window(plan)
    qtbot.waitUntil(lambda: len(read_dom(again, qtbot, BODIES_JS)) == 6, timeout=10000)
    reopened = read_dom(again, qtbot, BODIES_JS)
    assert [b.replace(' title="cached"', "") for b in reopened] == first
    assert all('title="cached"' in b for b in reopened)
