"""The window's three columns: the plan (it gets the room), the Run and Card tabs, the preview.

The middle column starts as narrow as its pages allow (the generation panel: as wide as its longest
row needs) and keeps its width when the window is resized; the preview has the fixed width of its
column setting; the plan editor takes the rest. Sizes the writer sets by dragging are remembered
(``app.ui.window_state``) and restored over these.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QSplitter, QTabWidget, QWidget


class SnugTabs(QTabWidget):
    """Tabs that ask for no more width than their pages need: the splitter gives them that."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(self.minimumSizeHint().width(), super().sizeHint().height())


def columns(plan: QWidget, middle: QWidget, preview: QWidget) -> QSplitter:
    """A splitter of the three columns in which only the plan's grows and shrinks with the window."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    for index, widget in enumerate((plan, middle, preview)):
        splitter.addWidget(widget)
        splitter.setStretchFactor(index, 1 if widget is plan else 0)
    splitter.setChildrenCollapsible(False)
    return splitter
