"""The export dialog: choose a format or a docs site and a folder, see what will be written, export
the bundle, see exactly what was written.

The bundle itself comes from ``app.core.export.export_bundle``; this dialog only gathers the
choices (remembered per plan in the preferences' folder), reports the result file by file (or the
one-line ``ExportError``, without closing) and offers to open the folder.
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
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.core.bundle import bundle_entries
from app.core.export import MANIFEST_NAME, ExportFormat, ExportResult, export_bundle, planned_names
from app.core.export_sites import MKDOCS_CONFIG_NAME, mkdocs_nav, nav_prefix
from app.core.plan import Plan
from app.core.store import CARDS_SUFFIX, StoreSnapshot, cards_folder
from app.errors import CardsmithError
from app.export_choices import ExportChoice, load_export_choice, save_export_choice

FORMAT_LABELS: dict[str, str] = {
    "folder": "Folder of Markdown files (index.md, one file per card, bundle.json)",
    "single": "Single Markdown file",
    "html": "HTML page (self-contained, styled like the preview)",
    "zip": "Zip archive of the folder",
    "docusaurus": "Docusaurus docs folder (_category_.json; prose made MDX-safe)",
    "mkdocs": "MkDocs docs folder (index.md; the nav for mkdocs.yml)",
    "hugo": "Hugo content section (_index.md; pages by weight)",
    "starlight": "Starlight docs folder (title and sidebar order)",
}
# Front matter belongs to the per-card files, which only the folder and the zip have.
FRONT_MATTER_FORMATS = frozenset({"folder", "zip"})


_SHOWN_NAMES = 8
"""Files named in the "will write" line before it says how many more."""


def default_target(plan_path: Path) -> Path:
    """``guide.md`` -> ``guide-export/`` beside it."""
    stem = cards_folder(plan_path).name[: -len(CARDS_SUFFIX)]
    return plan_path.parent / f"{stem}-export"


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
        self.config_check = QCheckBox(
            f"Also write {MKDOCS_CONFIG_NAME} beside the folder (the folder is the site's docs folder)", self
        )
        self.plan_label = QLabel(self)
        self.plan_label.setWordWrap(True)
        self.nav_text = QPlainTextEdit(self)
        self.nav_text.setReadOnly(True)
        self.nav_text.hide()
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

        self._names: dict[tuple[str, int, int], list[str]] = {}
        self._restore(load_export_choice(self.plan_path))
        for button in self.format_buttons.values():
            button.toggled.connect(self._update_controls)
        self.target_edit.textChanged.connect(self._update_controls)
        self.config_check.toggled.connect(self._update_controls)
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
        form.addRow("", self.config_check)
        form.addRow("Will write", self.plan_label)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.files_list, 1)
        layout.addWidget(self.nav_text)
        layout.addWidget(buttons)
        self.resize(660, 560)

    def _restore(self, choice: ExportChoice | None) -> None:
        # Without a choice of its own, a plan whose target is a docs site exports for that site.
        fmt = choice.fmt if choice else self.plan.settings.target or "folder"
        self.format_buttons.get(fmt, self.format_buttons["folder"]).setChecked(True)
        self.target_edit.setText(choice.folder if choice else str(default_target(self.plan_path)))
        self.front_matter_check.setChecked(choice.front_matter if choice else True)
        self.config_check.setChecked(choice.write_config if choice else False)

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

    def write_config(self) -> bool:
        return self.config_check.isChecked() and self.format() == "mkdocs"

    def _update_controls(self, *_args: object) -> None:
        self.front_matter_check.setEnabled(self.format() in FRONT_MATTER_FORMATS)
        self.config_check.setVisible(self.format() == "mkdocs")
        self.export_button.setEnabled(self.target() is not None)
        target = self.target()
        self.open_button.setEnabled(target is not None and target.is_dir())
        self.plan_label.setText(self.will_write())

    def will_write(self) -> str:
        """What an export with the current choices writes, in one line."""
        fmt = self.format()
        key = (fmt, id(self.plan), id(self.snapshot))
        if key not in self._names:  # once per format: the names cost a pass over the cards
            self._names[key] = planned_names(self.plan, self.snapshot, fmt)
        names = self._names[key]
        shown = ", ".join(names[:_SHOWN_NAMES])
        if len(names) > _SHOWN_NAMES:
            shown += f" and {len(names) - _SHOWN_NAMES} more"
        target = self.target()
        if self.write_config() and target is not None:
            shown += f"; {MKDOCS_CONFIG_NAME} in {target.parent}"
        return shown

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
        choice = ExportChoice(
            fmt, str(target), self.front_matter_check.isChecked(), self.config_check.isChecked()
        )
        try:
            save_export_choice(self.plan_path, choice)
        except CardsmithError:
            pass  # an unwritable preferences folder only costs the remembered choice
        try:
            result = export_bundle(
                self.plan, self.snapshot, target, fmt=fmt, front_matter=self.front_matter(),
                write_config=self.write_config(),
            )
        except CardsmithError as exc:
            self._show_error(exc.message)
            return None
        self.result = result
        self.error = ""
        self.error_label.hide()
        self._show_result(result)
        self._show_nav(fmt, result, target)
        self._update_controls()
        return result

    def _show_nav(self, fmt: str, result: ExportResult, target: Path) -> None:
        """MkDocs without a written mkdocs.yml: the nav entries to paste into the site's own."""
        if fmt != "mkdocs" or result.config is not None:
            self.nav_text.hide()
            return
        nav = mkdocs_nav(self.plan, bundle_entries(self.plan, self.snapshot), nav_prefix(target))
        self.nav_text.setPlainText(f"# add to the nav of your {MKDOCS_CONFIG_NAME}\n{nav}")
        self.nav_text.show()

    def _show_error(self, message: str) -> None:
        self.error = message
        self.result = None
        self.error_label.setText(f"Not exported: {message}")
        self.error_label.show()
        self.summary_label.clear()
        self.files_list.clear()
        self.nav_text.hide()

    def _show_result(self, result: ExportResult) -> None:
        self.files_list.clear()
        for word, paths in (("written", result.written), ("unchanged", result.unchanged),
                            ("removed", result.removed)):
            for path in paths:
                self.files_list.addItem(f"{word}: {path.name}")
        if result.config is not None:
            self.files_list.addItem(f"written: {result.config}")
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
