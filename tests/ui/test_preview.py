"""The preview column: cards in plan order, in-place updates, coalescing, notices, links, themes."""

from __future__ import annotations

import json
import logging
import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QContextMenuEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWidgets import QApplication, QMenu

import app.ui.preview as preview_module
from app.core.card import Finding
from app.core.render import MAX_PREVIEW_BYTES
from app.core.states import CardState
from app.ui.preview import UPDATE_INTERVAL_MS, PreviewCard, PreviewView
from tests.fakes.beacon import Beacon
from tests.fakes.cards import good_card
from tests.helpers.webpage import run_js

pytestmark = pytest.mark.gui

SHELL_TITLE = "Cardsmith preview"

ARTICLES_JS = """
Array.from(document.querySelectorAll("#cards > article.card")).map(function (a) {
  var h1 = a.querySelector("h1");
  return [a.dataset.key, h1 ? h1.textContent : null,
          a.querySelector(".card-head .card-name").textContent,
          a.querySelector(".card-head .badge").className];
})
"""

FRAMES_JS = """(function (n) { window.__framesLeft = n;
  function tick() { if (--window.__framesLeft > 0) { requestAnimationFrame(tick); } }
  requestAnimationFrame(tick); return n; })(%d)"""


def card(key: str, body: str | None = None, status: str = "done", **kw: Any) -> PreviewCard:
    name = key.upper()
    text = good_card(name, "python") if body is None else body
    return PreviewCard(key=key, name=name, body=text, status=status, **kw)


def shown(qtbot: Any, view: PreviewView) -> list[list[Any]]:
    view.flush()
    return run_js(qtbot, view.page(), ARTICLES_JS)


@pytest.fixture(scope="module")
def beacon() -> Iterator[Beacon]:
    with Beacon() as server:
        yield server


@pytest.fixture(scope="module")
def opened() -> list[QUrl]:
    return []


@pytest.fixture(scope="module")
def shared_view(qapp: QApplication, opened: list[QUrl]) -> Iterator[PreviewView]:
    # One view for the module: a WebEngine view costs ~0.5 s and ~0.5 GB to start.
    view = PreviewView(open_url=opened.append)
    view.resize(PreviewView.COLUMN_PX, 300)
    view.show()
    yield view
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def view(shared_view: PreviewView, opened: list[QUrl], qtbot: Any, beacon: Beacon) -> PreviewView:
    qtbot.waitUntil(lambda: shared_view.is_loaded, timeout=20000)
    shared_view.set_cards([])
    shared_view.flush()
    run_js(qtbot, shared_view.page(), "window.scrollTo(0, 0)")
    opened.clear()
    beacon.reset()
    return shared_view


@pytest.fixture
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.WARNING, logger="app.ui.preview"):
        yield
    assert [r.getMessage() for r in caplog.records if r.name == "app.ui.preview"] == []


def test_the_column_is_exactly_400_px(view: PreviewView, qtbot: Any) -> None:
    assert view.width() == 400
    assert view.minimumWidth() == view.maximumWidth() == 400
    view.resize(900, 300)
    assert view.width() == 400
    # The page itself sees 400 px, 12 of them the always-present scrollbar (the width budget).
    assert run_js(qtbot, view.page(), "[window.innerWidth, document.documentElement.clientWidth]") == [
        400,
        388,
    ]


def test_set_cards_shows_one_article_per_card_in_plan_order(
    view: PreviewView, qtbot: Any, no_errors_logged: None
) -> None:
    view.set_cards([card("b"), card("a"), card("c")])
    assert shown(qtbot, view) == [
        ["b", "B", "B", "badge done"],
        ["a", "A", "A", "badge done"],
        ["c", "C", "C", "badge done"],
    ]
    run_js(qtbot, view.page(), 'document.querySelectorAll("#cards > article").forEach(a => a.__mark = a.dataset.key)')

    # Reorder, drop one, add one: surviving articles are moved, not rebuilt.
    view.set_cards([card("c"), card("d", status="stale"), card("b"), card("b", status="failed")])
    assert shown(qtbot, view) == [
        ["c", "C", "C", "badge done"],
        ["d", "D", "D", "badge stale"],
        ["b", "B", "B", "badge done"],  # a repeated key keeps its first place and card
    ]
    marks = run_js(qtbot, view.page(), 'Array.from(document.querySelectorAll("#cards > article")).map(a => a.__mark || null)')
    assert marks == ["c", None, "b"]


def test_update_card_replaces_only_that_card_and_keeps_the_scroll_position(
    view: PreviewView, qtbot: Any, no_errors_logged: None
) -> None:
    keys = [f"k{i}" for i in range(6)]
    view.set_cards([card(k) for k in keys])
    view.flush()
    page = view.page()
    height = run_js(qtbot, page, "document.documentElement.scrollHeight")
    assert height > 1500  # six cards: the page scrolls
    run_js(qtbot, page, "window.scrollTo(0, 700)")
    qtbot.waitUntil(lambda: run_js(qtbot, page, "window.scrollY") == 700, timeout=3000)
    run_js(
        qtbot,
        page,
        'document.querySelectorAll("#cards > article").forEach(function (a) {'
        '  a.__mark = a.dataset.key; a.querySelector("h1").__mark = a.dataset.key; })',
    )

    for changed in ("k2", "k5"):  # one in view, one below it
        new_body = good_card(changed.upper(), "python").replace("smallest version", f"updated {changed}")
        view.update_card(card(changed, new_body, status="edited"))
        view.flush()
        state = run_js(
            qtbot,
            page,
            """Array.from(document.querySelectorAll("#cards > article")).map(a => [
                 a.__mark || null, a.querySelector("h1").__mark || null,
                 a.querySelector(".badge").textContent, a.textContent.includes("updated")])""",
        )
        assert [row[0] for row in state] == keys  # every article is still the same node
        assert state[int(changed[1])][1:] == [None, "edited", True]  # its content was replaced
        assert run_js(qtbot, page, "window.scrollY") == 700
    untouched = [row for i, row in enumerate(state) if i not in (2, 5)]
    assert all(row[1] == row[0] and row[2] == "done" and not row[3] for row in untouched)


def test_streaming_updates_are_coalesced_and_the_last_text_wins(
    view: PreviewView, qtbot: Any, monkeypatch: pytest.MonkeyPatch, no_errors_logged: None
) -> None:
    renders: list[str] = []
    real_fragment = preview_module.card_fragment

    def counting_fragment(body: str) -> str:
        renders.append(body)
        return real_fragment(body)

    monkeypatch.setattr(preview_module, "card_fragment", counting_fragment)
    view.set_cards([card("a"), card("s", "", status="queued"), card("z")])
    view.flush()
    text = good_card("S", "python") + "\nThe final words of the stream."
    calls_before = view.js_calls
    renders.clear()
    started = time.monotonic()
    for i in range(1, 201):
        view.update_card(card("s", text[: len(text) * i // 200], status="streaming"))
        QApplication.processEvents()
        time.sleep(0.002)
    view.update_card(card("s", text, status="done"))
    elapsed_ms = (time.monotonic() - started) * 1000
    view.flush()
    calls = view.js_calls - calls_before
    # At most one script per interval (plus the first one and the final flush).
    assert 1 <= calls <= elapsed_ms / UPDATE_INTERVAL_MS + 3
    assert calls < 50
    # Only bodies that were sent got rendered; "a" and "z" were not re-rendered at all.
    assert 1 <= len(renders) <= calls + 1
    assert all(body.startswith("# S") for body in renders)
    shown_text = run_js(qtbot, view.page(), 'document.querySelector("article[data-key=s]").textContent')
    assert "The final words of the stream." in shown_text
    assert run_js(qtbot, view.page(), 'document.querySelector("article[data-key=s] .badge").textContent') == "done"


def test_a_streaming_card_shows_its_open_code_fence_as_code(view: PreviewView, qtbot: Any) -> None:
    # The model has opened the fence and not closed it yet.
    body = "# K\n\nIt is short. It is typed.\n\n```typescript\ninterface Foo {\n  id: string;\n"
    code = ('(function () { var pre = document.querySelector("article[data-key=k] pre");'
            ' return pre ? pre.textContent : null; })()')
    paragraphs = ('Array.from(document.querySelectorAll("article[data-key=k] p"))'
                  '.map(p => p.textContent).join("\\n")')
    for state in (CardState.STREAMING, CardState.REPAIRING):
        view.set_cards([card("k", body, status=state)])
        view.flush()
        shown_code = run_js(qtbot, view.page(), code)
        assert shown_code is not None, f"no code block while {state}"
        assert "interface Foo {\n  id: string;" in shown_code
        assert "```" not in run_js(qtbot, view.page(), paragraphs)


def test_only_a_card_a_run_is_writing_has_its_open_fence_closed_and_only_for_display() -> None:
    body = "# K\n\n```python\nx = 1\n"
    streaming = PreviewCard("k", "K", body, CardState.STREAMING)
    assert streaming.shown_body() == body + "```\n" and streaming.body == body
    assert PreviewCard("k", "K", body, CardState.DONE).shown_body() == body
    assert PreviewCard("k", "K", body + "```\n", CardState.STREAMING).shown_body() == body + "```\n"


def test_a_card_whose_html_is_too_large_shows_the_notice(view: PreviewView, qtbot: Any) -> None:
    # ~220 kB of Markdown whose HTML is over 1 MB ("&" becomes "&amp;").
    big = "# Big\n\n" + ("&" * 200 + "\n\n") * 1100
    huge = "# Huge\n\n" + "word " * (MAX_PREVIEW_BYTES // 5 + 10)
    view.set_cards([card("a"), card("big", big), card("huge", huge)])
    view.flush()
    notices = run_js(
        qtbot,
        view.page(),
        'Array.from(document.querySelectorAll("#cards > article")).map(a => '
        '[a.querySelector(".notice") ? a.querySelector(".notice").textContent : null, a.textContent.length])',
    )
    assert notices[0][0] is None
    assert "too large to preview" in notices[1][0] and "1,000,000" in notices[1][0]
    assert "too large to preview" in notices[2][0]
    assert notices[1][1] < 1000 and notices[2][1] < 1000  # the notice instead of the text


def test_findings_are_listed_with_line_and_severity_as_text(view: PreviewView, qtbot: Any) -> None:
    findings = (
        Finding("code-lines", "error", "18 code lines; the limit is 15", 5),
        Finding("why-sentences", "warning", "the <b>why</b> has 1 sentence"),
    )
    view.set_cards([card("a", findings=findings)])
    view.flush()
    items = run_js(
        qtbot,
        view.page(),
        'Array.from(document.querySelectorAll("article[data-key=a] ul.findings > li")).map(li => '
        '[li.className, li.textContent, li.querySelector("b") === null])',
    )
    assert items == [
        ["finding error", "line 5: 18 code lines; the limit is 15 code-lines", True],
        ["finding warning", "the <b>why</b> has 1 sentence why-sentences", True],
    ]


def test_empty_bodies_show_a_placeholder(view: PreviewView, qtbot: Any) -> None:
    view.set_cards([card("q", "", status="queued"), card("m", "", status="missing")])
    view.flush()
    texts = run_js(
        qtbot, view.page(), 'Array.from(document.querySelectorAll("#cards .placeholder")).map(p => p.textContent)'
    )
    assert texts == ["Waiting…", "No card yet."]


def _click_link(qtbot: Any, view: PreviewView, selector: str) -> None:
    rect = run_js(
        qtbot,
        view.page(),
        f"""(function () {{ var a = document.querySelector({json.dumps(selector)});
            a.scrollIntoView({{block: "center"}}); var r = a.getBoundingClientRect();
            return [r.left + r.width / 2, r.top + r.height / 2]; }})()""",
    )
    # A card that has just arrived is laid out and painted in a later frame (content-visibility);
    # until then a click would land on its placeholder, not on the link. A user clicks what they see.
    hit = (f"(function () {{ var e = document.elementFromPoint({int(rect[0])}, {int(rect[1])}); "
           f"return !!e && e.closest('a') === document.querySelector({json.dumps(selector)}); }})()")
    qtbot.waitUntil(lambda: run_js(qtbot, view.page(), hit) is True, timeout=5000)
    target = view.focusProxy() or view
    QTest.mouseClick(target, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(int(rect[0]), int(rect[1])))


def test_clicked_links_go_to_the_desktop_and_never_navigate(
    view: PreviewView, qtbot: Any, opened: list[QUrl], beacon: Beacon
) -> None:
    link = beacon.url("clicked?from=preview")
    body = f"# L\n\nRead [the docs]({link}) or [write](mailto:team@example.com) to us.\n"
    view.set_cards([card("l", body)])
    view.flush()
    shell_url = view.url()
    qtbot.waitUntil(lambda: view.focusProxy() is not None, timeout=5000)

    _click_link(qtbot, view, 'a[href^="http"]')
    qtbot.waitUntil(lambda: len(opened) == 1, timeout=5000)
    assert opened[0] == QUrl(link)

    # mailto: stays a link but all but http(s) is ignored (docs/architecture.md#preview-safety); so are links the
    # sanitizer would never let through (planted here from the app world).
    _click_link(qtbot, view, 'a[href^="mailto"]')
    run_js(
        qtbot,
        view.page(),
        """["file:///etc/hostname", "javascript:document.title='clicked'", "ftp://127.0.0.1/x"]
           .forEach(function (href, i) { var a = document.createElement("a"); a.href = href;
             a.id = "planted" + i; a.textContent = "planted link " + i; a.style.display = "block";
             document.body.appendChild(a); })""",
    )
    for i in range(3):
        _click_link(qtbot, view, f"#planted{i}")
    # Clicks are handled in order: once a last click on the real link arrives, the planted ones
    # have been handled too.
    _click_link(qtbot, view, 'a[href^="http"]')
    qtbot.waitUntil(lambda: len(opened) == 2, timeout=5000)
    assert opened == [QUrl(link), QUrl(link)]
    assert view.url() == shell_url
    assert view.title() == SHELL_TITLE
    assert shown(qtbot, view) == [["l", "L", "L", "badge done"]]
    assert beacon.hits == []
    run_js(qtbot, view.page(), 'document.querySelectorAll("[id^=planted]").forEach(a => a.remove())')


def test_navigation_policy(view: PreviewView, opened: list[QUrl]) -> None:
    page = view.page()
    types = QWebEnginePage.NavigationType
    for url in ("file:///etc/passwd", "javascript:alert(1)", "ftp://example.com/", "data:text/html,x"):
        assert page.acceptNavigationRequest(QUrl(url), types.NavigationTypeLinkClicked, True) is False
    assert opened == []
    # Only the view's own shell load is accepted, and only once.
    assert page.acceptNavigationRequest(QUrl("data:text/html,x"), types.NavigationTypeTyped, True) is False
    for kind in (types.NavigationTypeOther, types.NavigationTypeRedirect, types.NavigationTypeFormSubmitted):
        assert page.acceptNavigationRequest(QUrl("https://example.com/"), kind, True) is False
    assert opened == []
    assert page.createWindow(QWebEnginePage.WebWindowType.WebBrowserTab) is None


def test_scroll_to_brings_the_card_into_view(view: PreviewView, qtbot: Any) -> None:
    view.set_cards([card(f"k{i}") for i in range(6)])
    view.scroll_to("k3")
    view.flush()
    top = run_js(qtbot, view.page(), 'document.querySelector("article[data-key=k3]").getBoundingClientRect().top')
    assert abs(top) < 1
    assert run_js(qtbot, view.page(), "window.scrollY") > 0


def test_scroll_to_lands_and_stays_among_many_cards_of_different_heights(
    view: PreviewView, qtbot: Any
) -> None:
    # Cards out of view are not laid out and count with a guessed height until they show.
    def body(i: int) -> str:
        return f"# K{i}\n\n" + "\n\n".join(f"Paragraph {j} of card {i}." for j in range(1 + i % 7))

    view.set_cards([card(f"k{i}", body(i)) for i in range(40)])
    view.flush()
    for key in ("k30", "k12", "k37"):
        view.scroll_to(key)
        view.flush()
        # Several frames: cards that came into view have been laid out.
        run_js(qtbot, view.page(), FRAMES_JS % 4)
        qtbot.waitUntil(lambda: run_js(qtbot, view.page(), "window.__framesLeft") == 0, timeout=5000)
        top = run_js(qtbot, view.page(), f'document.querySelector("article[data-key={key}]").getBoundingClientRect().top')
        assert abs(top) < 1, (key, top)


def test_a_burst_is_rendered_a_slice_per_turn_of_the_event_loop_and_scrolls_last(
    view: PreviewView, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(preview_module, "RENDER_SLICE_S", 0.0)  # one card per slice
    before = view.js_calls
    view.set_cards([card(f"k{i}") for i in range(6)])
    view.scroll_to("k5")
    filled = 'Array.from(document.querySelectorAll("#cards > article.card h1")).length'
    qtbot.waitUntil(lambda: run_js(qtbot, view.page(), filled) == 6, timeout=10000)
    assert view.js_calls - before == 6  # one script per card, none held back
    top = run_js(qtbot, view.page(), 'document.querySelector("article[data-key=k5]").getBoundingClientRect().top')
    assert abs(top) < 1


def test_set_theme_switches_the_html_class(view: PreviewView, qtbot: Any) -> None:
    classes = 'Array.from(document.documentElement.classList)'
    view.set_theme("dark")
    view.flush()
    assert run_js(qtbot, view.page(), classes) == ["theme-dark"]
    view.set_theme("light")
    view.flush()
    assert run_js(qtbot, view.page(), classes) == ["theme-light"]
    view.set_theme("auto")
    view.flush()
    assert run_js(qtbot, view.page(), classes) == []
    with pytest.raises(ValueError, match="blue"):
        view.set_theme("blue")


def test_update_for_a_card_not_in_the_plan_is_ignored(view: PreviewView, qtbot: Any) -> None:
    view.set_cards([card("a")])
    view.update_card(card("ghost"))
    assert [row[0] for row in shown(qtbot, view)] == ["a"]


# The offscreen platform cannot raise a popup or grab the keyboard for it; harmless here.
@pytest.mark.qt_log_ignore(r"This plugin does not support (raise\(\)|grabbing the keyboard)")
def test_the_context_menu_only_copies(view: PreviewView, qtbot: Any) -> None:
    view.contextMenuEvent(
        QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(10, 10), view.mapToGlobal(QPoint(10, 10)))
    )
    menus = [m for m in view.findChildren(QMenu) if m.isVisible()]
    assert len(menus) == 1
    actions = {a.text().replace("&", "") for a in menus[0].actions()}
    menus[0].close()
    copy = view.pageAction(QWebEnginePage.WebAction.Copy).text().replace("&", "")
    select_all = view.pageAction(QWebEnginePage.WebAction.SelectAll).text().replace("&", "")
    assert actions == {copy, select_all}


def test_calls_before_the_shell_loaded_are_applied_once_it_has(qtbot: Any, no_errors_logged: None) -> None:
    view = PreviewView(theme="light")
    qtbot.addWidget(view)
    assert not view.is_loaded
    view.set_cards([card("a"), card("b", "", status="queued")])
    view.update_card(card("b", "# B\n\nStreamed text.\n", status="streaming"))
    view.set_theme("dark")
    view.flush()  # not loaded yet: nothing is lost
    assert view.js_calls == 0
    with qtbot.waitSignal(view.loaded, timeout=20000):
        pass
    assert view.is_loaded
    assert shown(qtbot, view) == [["a", "A", "A", "badge done"], ["b", "B", "B", "badge streaming"]]
    assert run_js(qtbot, view.page(), "Array.from(document.documentElement.classList)") == ["theme-dark"]


@pytest.mark.skipif(not hasattr(os, "kill"), reason="needs os.kill")
def test_a_crashed_renderer_gets_the_shell_and_cards_back(qtbot: Any, caplog: pytest.LogCaptureFixture) -> None:
    view = PreviewView()
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.is_loaded, timeout=20000)
    view.set_cards([card("a"), card("b")])
    view.flush()
    pid = view.page().renderProcessPid()
    assert pid > 0
    with caplog.at_level(logging.WARNING, logger="app.ui.preview"):
        with qtbot.waitSignal(view.loaded, timeout=20000):
            os.kill(pid, signal.SIGKILL)  # our own renderer child process
    assert "renderer ended" in caplog.text
    assert [row[0] for row in shown(qtbot, view)] == ["a", "b"]


def test_ctrl_wheel_does_not_zoom_the_column_but_wheel_scrolls(view: PreviewView, qtbot: Any) -> None:
    # The code width budget assumes zoom 1.0 (docs/formats.md#the-card-contract).
    view.set_cards([card(f"k{i}") for i in range(5)])
    view.flush()
    qtbot.waitUntil(lambda: view.focusProxy() is not None, timeout=5000)
    target = view.focusProxy()

    def wheel(modifier: Qt.KeyboardModifier) -> None:
        for _ in range(3):
            QApplication.sendEvent(
                target,
                QWheelEvent(
                    QPointF(100, 100), QPointF(target.mapToGlobal(QPoint(100, 100))), QPoint(0, 0),
                    QPoint(0, -120), Qt.MouseButton.NoButton, modifier, Qt.ScrollPhase.NoScrollPhase, False,
                ),
            )  # fmt: skip

    wheel(Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(200)
    assert view.zoomFactor() == 1.0
    assert run_js(qtbot, view.page(), "window.scrollY") == 0
    wheel(Qt.KeyboardModifier.NoModifier)
    qtbot.waitUntil(lambda: run_js(qtbot, view.page(), "window.scrollY") > 0, timeout=3000)
    assert view.zoomFactor() == 1.0
