"""An attack bench for the preview's safety tests: a page with no protection of its own, a beacon
that counts every request, and checks for active content (tests/ui/test_preview_security.py and
tests/ui/test_survival_hostile.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView

from tests.fakes.beacon import Beacon
from tests.helpers.webpage import run_js

MAIN_WORLD = QWebEngineScript.ScriptWorldId.MainWorld.value
QUIET_MS = 1000
"""How long a page gets to fetch something before "nothing reached the beacon" is believed."""

PWNED_JS = (
    "Array.from(document.documentElement.attributes).map(a => a.name)"
    ".filter(n => n.startsWith('data-pwned-')).map(n => n.slice(11)).sort()"
)


def assert_quiet(qtbot: Any, beacon: Beacon, ms: int = QUIET_MS) -> None:
    """Nothing reaches the beacon for ``ms`` (fails at the first hit)."""
    for _ in range(ms // 50):
        assert beacon.hits == []
        qtbot.wait(50)
    assert beacon.hits == []


class PlainPage(QWebEnginePage):
    """A page with no protection of its own: JavaScript on, every navigation accepted."""

    def __init__(self, profile: QWebEngineProfile, parent: Any) -> None:
        super().__init__(profile, parent)
        self.console: list[str] = []

    def javaScriptConsoleMessage(self, level: Any, message: str, line: int, source: str) -> None:  # noqa: N802
        self.console.append(message)  # kept for assertions instead of Qt warnings


def _delete(view: QWebEngineView) -> None:
    view.close()
    view.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def plain_view(qapp: Any) -> Iterator[Callable[..., tuple[QWebEngineView, PlainPage]]]:
    """``plain_view(interceptor=None)``: a 400 px view in its own off-the-record profile."""
    made: list[QWebEngineView] = []

    def make(interceptor: QWebEngineUrlRequestInterceptor | None = None) -> tuple[QWebEngineView, PlainPage]:
        view = QWebEngineView()
        made.append(view)
        profile = QWebEngineProfile()  # off the record: nothing shared with other tests
        page = PlainPage(profile, view)
        profile.setParent(page)  # the page must go before its profile
        if interceptor is not None:
            interceptor.setParent(profile)
            profile.setUrlRequestInterceptor(interceptor)
        view.setPage(page)
        view.resize(400, 800)
        view.show()
        assert page.settings().testAttribute(QWebEngineSettings.WebAttribute.JavascriptEnabled)
        return view, page

    yield make
    for view in made:
        _delete(view)


def load(qtbot: Any, view: QWebEngineView, html: str) -> None:
    with qtbot.waitSignal(view.loadFinished, timeout=20000) as blocker:
        view.setHtml(html)
    assert blocker.args == [True]


def page_html(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset=\"utf-8\">{head}<title>inert</title></head><body>{body}</body></html>"


def assert_javascript_is_on(qtbot: Any, page: QWebEnginePage) -> None:
    # The main world is the page's own JavaScript: it answers only when JavaScript is enabled.
    assert run_js(qtbot, page, "6 * 7", world=MAIN_WORLD) == 42


@pytest.fixture
def beacon() -> Iterator[Beacon]:
    """A beacon of the test's own, on a port of its own: a request a previous test's page sends
    late (a refresh, a frame still loading) reaches that test's beacon, closed by then, never
    this one's."""
    with Beacon() as server:
        yield server


DANGER_JS = """(function (scope) {
  var banned = ["script", "style", "iframe", "frame", "object", "embed", "form", "input", "button",
                "meta", "base", "link", "svg", "math", "video", "audio", "source", "noscript",
                "template", "details"];
  var bad = [];
  document.querySelectorAll(scope).forEach(function (el) {
    var tag = el.tagName.toLowerCase();
    if (banned.indexOf(tag) >= 0) { bad.push(tag); }
    Array.prototype.forEach.call(el.attributes, function (a) {
      var n = a.name.toLowerCase(), v = a.value;
      if (n.indexOf("on") === 0 || ["style", "srcset", "srcdoc", "action", "formaction", "ping"].indexOf(n) >= 0) {
        bad.push(tag + "[" + n + "]");
      }
      if (n === "href" && !/^(https?:|mailto:)/i.test(v)) { bad.push(tag + "[href=" + v.slice(0, 40) + "]"); }
      if (n === "src" && !/^data:image\\//i.test(v)) { bad.push(tag + "[src=" + v.slice(0, 40) + "]"); }
    });
  });
  return bad;
})(%s)"""


def dangerous_markup(qtbot: Any, page: QWebEnginePage, scope: str) -> list[str]:
    """Elements and attributes under ``scope`` that could be active content or fetch something."""
    return run_js(qtbot, page, DANGER_JS % json.dumps(scope))
