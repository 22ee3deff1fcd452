"""Issue 7's hostile-card catalog through each preview layer alone, all together, and the HTML export
opened in a browser engine with JavaScript on.

The attack bench comes from tests/helpers/preview_attack.py (tests/ui/test_preview_security.py runs
its own payload list the same way); the catalog is in tests/helpers/hostile.py, the export's
parse-only check in tests/survival/test_hostile_cards.py. It lives under tests/ui so that the one
QApplication/qasync setup of tests/ui/conftest.py applies. Every "0 beacon requests" is preceded by a control that
shows the same payloads, unprotected, do reach the beacon and do run script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import markdown
import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWebEngineCore import QWebEngineSettings

from app.core.render import render_card, shell_html
from app.ui.preview_markup import PreviewCard
from app.ui.preview_page import ShellOnlyInterceptor
from tests.fakes.beacon import Beacon
from tests.helpers.hostile import export_html, hostile_kinds, payload_card
from tests.helpers.preview_attack import (  # noqa: F401 - fixtures used by name
    PWNED_JS,
    assert_javascript_is_on,
    assert_quiet,
    beacon,
    dangerous_markup,
    load,
    page_html,
    plain_view,
)
from tests.helpers.webpage import run_js, shown_preview

pytestmark = pytest.mark.gui

# A navigation, not a load: the CSP has no say over it (the interceptor and the page's navigation
# filter stop it), so the CSP-only page and the controls that must stay on their page leave it out.
NAVIGATING = {"meta-refresh"}


def cards(b: str) -> dict[str, str]:
    return {kind: payload_card(kind, payload) for kind, payload in hostile_kinds(b).items()}


def unsanitized(body: str) -> str:
    """The card's Markdown as HTML, with no sanitizer: what a naive previewer would show."""
    return markdown.markdown(body, extensions=["fenced_code", "codehilite", "sane_lists"])


def load_file(qtbot: Any, view: Any, path: Path) -> None:
    """Open a local file as a browser would: QtWebEngine keeps file pages off the network by
    default (LocalContentCanAccessRemoteUrls), which would make every 0 below meaningless."""
    settings = view.page().settings()
    settings.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
    with qtbot.waitSignal(view.loadFinished, timeout=20000) as blocker:
        view.load(QUrl.fromLocalFile(str(path)))
    assert blocker.args == [True]


def watch_navigation(page: Any) -> list[str]:
    moves: list[str] = []
    page.urlChanged.connect(lambda url: moves.append(url.toString()[:80]))
    page.loadStarted.connect(lambda: moves.append("load started"))
    return moves


def test_control_the_catalog_unprotected_reaches_the_beacon_and_runs_from_a_file(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon, tmp_path: Path
) -> None:
    b = beacon.base_url
    staying = [unsanitized(body) for kind, body in cards(b).items() if kind not in NAVIGATING]
    page_file = tmp_path / "naive.html"
    page_file.write_text(page_html("\n".join(staying)), encoding="utf-8")
    view, page = plain_view()
    load_file(qtbot, view, page_file)
    expected = {"GET /img.png?card=1&x=2", "GET /md-image.png?token=abc&x=1", "GET /iframe.html",
                "GET /style.png", "GET /import.css", "GET /script.js", "GET /base/relative.png"}
    qtbot.waitUntil(lambda: expected <= set(beacon.hits), timeout=5000)
    qtbot.waitUntil(lambda: "script" in run_js(qtbot, page, PWNED_JS), timeout=5000)
    assert {"img-onerror", "svg-onload"} <= set(run_js(qtbot, page, PWNED_JS))

    # The one navigating kind does leave a file page for the beacon when nothing stops it.
    refresh = tmp_path / "refresh.html"
    refresh.write_text(page_html(unsanitized(cards(b)["meta-refresh"])), encoding="utf-8")
    load_file(qtbot, view, refresh)
    qtbot.waitUntil(lambda: "GET /meta-refresh.html" in beacon.hits, timeout=5000)


def test_layer_sanitizer_alone_keeps_the_catalog_inert(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon
) -> None:
    view, page = plain_view()  # JavaScript on, no CSP, no interceptor
    load(qtbot, view, page_html("\n".join(render_card(body) for body in cards(beacon.base_url).values())))
    url = view.url()
    moves = watch_navigation(page)
    assert_javascript_is_on(qtbot, page)
    assert_quiet(qtbot, beacon)
    assert run_js(qtbot, page, PWNED_JS) == []
    assert page.title() == "inert" and view.url() == url and moves == []
    assert dangerous_markup(qtbot, page, "body *") == []


def test_layer_csp_alone_blocks_the_catalog_unsanitized(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon
) -> None:
    raw = "".join(unsanitized(body) for kind, body in cards(beacon.base_url).items() if kind not in NAVIGATING)
    shell = shell_html()
    view, page = plain_view()  # JavaScript on, no sanitizer, no interceptor
    load(qtbot, view, shell.replace('<main id="cards"></main>', f'<main id="cards">{raw}</main>'))
    assert_javascript_is_on(qtbot, page)
    assert_quiet(qtbot, beacon)
    assert run_js(qtbot, page, PWNED_JS) == []
    assert page.title() == "Cardsmith preview"
    assert run_js(qtbot, page, 'document.querySelectorAll("#cards script, #cards iframe").length') >= 3


def test_layer_interceptor_alone_blocks_every_request_of_the_catalog(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon
) -> None:
    interceptor = ShellOnlyInterceptor()
    view, page = plain_view(interceptor)  # JavaScript on, no sanitizer, no CSP
    titles: list[str] = []
    page.titleChanged.connect(titles.append)
    load(qtbot, view, page_html("".join(unsanitized(body) for body in cards(beacon.base_url).values())))
    assert_quiet(qtbot, beacon)
    assert interceptor.blocked_count >= 10  # the meta refresh is one of them
    assert "pwned" in titles  # scripts did run: the 0 is the interceptor's doing


def test_all_layers_together_the_preview_keeps_the_catalog_inert(qtbot: Any, beacon: Beacon) -> None:
    opened: list[QUrl] = []
    view = shown_preview(qtbot, opened)
    shell_url = view.url()
    moves = watch_navigation(view.page())
    preview_cards = [PreviewCard(kind, kind, body, "done") for kind, body in cards(beacon.base_url).items()]
    view.set_cards(preview_cards)
    view.flush()
    assert_quiet(qtbot, beacon)
    page = view.page()
    keys = run_js(qtbot, page, "Array.from(document.querySelectorAll('#cards > article.card')).map(a => a.dataset.key)")
    assert keys == [card.key for card in preview_cards]
    assert run_js(qtbot, page, PWNED_JS) == []
    assert page.title() == "Cardsmith preview"
    assert view.url() == shell_url and moves == [] and opened == []
    assert dangerous_markup(qtbot, page, "#cards *") == []


def test_the_exported_html_opened_with_javascript_on_fetches_and_runs_nothing(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon, tmp_path: Path
) -> None:
    exported = export_html(tmp_path, beacon.base_url)
    view, page = plain_view()  # a plain browser: JavaScript on, no interceptor
    load_file(qtbot, view, exported)
    url = view.url()
    moves = watch_navigation(page)
    assert_javascript_is_on(qtbot, page)
    assert_quiet(qtbot, beacon)
    assert run_js(qtbot, page, PWNED_JS) == []
    assert page.title().startswith("Hostile <script>")  # the title is text
    assert view.url() == url and url.isLocalFile() and moves == []
    assert dangerous_markup(qtbot, page, "body *") == []
    assert run_js(qtbot, page, "document.querySelectorAll('article.card').length") == len(hostile_kinds("x")) + 1


def test_the_exported_pages_csp_alone_blocks_unsanitized_payloads(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon, tmp_path: Path
) -> None:
    b = beacon.base_url
    exported = export_html(tmp_path, b, ["script"]).read_text(encoding="utf-8")
    raw = "".join(unsanitized(body) for kind, body in cards(b).items() if kind not in NAVIGATING)
    hostile = exported.replace('<main id="cards">\n', f'<main id="cards">\n{raw}', 1)
    assert hostile != exported
    page_file = tmp_path / "tampered.html"
    page_file.write_text(hostile, encoding="utf-8")
    view, page = plain_view()
    load_file(qtbot, view, page_file)
    assert_javascript_is_on(qtbot, page)
    assert_quiet(qtbot, beacon)
    assert run_js(qtbot, page, PWNED_JS) == []
    assert any("Content Security Policy" in message for message in page.console)
