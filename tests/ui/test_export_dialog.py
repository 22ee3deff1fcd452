"""The export dialog writes exactly what it reports, shows a refusal as one line, opens the folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest
from PySide6.QtCore import QUrl

from app.core.export import MANIFEST_NAME
from app.core.export_sites import CATEGORY_NAME
from app.core.plan import Plan, load_plan
from app.core.store import CardStore, StoreSnapshot
from app.export_choices import ExportChoice, load_export_choice
from app.ui.export_dialog import FORMAT_LABELS, ExportDialog, default_target
from tests.helpers.cli import copy_example
from tests.helpers.sites import hostile_example
from tests.helpers.window import MakeWindow


@pytest.fixture
def example(tmp_path: Path) -> tuple[Path, Plan, StoreSnapshot]:
    plan_path = copy_example(tmp_path)
    plan = load_plan(plan_path)
    return plan_path, plan, CardStore(plan_path).load(plan)


def make_dialog(qtbot: Any, example: tuple[Path, Plan, StoreSnapshot], **kwargs: Any) -> ExportDialog:
    plan_path, plan, snapshot = example
    dialog = ExportDialog(plan, snapshot, plan_path, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def files_on_disk(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()}


def test_folder_export_lists_exactly_the_files_written(qtbot: Any, example: Any) -> None:
    plan_path, plan, snapshot = example
    dialog = make_dialog(qtbot, example)
    target = plan_path.parent / "auth-service-export"
    assert dialog.target() == target == default_target(plan_path)
    assert dialog.format() == "folder"

    result = dialog.export()
    assert result is not None and dialog.error == ""
    shown = dialog.listed()
    assert shown["unchanged"] == [] and shown["removed"] == []
    # What the dialog lists is what is on disk (plus the export's own manifest), and vice versa.
    assert set(shown["written"]) | {MANIFEST_NAME} == files_on_disk(target)
    assert len(shown["written"]) == len(snapshot.cards) + 2  # cards, index.md, bundle.json
    assert "index.md" in shown["written"] and "bundle.json" in shown["written"]
    assert f"{len(shown['written'])} written" in dialog.summary_label.text()

    # The same cards again: nothing is rewritten, and the dialog says so.
    dialog.export()
    assert dialog.listed()["written"] == []
    assert set(dialog.listed()["unchanged"]) | {MANIFEST_NAME} == files_on_disk(target)

    # A card that left the bundle is removed, and listed as removed.
    gone = plan.components[0]
    smaller = replace(plan, components=plan.components[1:])
    dialog.plan = smaller
    before = files_on_disk(target)
    dialog.export()
    removed = dialog.listed()["removed"]
    assert len(removed) == 1 and removed[0] == snapshot.card(gone).path.name
    assert files_on_disk(target) == before - set(removed)
    assert set(dialog.listed()["written"]) <= files_on_disk(target)


def test_a_foreign_file_is_one_line_and_the_dialog_stays(qtbot: Any, example: Any, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "index.md").write_text("my own notes\n", encoding="utf-8")
    dialog = make_dialog(qtbot, example)
    dialog.show()
    dialog.target_edit.setText(str(target))

    assert dialog.export() is None
    assert "refusing to overwrite 'index.md'" in dialog.error
    assert "\n" not in dialog.error_label.text()
    assert dialog.error_label.isVisible() and dialog.isVisible()
    assert dialog.listed() == {"written": [], "unchanged": [], "removed": []}
    assert files_on_disk(target) == {"index.md"}
    assert (target / "index.md").read_text(encoding="utf-8") == "my own notes\n"


@pytest.mark.parametrize(("fmt", "suffix"), [("single", ".md"), ("html", ".html"), ("zip", ".zip")])
def test_one_file_formats(qtbot: Any, example: Any, tmp_path: Path, fmt: str, suffix: str) -> None:
    dialog = make_dialog(qtbot, example)
    dialog.set_format(fmt)
    assert dialog.front_matter_check.isEnabled() == (fmt == "zip")
    dialog.target_edit.setText(str(tmp_path / "bundle"))
    dialog.export()
    [name] = dialog.listed()["written"]
    assert name.endswith(suffix)
    assert files_on_disk(tmp_path / "bundle") == {name, MANIFEST_NAME}


def test_front_matter_off_writes_bare_cards(qtbot: Any, example: Any, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, example)
    dialog.target_edit.setText(str(tmp_path / "bare"))
    dialog.front_matter_check.setChecked(False)
    dialog.export()
    cards = [n for n in dialog.listed()["written"] if n not in ("index.md", "bundle.json")]
    assert cards
    for name in cards:
        assert (tmp_path / "bare" / name).read_text(encoding="utf-8").startswith("# ")


def test_open_folder_and_the_remembered_choice(qtbot: Any, example: Any, tmp_path: Path) -> None:
    opened: list[QUrl] = []
    dialog = make_dialog(qtbot, example, open_url=opened.append)
    target = tmp_path / "zipped"
    assert not dialog.open_button.isEnabled()  # nothing there yet
    dialog.set_format("zip")
    dialog.target_edit.setText(str(target))
    dialog.export()
    assert dialog.open_button.isEnabled()
    dialog.open_button.click()
    assert opened == [QUrl.fromLocalFile(str(target))]

    again = make_dialog(qtbot, example)
    assert again.format() == "zip" and again.target() == target


def test_ctrl_e_opens_the_dialog_for_the_open_plan(tmp_path: Path, make_window: MakeWindow) -> None:
    plan_path = copy_example(tmp_path)
    window = make_window(plan_path, shown=False)
    window.act_export.trigger()
    dialog = window.findChild(ExportDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.plan_path == plan_path
    assert dialog.target() == default_target(plan_path)
    dialog.export()
    assert (default_target(plan_path) / "index.md").is_file()
    dialog.reject()


def test_the_site_targets_are_offered_and_remembered_per_plan(qtbot: Any, example: Any, tmp_path: Path) -> None:
    plan_path, plan, snapshot = example
    dialog = make_dialog(qtbot, example)
    assert list(FORMAT_LABELS) == ["folder", "single", "html", "zip", "docusaurus", "mkdocs", "hugo", "starlight"]
    dialog.set_format("docusaurus")
    assert not dialog.front_matter_check.isEnabled()
    # What it will write, before it writes anything.
    assert dialog.will_write().startswith(f"{CATEGORY_NAME}, login-handler.md, password-hashing.md")
    assert dialog.plan_label.text() == dialog.will_write()
    dialog.target_edit.setText(str(tmp_path / "site" / "docs" / "examples"))
    dialog.export()
    assert CATEGORY_NAME in dialog.listed()["written"]

    # Kept in the preferences' folder: a new dialog (a new session of the window) starts there.
    assert load_export_choice(plan_path) == ExportChoice("docusaurus", str(tmp_path / "site" / "docs" / "examples"))
    again = make_dialog(qtbot, example)
    assert again.format() == "docusaurus" and again.target() == tmp_path / "site" / "docs" / "examples"
    other = tmp_path / "other"
    other.mkdir()
    elsewhere = make_dialog(qtbot, (copy_example(other), plan, snapshot))
    assert elsewhere.format() == "folder"  # another plan has its own (none yet)


def test_a_plans_target_is_the_first_choice(qtbot: Any, tmp_path: Path) -> None:
    plan_path = hostile_example(tmp_path)
    plan_path.write_text(plan_path.read_text(encoding="utf-8").replace("---\n", "---\ntarget: hugo\n", 1))
    plan = load_plan(plan_path)
    dialog = make_dialog(qtbot, (plan_path, plan, CardStore(plan_path).load(plan)))
    assert dialog.format() == "hugo"
    assert "_index.md" in dialog.will_write()


def test_mkdocs_shows_the_nav_or_writes_mkdocs_yml(qtbot: Any, example: Any, tmp_path: Path) -> None:
    dialog = make_dialog(qtbot, example)
    dialog.show()
    dialog.set_format("mkdocs")
    assert dialog.config_check.isVisible()
    dialog.target_edit.setText(str(tmp_path / "docs" / "examples"))
    dialog.export()
    assert dialog.nav_text.isVisible()
    assert "  - User Model: examples/user-model.md" in dialog.nav_text.toPlainText()

    dialog.target_edit.setText(str(tmp_path / "site" / "docs"))
    dialog.config_check.setChecked(True)
    assert dialog.will_write().endswith(f"; mkdocs.yml in {tmp_path / 'site'}")
    dialog.export()
    assert not dialog.nav_text.isVisible()
    assert f"written: {(tmp_path / 'site' / 'mkdocs.yml').resolve()}" in [
        dialog.files_list.item(row).text() for row in range(dialog.files_list.count())
    ]
    dialog.set_format("hugo")
    assert not dialog.config_check.isVisible() and not dialog.write_config()
