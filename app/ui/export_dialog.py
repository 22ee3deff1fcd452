"""The export dialog: choose a format and a folder, export the bundle, see exactly what was written.

The bundle itself comes from ``app.core.export.export_bundle``; this dialog only gathers the
choices, reports the result file by file (or the one-line ``ExportError``, without closing) and
offers to open the folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.export import MANIFEST_NAME, ExportFormat, ExportResult, export_bundle
from app.core.plan import Plan
from app.core.store import CARDS_SUFFIX, StoreSnapshot, cards_folder
from app.errors import CardsmithError

FORMAT_LABELS: dict[str, str] = {
    "folder": "Folder of Markdown files (index.md, one file per card, bundle.json)",
    "single": "Single Markdown file",
    "html": "HTML page (self-contained, styled like the preview)",
    "zip": "Zip archive of the folder",
}
# Front matter belongs to the per-card files, which only the folder and the zip have.
FRONT_MATTER_FORMATS = frozenset({"folder", "zip"})


@dataclass(frozen=True)
class ExportChoice:
    fmt: str
    target: Path
    front_matter: bool


_remembered: dict[Path, ExportChoice] = {}
"""Plan path -> the last choice made in this dialog (this process only; not persisted)."""


def default_target(plan_path: Path) -> Path:
    """``guide.md`` -> ``guide-export/`` beside it."""
    stem = cards_folder(plan_path).name[: -len(CARDS_SUFFIX)]
    return plan_path.parent / f"{stem}-export"


def forget_choices() -> None:
    """Drop every remembered choice (tests)."""
    _remembered.clear()


class ExportDialog(QDialog):
    """Export ``plan``'s cards from ``snapshot``; stays open to show the result.

    Attributes for tests: ``open_url`` (opens the folder; defaults to the desktop's file manager),
    ``choose_folder`` (the Browse… question), ``result`` (the last ExportResult or None) and
    ``error`` (the last one-line error or "").
    """

    def __init__(
        self,
        plan: Plan,
        snapshot: StoreSnapshot,
        plan_path: Path,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Export — {plan.settings.title}")
        self.plan = plan
        self.snapshot = snapshot
        self.plan_path = Path(plan_path)
        self.open_url: Callable[[QUrl], object] = open_url or QDesktopServices.openUrl
        self.choose_folder: Callable[[str], str] = self._choose_folder
        self.result: ExportResult | None = None
        self.error = ""

        self.format_buttons: dict[str, QRadioButton] = {}
        self._format_group = QButtonGroup(self)
        for fmt, label in FORMAT_LABELS.items():
            button = QRadioButton(label, self)
            self._format_group.addButton(button)
            self.format_buttons[fmt] = button
        self.target_edit = QLineEdit(self)
        self.browse_button = QPushButton("Browse…", self)
        self.front_matter_check = QCheckBox("Front matter in card files (model, tokens, cost, findings)", self)
        self.export_button = QPushButton("Export", self)
        self.export_button.setDefault(True)
        self.open_button = QPushButton("Open folder", self)
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.error_label = QLabel(self)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b3261e;")
        self.error_label.hide()
        self.files_list = QListWidget(self)
        self._build_layout()

        self._restore(_remembered.get(self.plan_path))
        for button in self.format_buttons.values():
            button.toggled.connect(self._update_controls)
        self.target_edit.textChanged.connect(self._update_controls)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.export)
        self.open_button.clicked.connect(self.open_folder)
        self._update_controls()

    # -- layout ----------------------------------------------------------------------------

    def _build_layout(self) -> None:
        formats = QVBoxLayout()
        for button in self.format_buttons.values():
            formats.addWidget(button)
        target_row = QHBoxLayout()
        target_row.addWidget(self.target_edit, 1)
        target_row.addWidget(self.browse_button)
        form = QFormLayout()
        form.addRow("Format", formats)
        form.addRow("Folder", target_row)
        form.addRow("", self.front_matter_check)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.files_list, 1)
        layout.addWidget(buttons)
        self.resize(620, 460)

    def _restore(self, choice: ExportChoice | None) -> None:
        fmt = choice.fmt if choice else "folder"
        self.format_buttons.get(fmt, self.format_buttons["folder"]).setChecked(True)
        self.target_edit.setText(str(choice.target if choice else default_target(self.plan_path)))
        self.front_matter_check.setChecked(choice.front_matter if choice else True)

    # -- choices ---------------------------------------------------------------------------

    def format(self) -> ExportFormat:
        for fmt, button in self.format_buttons.items():
            if button.isChecked():
                return fmt  # type: ignore[return-value]
        return "folder"

    def set_format(self, fmt: str) -> None:
        self.format_buttons[fmt].setChecked(True)

    def target(self) -> Path | None:
        """The chosen folder; a relative path is taken from the plan's folder."""
        text = self.target_edit.text().strip()
        if not text:
            return None
        path = Path(text).expanduser()
        return path if path.is_absolute() else self.plan_path.parent / path

    def front_matter(self) -> bool:
        return self.front_matter_check.isChecked() and self.format() in FRONT_MATTER_FORMATS

    def _update_controls(self, *_args: object) -> None:
        self.front_matter_check.setEnabled(self.format() in FRONT_MATTER_FORMATS)
        self.export_button.setEnabled(self.target() is not None)
        target = self.target()
        self.open_button.setEnabled(target is not None and target.is_dir())

    def browse(self) -> None:
        folder = self.choose_folder(self.target_edit.text())
        if folder:
            self.target_edit.setText(folder)

    def _choose_folder(self, start: str) -> str:
        return QFileDialog.getExistingDirectory(self, "Export into folder", start)

    # -- export ----------------------------------------------------------------------------

    def export(self) -> ExportResult | None:
        """Write the bundle and list what happened; an error is shown and the dialog stays open."""
        target = self.target()
        if target is None:
            self._show_error("choose a folder to export into")
            return None
        fmt = self.format()
        _remembered[self.plan_path] = ExportChoice(fmt, target, self.front_matter_check.isChecked())
        try:
            result = export_bundle(
                self.plan, self.snapshot, target, fmt=fmt, front_matter=self.front_matter()
            )
        except CardsmithError as exc:
            self._show_error(exc.message)
            return None
        self.result = result
        self.error = ""
        self.error_label.hide()
        self._show_result(result)
        self._update_controls()
        return result

    def _show_error(self, message: str) -> None:
        self.error = message
        self.result = None
        self.error_label.setText(f"Not exported: {message}")
        self.error_label.show()
        self.summary_label.clear()
        self.files_list.clear()

    def _show_result(self, result: ExportResult) -> None:
        self.files_list.clear()
        for word, paths in (("written", result.written), ("unchanged", result.unchanged),
                            ("removed", result.removed)):
            for path in paths:
                self.files_list.addItem(f"{word}: {path.name}")
        self.summary_label.setText(
            f"Exported to {result.out_dir}: {len(result.written)} written, "
            f"{len(result.unchanged)} unchanged, {len(result.removed)} removed "
            f"(plus {MANIFEST_NAME}, the record of what Cardsmith wrote there)."
        )

    def listed(self) -> dict[str, list[str]]:
        """What the dialog shows: "written"/"unchanged"/"removed" -> file names."""
        shown: dict[str, list[str]] = {"written": [], "unchanged": [], "removed": []}
        for row in range(self.files_list.count()):
            word, _, name = self.files_list.item(row).text().partition(": ")
            shown[word].append(name)
        return shown

    def open_folder(self) -> None:
        target = self.result.out_dir if self.result else self.target()
        if target is not None and target.is_dir():
            self.open_url(QUrl.fromLocalFile(str(target)))


def open_export_dialog(
    parent: QWidget, plan: Plan, snapshot: StoreSnapshot, plan_path: Path
) -> ExportDialog:
    """Show the dialog without a nested event loop (``open``, not ``exec``), so tests never block."""
    dialog = ExportDialog(plan, snapshot, plan_path, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
