"""The preview column: a hardened QtWebEngine view that shows the example cards, updated in place.

Card text is model output, so it is treated as hostile (DESIGN "Preview safety"). Layers, each
enough on its own for what it covers:

- ``render_card`` sanitizes every card with an nh3 allowlist (app/core/render.py);
- the shell page is loaded once and carries a strict Content-Security-Policy; JavaScript is off
  for page content, cards are written from the application world with JSON-encoded HTML;
- ``ShellOnlyInterceptor`` blocks every request but the shell document (and ``data:`` images);
- ``PreviewPage`` accepts no navigation but the view's own load of the shell, hands clicked
  http/https links to the system browser, and opens no windows;
- the page lives in a private off-the-record profile, so none of this leaks to other views.
"""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QChildEvent, QEvent, QObject, QTimer, QUrl, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QDesktopServices, QNativeGestureEvent, QWheelEvent
from PySide6.QtWidgets import QMenu, QWidget
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineScript,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWebEngineWidgets import QWebEngineView

from app.core.card import Finding
from app.core.render import MAX_PREVIEW_BYTES, render_card, shell_html, too_large, too_large_notice

log = logging.getLogger(__name__)

THEMES = ("light", "dark", "auto")

UPDATE_INTERVAL_MS = 60
"""At most one script per this many ms carries all pending card changes (~16 Hz while streaming)."""

RENDER_SLICE_S = 0.004
"""Card rendering (Markdown, Pygments, sanitizing: ~0.8 ms a card) stops after this long per turn
of the event loop; the rest follows in the next turn."""

MAX_SCRIPT_CHARS = 4_000_000
"""Card changes are split over several scripts above this size (each card is at most ~1 MB)."""

EXTERNAL_SCHEMES = frozenset({"http", "https"})
"""Clicked links with these schemes open in the system browser; any other click is ignored.

(mailto: links are shown but do nothing: Chromium hands such schemes to the unknown-scheme policy,
which is DisallowUnknownUrlSchemes, before any navigation request is made.)"""

# States in which an empty body means "the text is on its way" rather than "there is no card".
_WAITING_STATES = frozenset({"queued", "waiting", "streaming", "retrying"})

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
    """A state word: missing, queued, streaming, retrying, done, failed, stale, edited, locked..."""
    findings: tuple[Finding, ...] = ()


# --- Markup ---------------------------------------------------------------------------------


def _placeholder(status: str) -> str:
    text = "Waiting…" if status in _WAITING_STATES else "No card yet."
    return f'<p class="notice placeholder">{text}</p>'


def _head_html(card: PreviewCard) -> str:
    status_class = _STATUS_CLASS.sub("", card.status.lower()) or "unknown"
    return (
        '<div class="card-head">'
        f'<span class="badge {status_class}">{html.escape(card.status)}</span> '
        f'<span class="card-name">{html.escape(card.name)}</span>'
        "</div>"
    )


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

    ``fragment`` is ``card_fragment(card.body)`` (``None`` for an empty body).
    """
    body = fragment if fragment is not None else _placeholder(card.status)
    return f"{_head_html(card)}\n{body.strip()}\n{_findings_html(card.findings)}"


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


def _batches(changes: list[tuple[str, str]], limit: int) -> list[list[tuple[str, str]]]:
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


# --- Web engine pieces ----------------------------------------------------------------------

_ALLOWED_DATA_RESOURCES = frozenset(
    {
        QWebEngineUrlRequestInfo.ResourceType.ResourceTypeMainFrame,
        QWebEngineUrlRequestInfo.ResourceType.ResourceTypeImage,
    }
)


class ShellOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not the shell document itself (or a ``data:`` image).

    ``setHtml`` loads the shell as a ``data:`` URL, so that is the only scheme let through; http,
    https, file, ftp, ws, blob and any other scheme are blocked, whatever asks for them.
    """

    def __init__(self, parent: QWebEngineProfile | None = None) -> None:
        super().__init__(parent)
        self.blocked_count = 0
        """How many requests were blocked (diagnostics and tests)."""

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt name
        url = info.requestUrl()
        if url.scheme() == "data" and info.resourceType() in _ALLOWED_DATA_RESOURCES:
            return
        self.blocked_count += 1
        log.debug("preview blocked a %s request", url.scheme() or "scheme-less")
        info.block(True)


_SETTINGS_OFF = (
    "JavascriptEnabled",
    "JavascriptCanOpenWindows",
    "JavascriptCanAccessClipboard",
    "JavascriptCanPaste",
    "LocalContentCanAccessFileUrls",
    "LocalContentCanAccessRemoteUrls",
    "PluginsEnabled",
    "LocalStorageEnabled",
    "WebGLEnabled",
    "Accelerated2dCanvasEnabled",
    "ScreenCaptureEnabled",
    "PdfViewerEnabled",
    "FullScreenSupportEnabled",
    "HyperlinkAuditingEnabled",
    "DnsPrefetchEnabled",
    "AutoLoadIconsForPage",
    "TouchIconsEnabled",
    "AllowRunningInsecureContent",
    "AllowGeolocationOnInsecureOrigins",
    "AllowWindowActivationFromJavaScript",
    "NavigateOnDropEnabled",
    "ReadingFromCanvasEnabled",
    "SpatialNavigationEnabled",
    "ErrorPageEnabled",
)
_SETTINGS_ON = ("AutoLoadImages", "WebRTCPublicInterfacesOnly", "ShowScrollBars")


def harden_settings(settings: QWebEngineSettings) -> None:
    """Switch off all the preview does not need (attributes missing in a Qt build are skipped)."""
    attrs = QWebEngineSettings.WebAttribute
    for name in _SETTINGS_OFF:
        attr = getattr(attrs, name, None)
        if attr is not None:
            settings.setAttribute(attr, False)
    for name in _SETTINGS_ON:
        attr = getattr(attrs, name, None)
        if attr is not None:
            settings.setAttribute(attr, True)
    settings.setUnknownUrlSchemePolicy(
        QWebEngineSettings.UnknownUrlSchemePolicy.DisallowUnknownUrlSchemes
    )


def private_profile() -> QWebEngineProfile:
    """A fresh off-the-record profile (no disk cache, cookies or permissions kept)."""
    profile = QWebEngineProfile()  # no storage name: off the record
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(
        QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
    )
    policy = getattr(QWebEngineProfile, "PersistentPermissionsPolicy", None)
    if policy is not None:
        profile.setPersistentPermissionsPolicy(policy.AskEveryTime)
    profile.setSpellCheckEnabled(False)
    harden_settings(profile.settings())
    return profile


class PreviewPage(QWebEnginePage):
    """A page that only ever shows the shell the view loaded into it.

    ``open_url`` receives clicked http/https links (``QDesktopServices.openUrl`` by default;
    tests inject a recorder).
    """

    def __init__(
        self,
        profile: QWebEngineProfile,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], object] | None = None,
    ) -> None:
        super().__init__(profile, parent)
        self.open_url: Callable[[QUrl], object] = open_url or QDesktopServices.openUrl
        self._expected_shell_loads = 0
        harden_settings(self.settings())
        self.permissionRequested.connect(lambda permission: permission.deny())

    def expect_shell_load(self) -> None:
        """Called right before the view's own ``setHtml``: that one navigation is accepted."""
        self._expected_shell_loads += 1

    def acceptNavigationRequest(  # noqa: N802 - Qt name
        self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url)
        types = QWebEnginePage.NavigationType
        if (
            self._expected_shell_loads > 0
            and is_main_frame
            and nav_type == types.NavigationTypeTyped
            and url.scheme() == "data"
        ):
            # setHtml arrives as a typed data: navigation; refusing it would blank the preview.
            self._expected_shell_loads -= 1
            return True
        if nav_type == types.NavigationTypeLinkClicked and url.scheme() in EXTERNAL_SCHEMES:
            self.open_url(url)
        else:
            log.debug("preview refused a navigation (%s, %s)", nav_type.name, url.scheme())
        return False

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> None:  # noqa: N802 - Qt name
        return None

    def javaScriptConsoleMessage(  # noqa: N802 - Qt name
        self,
        level: QWebEnginePage.JavaScriptConsoleMessageLevel,
        message: str,
        line: int,
        source: str,
    ) -> None:
        # Page content (and the CSP reporting on it) must not write to the app's log as warnings.
        log.debug("preview console (%s): %s", level.name, message[:300])


# --- The view -------------------------------------------------------------------------------

_APPLICATION_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld.value


class PreviewView(QWebEngineView):
    """The 400 px preview: one ``<article class="card" data-key=...>`` per card, in plan order.

    Signals:
        loaded: the shell finished loading (calls made before it are applied then).
    """

    COLUMN_PX = 400
    loaded = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        theme: str = "auto",
        open_url: Callable[[QUrl], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self._theme = _check_theme(theme)
        self.setFixedWidth(self.COLUMN_PX)
        self.setAcceptDrops(False)

        # The page owns the profile (and the profile the interceptor), so the page is always
        # destroyed before its profile, as QtWebEngine requires.
        profile = private_profile()
        self._interceptor = ShellOnlyInterceptor(profile)
        profile.setUrlRequestInterceptor(self._interceptor)
        self._page = PreviewPage(profile, self, open_url=open_url)
        profile.setParent(self._page)
        self.setPage(self._page)
        self._page.loadFinished.connect(self._on_load_finished)
        self._page.renderProcessTerminated.connect(self._on_render_process_terminated)

        self._loaded = False
        self._restarts = 0
        self._order: list[str] = []
        self._cards: dict[str, PreviewCard] = {}
        self._rendered: dict[str, tuple[str, str]] = {}  # key -> (body, fragment)
        self._sent: dict[str, str] = {}  # key -> article HTML the page has
        self._dirty: set[str] = set()
        self._order_dirty = False
        self._theme_dirty = False
        self._scroll_key: str | None = None
        self._last_push = float("-inf")
        self.js_calls = 0
        """Scripts sent to the page so far (diagnostics: shows the coalescing at work)."""

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._push_slice)
        self._load_shell()

    # -- public API ------------------------------------------------------------------------

    @property
    def is_loaded(self) -> bool:
        return self._loaded

    @property
    def interceptor(self) -> ShellOnlyInterceptor:
        return self._interceptor

    def set_cards(self, cards: list[PreviewCard]) -> None:
        """Show exactly these cards, in this order (a repeated key keeps its first place)."""
        order: list[str] = []
        fresh: dict[str, PreviewCard] = {}
        for card in cards:
            if card.key not in fresh:
                order.append(card.key)
                fresh[card.key] = card
        for key in self._cards.keys() - fresh.keys():
            self._rendered.pop(key, None)
            self._sent.pop(key, None)
            self._dirty.discard(key)
        for key, card in fresh.items():
            if self._cards.get(key) != card:
                self._dirty.add(key)
        if order != self._order:
            self._order_dirty = True
        self._order = order
        self._cards = fresh
        self._schedule()

    def update_card(self, card: PreviewCard) -> None:
        """One card changed; shown within ~60 ms together with any other pending change.

        A key that is not in the last ``set_cards`` list is ignored (the plan decides the cards).
        """
        if card.key not in self._cards:
            log.debug("preview ignored an update for a card not in the plan")
            return
        if self._cards[card.key] == card:
            return
        self._cards[card.key] = card
        self._dirty.add(card.key)
        self._schedule()

    def scroll_to(self, key: str) -> None:
        """Bring that card's top into view (after any pending changes are applied)."""
        self._scroll_key = key
        self._schedule()

    def set_theme(self, theme: str) -> None:
        """``"light"``, ``"dark"`` or ``"auto"`` (the system's prefers-color-scheme decides)."""
        self._theme = _check_theme(theme)
        self._theme_dirty = True
        self._schedule()

    def flush(self) -> None:
        """Send all pending changes to the page now (no-op until the shell has loaded)."""
        self._push(float("inf"))

    def _push_slice(self) -> None:
        """The timer's push: rendering stops after ``RENDER_SLICE_S`` (at least one card is
        rendered) and the rest goes out in the next turn of the event loop, so a burst of changes
        (eight cards streaming, a plan of 1,000 cards opening) never holds the window up for long."""
        self._push(time.perf_counter() + RENDER_SLICE_S)

    def _push(self, deadline: float) -> None:
        self._timer.stop()
        if not self._loaded:
            return
        order = list(self._order) if self._order_dirty else None
        changes = self._changed_articles(deadline)
        theme = self._theme if self._theme_dirty else None
        # A scroll waits for the last slice: its card may not have been rendered yet.
        scroll = self._scroll_key if not self._dirty else None
        self._order_dirty = self._theme_dirty = False
        if scroll is not None:
            self._scroll_key = None
        if self._dirty:
            self._timer.start(0)
        if order is None and not changes and theme is None and scroll is None:
            return
        batches = _batches(changes, MAX_SCRIPT_CHARS)
        for index, batch in enumerate(batches):
            first, last = index == 0, index == len(batches) - 1
            self._run_script(
                update_script(
                    order=order if first else None,
                    changes=batch,
                    theme=theme if first else None,
                    scroll=scroll if last else None,
                )
            )
        self._last_push = time.monotonic()

    # -- internals -------------------------------------------------------------------------

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt name
        # Copying is all a reader needs; no "view source", "open in new window", back/reload.
        actions = QWebEnginePage.WebAction
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(self.pageAction(actions.Copy))
        request = self.lastContextMenuRequest()
        if request is not None and request.linkUrl().scheme() in ("http", "https", "mailto"):
            menu.addAction(self.pageAction(actions.CopyLinkToClipboard))
        menu.addAction(self.pageAction(actions.SelectAll))
        menu.popup(event.globalPos())

    def childEvent(self, event: QChildEvent) -> None:  # noqa: N802 - Qt name
        # The web contents live in a child widget (the focus proxy), created and replaced by
        # QtWebEngine at will; each one gets the zoom filter.
        super().childEvent(event)
        if event.polished() and isinstance(event.child(), QWidget):
            event.child().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        # The code width budget assumes zoom 1.0: Ctrl+wheel and pinch must not zoom the column.
        ctrl = Qt.KeyboardModifier.ControlModifier
        if isinstance(event, QWheelEvent) and event.modifiers() & ctrl:
            return True
        if (
            isinstance(event, QNativeGestureEvent)
            and event.gestureType() == Qt.NativeGestureType.ZoomNativeGesture
        ):
            return True
        return super().eventFilter(watched, event)

    def _load_shell(self) -> None:
        self._loaded = False
        self._page.expect_shell_load()
        self._page.setHtml(shell_html(self._theme))

    def _on_load_finished(self, ok: bool) -> None:
        if self._loaded:
            return  # a refused navigation's load ending; the shell is still the page
        if not ok:
            log.warning("the preview shell did not load")
            return
        self._loaded = True
        # A fresh shell holds no cards: everything is sent again.
        self._sent.clear()
        self._dirty = set(self._order)
        self._order_dirty = True
        self._theme_dirty = True
        self._push_slice()
        self.loaded.emit()

    def _on_render_process_terminated(
        self, status: QWebEnginePage.RenderProcessTerminationStatus, code: int
    ) -> None:
        if status == QWebEnginePage.RenderProcessTerminationStatus.NormalTerminationStatus:
            return  # the view is closing
        log.warning("the preview's renderer ended (%s, %d)", status.name, code)
        if self._restarts < 3:
            self._restarts += 1
            self._load_shell()

    def _changed_articles(self, deadline: float) -> list[tuple[str, str]]:
        """Render dirty cards in page order until ``deadline`` (``time.perf_counter``); the
        ones not reached stay dirty."""
        changes: list[tuple[str, str]] = []
        rendered = 0
        for key in self._order:
            if key not in self._dirty:
                continue
            if rendered and time.perf_counter() > deadline:
                break
            self._dirty.discard(key)
            rendered += 1
            markup = article_inner_html(self._cards[key], self._fragment(self._cards[key]))
            if self._sent.get(key) != markup:
                self._sent[key] = markup
                changes.append((key, markup))
        return changes

    def _fragment(self, card: PreviewCard) -> str | None:
        if not card.body.strip():
            return None
        cached = self._rendered.get(card.key)
        if cached is not None and cached[0] == card.body:
            return cached[1]
        fragment = card_fragment(card.body)
        self._rendered[card.key] = (card.body, fragment)
        return fragment

    def _schedule(self) -> None:
        if self._timer.isActive():
            return
        since_ms = (time.monotonic() - self._last_push) * 1000
        self._timer.start(int(max(0.0, UPDATE_INTERVAL_MS - since_ms)))

    def _run_script(self, script: str) -> None:
        self.js_calls += 1
        self._page.runJavaScript(
            script, _APPLICATION_WORLD, self._check_result
        )

    @staticmethod
    def _check_result(result: object) -> None:
        if result is not True:
            log.error("the preview could not apply an update (got %r)", result)


def _check_theme(theme: str) -> str:
    if theme not in THEMES:
        raise ValueError(f"unknown preview theme {theme!r} (expected light, dark or auto)")
    return theme
