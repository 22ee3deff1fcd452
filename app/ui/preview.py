"""The preview column: a hardened QtWebEngine view that shows the example cards, updated in place.

Card text is model output, so it is treated as hostile (docs/architecture.md#preview-safety). Layers, each
enough on its own for what it covers:

- ``render_card`` sanitizes every card with an nh3 allowlist (app/core/render.py), and HTML from
  the render cache (app/core/render_cache.py) goes through the same allowlist again;
- the shell page is loaded once and carries a strict Content-Security-Policy; JavaScript is off
  for page content, cards are written from the application world with JSON-encoded HTML;
- ``ShellOnlyInterceptor`` blocks every request but the shell document (and ``data:`` images);
- ``PreviewPage`` accepts no navigation but the view's own load of the shell, hands clicked
  http/https links to the system browser, and opens no windows;
- the page lives in a private off-the-record profile, so none of this leaks to other views.

The markup and the update script are in app/ui/preview_markup.py (no Qt), the profile, page and
interceptor in app/ui/preview_page.py; this module is the view that ties them together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QChildEvent, QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QContextMenuEvent, QNativeGestureEvent, QWheelEvent
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineScript
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QMenu, QWidget

from app.core.render import highlight_css, sanitize_html, shell_html
from app.core.render_cache import RenderCache, card_digest
from app.ui.preview_markup import (
    PreviewCard,
    article_inner_html,
    card_fragment,
    split_changes,
    update_script,
)
from app.ui.preview_page import PreviewPage, ShellOnlyInterceptor, private_profile

log = logging.getLogger(__name__)

THEMES = ("light", "dark", "auto")

UPDATE_INTERVAL_MS = 60
"""At most one script per this many ms carries all pending card changes (~16 Hz while streaming)."""

RENDER_SLICE_S = 0.004
"""Card rendering (Markdown, Pygments, sanitizing: ~0.8 ms a card) stops after this long per turn
of the event loop; the rest follows in the next turn."""

MAX_SCRIPT_CHARS = 4_000_000
"""Card changes are split over several scripts above this size (each card is at most ~1 MB)."""

_APPLICATION_WORLD = QWebEngineScript.ScriptWorldId.ApplicationWorld.value


class PreviewView(QWebEngineView):
    """The 400 px preview: one ``<article class="card" data-key=...>`` per card, in plan order.

    Signals:
        loaded: the shell finished loading (calls made before it are applied then).
        rendered: cards were rendered (not found in the render cache): the cache can be written.
        first_shown: once, when the page has applied the first script that holds every card known
            by then (or loaded with none to show): the window's first frame is complete.
    """

    COLUMN_PX = 400
    loaded = Signal()
    rendered = Signal()
    first_shown = Signal()

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        theme: str = "auto",
        open_url: Callable[[QUrl], object] | None = None,
        cache: RenderCache | None = None,
        highlight: str | None = None,
    ) -> None:
        """``cache``: the plan's render cache (cards found there are shown without rendering);
        ``highlight``: the shell's Pygments colours as kept last time (else made now)."""
        super().__init__(parent)
        self._theme = _check_theme(theme)
        self._cache = cache
        self._from_cache: set[str] = set()
        self._highlight = highlight if highlight is not None else highlight_css()
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
        self._fresh = False  # a card was rendered (not found in the cache) since the last push
        self._sent: dict[str, str] = {}  # key -> article HTML the page has
        self._dirty: set[str] = set()
        self._order_dirty = False
        self._theme_dirty = False
        self._scroll_key: str | None = None
        self._last_push = float("-inf")
        self._first_shown = False
        self._told = False
        """``set_cards`` was called: until then an empty page is not the first frame."""
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
    def first_frame_shown(self) -> bool:
        """``first_shown`` has been emitted."""
        return self._first_shown

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
            self._from_cache.discard(key)
            self._sent.pop(key, None)
            self._dirty.discard(key)
        for key, card in fresh.items():
            if self._cards.get(key) != card:
                self._dirty.add(key)
        if order != self._order:
            self._order_dirty = True
        self._order = order
        self._cards = fresh
        self._told = True
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

    def use_cache(self, cache: RenderCache | None) -> None:
        """Cards not rendered yet are looked up in ``cache`` (another plan's, once it is open)."""
        self._cache = cache

    @property
    def highlight(self) -> str:
        """The shell's Pygments colours."""
        return self._highlight

    def check_cache(self, stamp: str, highlight: str) -> None:
        """The renderer is ``stamp`` (``renderer_stamp()``) with colours ``highlight``: what came
        from a cache of another renderer is rendered again, the shell reloaded if its colours
        were others."""
        if self._cache is not None and self._cache.stamp != stamp:
            self._cache = None
            for key in self._from_cache:
                self._rendered.pop(key, None)
                self._dirty.add(key)
            self._from_cache.clear()
            self._schedule()
        if highlight != self._highlight:
            self._highlight = highlight
            self._load_shell()  # its load sends every card again

    def render_cache(self, stamp: str) -> RenderCache:
        """The cards shown now, as rendered, for the render cache of renderer ``stamp``."""
        stale = self._cache is None or self._cache.stamp != stamp
        fragments = {
            card_digest(body): fragment
            for key in self._order
            if key in self._rendered and not (stale and key in self._from_cache)
            for body, fragment in [self._rendered[key]]
        }
        return RenderCache(stamp, fragments)

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
        if self._fresh:
            self._fresh = False
            self.rendered.emit()
        theme = self._theme if self._theme_dirty else None
        # A scroll waits for the last slice: its card may not have been rendered yet.
        scroll = self._scroll_key if not self._dirty else None
        self._order_dirty = self._theme_dirty = False
        if scroll is not None:
            self._scroll_key = None
        if self._dirty:
            self._timer.start(0)
        complete = self._told and not self._first_shown and not self._dirty
        if order is None and not changes and theme is None and scroll is None:
            if complete:
                self._say_first_shown(True)
            return
        batches = split_changes(changes, MAX_SCRIPT_CHARS)
        for index, batch in enumerate(batches):
            first, last = index == 0, index == len(batches) - 1
            self._run_script(
                update_script(
                    order=order if first else None,
                    changes=batch,
                    theme=theme if first else None,
                    scroll=scroll if last else None,
                ),
                then=self._say_first_shown if complete and last else None,
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
        self._page.setHtml(shell_html(self._theme, highlight=self._highlight))

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
        body = card.shown_body()
        cached = self._rendered.get(card.key)
        if cached is not None and cached[0] == body:
            return cached[1]
        stored = self._cache.fragments.get(card_digest(body)) if self._cache is not None else None
        if stored is not None:
            fragment = sanitize_html(stored)
            self._from_cache.add(card.key)
        else:
            fragment = card_fragment(body)
            self._from_cache.discard(card.key)
            self._fresh = True
        self._rendered[card.key] = (body, fragment)
        return fragment

    def _schedule(self) -> None:
        if self._timer.isActive():
            return
        since_ms = (time.monotonic() - self._last_push) * 1000
        self._timer.start(int(max(0.0, UPDATE_INTERVAL_MS - since_ms)))

    def _run_script(self, script: str, then: Callable[[bool], None] | None = None) -> None:
        self.js_calls += 1

        def applied(result: object) -> None:
            if result is not True:
                log.error("the preview could not apply an update (got %r)", result)
            if then is not None:
                then(result is True)

        self._page.runJavaScript(script, _APPLICATION_WORLD, applied)

    def _say_first_shown(self, _applied: bool) -> None:
        if not self._first_shown:
            self._first_shown = True
            self.first_shown.emit()


def _check_theme(theme: str) -> str:
    if theme not in THEMES:
        raise ValueError(f"unknown preview theme {theme!r} (expected light, dark or auto)")
    return theme
