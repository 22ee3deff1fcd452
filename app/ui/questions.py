"""The window's modal questions: save unsaved edits?, and a yes/no before something is replaced."""

from __future__ import annotations

from typing import Literal

from PySide6.QtWidgets import QMessageBox, QWidget

Answer = Literal["save", "discard", "cancel"]


def ask_unsaved(parent: QWidget, name: str) -> Answer:
    """Save the changes to the plan ``name``? "save", "discard" or "cancel" (closing the box)."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", f"Save the changes to {name}?",
                      parent=parent)
    box.setStandardButtons(buttons.Save | buttons.Discard | buttons.Cancel)
    choice = buttons(box.exec())
    return "save" if choice == buttons.Save else "discard" if choice == buttons.Discard else "cancel"


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    return QMessageBox.question(parent, title, text) == QMessageBox.StandardButton.Yes
