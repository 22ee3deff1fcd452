"""Coalesce frequent calls into at most one call per interval (after qutebrowser's misc/throttle.py).

Eight streaming cards produce hundreds of events a second; the window only needs to redraw a few
times a second. A ``Throttle`` runs its callback at once when it has been idle for a full interval,
otherwise it remembers the latest arguments and runs the callback once when the interval is over.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer

class Throttle(QObject):
    """Call ``callback`` at most once every ``interval_ms``, always with the latest arguments.

    Calling the throttle while a call is pending only replaces the pending arguments: O(1), no
    timer work, so it is safe on a per-token path.
    """

    def __init__(
        self, callback: Callable[..., object], interval_ms: int, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._callback = callback
        self._interval_ms = max(0, int(interval_ms))
        self._pending: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._last_call: float | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._call_pending)

    @property
    def interval_ms(self) -> int:
        return self._interval_ms

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        if self._pending is not None:
            self._pending = (args, kwargs)
            return
        now = time.monotonic()
        since_ms = None if self._last_call is None else (now - self._last_call) * 1000.0
        if since_ms is None or since_ms >= self._interval_ms:
            self._run(args, kwargs)
            return
        self._pending = (args, kwargs)
        self._timer.start(max(0, int(self._interval_ms - since_ms)))

    def flush(self) -> None:
        """Run a pending call now (e.g. before a run reports that it finished)."""
        if self._pending is not None:
            self._timer.stop()
            self._call_pending()

    def cancel(self) -> None:
        """Forget a pending call."""
        self._timer.stop()
        self._pending = None

    def _call_pending(self) -> None:
        if self._pending is None:
            return
        args, kwargs = self._pending
        self._pending = None
        self._run(args, kwargs)

    def _run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self._callback(*args, **kwargs)
        finally:
            # Stamped after the call: a slow callback still leaves the loop a full interval free.
            self._last_call = time.monotonic()
