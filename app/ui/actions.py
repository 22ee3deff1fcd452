"""Actions whose keys work in the whole window, whichever pane has focus."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence


def window_action(parent: QObject, text: str, slot: Callable[[], object], *keys: QKeySequence | str) -> QAction:
    """An action with window-wide shortcuts (they work once a window holds it: ``addAction``)."""
    action = QAction(text, parent)
    if keys:
        action.setShortcuts([QKeySequence(k) for k in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(lambda _checked=False: slot())
    return action
