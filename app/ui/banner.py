"""A slim, dismissible message bar at the top of the window (non-modal, so nothing blocks a run)."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class Banner(QFrame):
    """One message at a time, with optional action buttons; hidden when there is nothing to say."""

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#banner { background: palette(tool-tip-base); border: 1px solid palette(mid);"
            " border-radius: 4px; }"
        )
        self._label = QLabel()
        self._label.setWordWrap(True)
        self._buttons = QHBoxLayout()
        close = QPushButton("Dismiss")
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self._label, 1)
        layout.addLayout(self._buttons)
        layout.addWidget(close)
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text() if self.isVisible() else ""

    def show_message(self, text: str, actions: dict[str, Callable[[], None]] | None = None) -> None:
        self._clear_buttons()
        self._label.setText(text)
        for label, callback in (actions or {}).items():
            button = QPushButton(label)
            button.clicked.connect(callback)
            button.clicked.connect(self.clear)
            self._buttons.addWidget(button)
        self.show()

    def clear(self) -> None:
        self._clear_buttons()
        self.hide()
        self.dismissed.emit()

    def _clear_buttons(self) -> None:
        while self._buttons.count():
            item = self._buttons.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
