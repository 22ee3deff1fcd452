"""Keeps the open plan's render cache (app/core/render_cache.py) in step with its preview.

Written ``SAVE_DELAY_MS`` after the preview last rendered a card (a run streaming cards writes it
once it is quiet) and when the plan closes; read when another plan opens (the launcher reads the
first one before the window exists: docs/architecture.md#start-up). After the first frame, once
the renderer has loaded, ``check`` renders again what came from a cache of another renderer.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from app.core.render import highlight_css, prime_highlighting
from app.core.render_cache import load_render_cache, renderer_stamp, save_highlight, save_render_cache
from app.ui.preview import PreviewView
from app.ui.session import Session

SAVE_DELAY_MS = 2000


class PreviewCacheKeeper(QObject):
    """The window's one keeper of its plan's render cache."""

    def __init__(self, preview: PreviewView, session: Session, *, cached_for: Path | None,
                 parent: QObject | None = None) -> None:
        """``cached_for``: the plan whose cache ``preview`` was made with, if any."""
        super().__init__(parent)
        self._preview, self._session = preview, session
        self._cached_for = cached_for
        self._checked = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save)
        preview.rendered.connect(self._timer.start)
        session.opened.connect(self._on_opened)
        session.closed.connect(self.flush)

    def check(self) -> None:
        """Load the renderer (~25 ms) and have the preview drop what a stale cache gave it; the
        shell's colours as they are now are kept for the next start (written if they changed)."""
        self._checked = True
        self._preview.check_cache(renderer_stamp(), highlight_css())
        save_highlight(self._preview.highlight)

    def prime(self) -> None:
        """Compile the plan's language's highlighting (~20 ms), before a card needs it."""
        prime_highlighting(self._session.plan.settings.language)

    def save(self) -> None:
        self._timer.stop()
        path = self._plan_on_disk()
        if path is None:
            return
        if not self._checked:
            self.check()
        save_render_cache(path, self._preview.render_cache(renderer_stamp()))

    def flush(self) -> None:
        """Write now what is waiting to be written."""
        if self._timer.isActive():
            self.save()

    def _plan_on_disk(self) -> Path | None:
        document = self._session.document
        return None if document.path is None or document.is_new else document.path

    def _on_opened(self, path: Path | None) -> None:
        if path is not None and self._cached_for is not None and path.resolve() == self._cached_for.resolve():
            return  # the launcher read it
        self._cached_for = path
        document = self._session.document
        self._preview.use_cache(load_render_cache(path) if path is not None and not document.is_new else None)
