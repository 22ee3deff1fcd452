"""A plan or card changed on disk (a git pull): reload when clean, ask when there are unsaved edits."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from app.core.store import cards_folder
from app.ui.file_watch import CHANGED_TEXT, KEEP_LABEL, RELOAD_LABEL
from app.ui.recovery import read_recovery
from tests.helpers.cli import copy_example
from tests.helpers.plans import write_plan
from tests.helpers.window import MakeWindow, click_banner, type_at_end


def replace_like_git(path: Path, text: str) -> None:
    """A new file renamed over the old one, as git checkout and most editors do."""
    tmp = path.with_name(f".{path.name}.incoming")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def test_a_clean_plan_reloads_silently_and_stays_watched(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    window = make_window(plan)
    pulled = plan.read_text(encoding="utf-8") + "## Component 03\nA third, from a git pull.\n"
    replace_like_git(plan, pulled)
    qtbot.waitUntil(lambda: window.plan_text() == pulled, timeout=5000)
    assert not window.isWindowModified()
    assert window.banner.text == ""
    assert "changed on disk" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: len(window.outline.visible_keys()) == 3, timeout=3000)
    assert str(plan.absolute()) in window.file_watch.watched()  # re-added after the rename

    # An in-place write (another editor) is seen too, through the re-added watch.
    again = pulled + "## Component 04\nA fourth.\n"
    plan.write_text(again, encoding="utf-8")
    qtbot.waitUntil(lambda: window.plan_text() == again, timeout=5000)


def test_unsaved_edits_raise_the_banner_instead(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    window = make_window(plan)
    type_at_end(window, "my unsaved line")
    mine = window.plan_text()
    window.recovery.flush()
    theirs = plan.read_text(encoding="utf-8") + "## From the pull\nTheir component.\n"
    replace_like_git(plan, theirs)
    qtbot.waitUntil(lambda: window.banner.text.startswith(CHANGED_TEXT), timeout=5000)
    assert window.plan_text() == mine

    click_banner(window, KEEP_LABEL)
    assert window.plan_text() == mine and window.isWindowModified()
    window.file_watch.check_now()
    assert window.banner.text == ""  # not asked again about the same change

    theirs_again = theirs + "## Another pull\nMore.\n"
    replace_like_git(plan, theirs_again)
    qtbot.waitUntil(lambda: window.banner.text.startswith(CHANGED_TEXT), timeout=5000)
    click_banner(window, RELOAD_LABEL)
    assert window.plan_text() == theirs_again
    assert not window.isWindowModified()
    assert read_recovery(plan) is None  # the writer chose to lose those edits


def test_the_apps_own_save_is_not_a_change_on_disk(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    window = make_window(plan)
    reloads: list[str] = []
    window.session.opened.connect(lambda p: reloads.append(str(p)))
    type_at_end(window, "saved by me")
    with qtbot.waitSignal(window.file_watch.watcher.directoryChanged, timeout=5000):
        assert window.save()  # an atomic rename in the plan's folder
    type_at_end(window, " and more")  # unsaved again: a wrongly detected change would ask
    window.file_watch.check_now()
    assert window.banner.text == ""
    assert reloads == []
    assert window.plan_text().endswith("saved by me and more")


def test_a_card_edited_on_disk_is_reloaded(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = copy_example(tmp_path)
    window = make_window(plan)
    key = window.session.plan.components[0].key
    assert window.session.states[key] == "done"
    card = window.session.snapshot.cards[key].path  # type: ignore[union-attr]
    text = card.read_text(encoding="utf-8")
    replace_like_git(card, text.replace("## Why this works", "An added line.\n\n## Why this works", 1))
    qtbot.waitUntil(lambda: window.session.states.get(key) == "edited", timeout=5000)
    assert window.banner.text == ""
    assert str(card) in window.file_watch.watched()

    # A card file that appears (a teammate's new card, pulled) is picked up as well.
    new_card = cards_folder(plan) / "pulled.md"
    new_card.write_text(text, encoding="utf-8")
    qtbot.waitUntil(lambda: str(new_card) in window.file_watch.watched(), timeout=5000)


def test_a_cards_folder_that_appears_is_watched(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 1)
    window = make_window(plan)
    folder = cards_folder(plan)
    assert str(folder) not in window.file_watch.watched()
    folder.mkdir()
    qtbot.waitUntil(lambda: str(folder) in window.file_watch.watched(), timeout=5000)
