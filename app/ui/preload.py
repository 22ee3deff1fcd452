"""After the window's first frame: what a writer is likely to use next, made ready in idle time.

Start-up imports and builds only what the first frame shows (docs/architecture.md#start-up). The
rest (the Card tab's editor, the dialogs, the run machinery) is loaded here, one piece per turn of
the event loop, so that typing or a click in between waits for one piece at most (~10-30 ms), and
the first click on Export, Settings or the Card tab finds its code loaded. Anything still missing
when it is first used is loaded then.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from PySide6.QtCore import QTimer

AFTER_FIRST_FRAME = (
    "app.ui.export_dialog",
    "app.ui.settings_dialog",
    "app.engine.generate",
    "app.ui.generate_gate",
)
"""Modules imported after the first frame, in this order (each a few to ~25 ms)."""

_started = False


def preload_after_first_frame(*builds: Callable[[], object]) -> None:
    """Run ``builds`` (e.g. the Card tab's editor), then import ``AFTER_FIRST_FRAME``, one step per
    turn of the event loop. Once per process: a second window finds it all loaded."""
    global _started
    if _started:
        return
    _started = True
    steps: list[Callable[[], object]] = [*builds]
    steps += [lambda name=name: importlib.import_module(name) for name in AFTER_FIRST_FRAME]

    def next_step() -> None:
        if steps:
            steps.pop(0)()
            QTimer.singleShot(0, next_step)

    QTimer.singleShot(0, next_step)
