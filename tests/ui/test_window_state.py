"""What the window remembers (geometry, splitters, recent plans) and the second-window warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QPushButton

from app.settings import load_settings
from app.ui.instance_lock import lock_file, read_pids
from app.ui.recovery import RESTORE_LABEL, write_recovery
from app.ui.window_state import MAX_RECENT, state_file
from tests.helpers.plans import write_plan
from tests.helpers.window import MakeWindow


def test_geometry_and_splitters_come_back_apart_from_the_preferences(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    first = make_window(plan, remember=True)
    # The offscreen screen is 800 px wide and Qt keeps a restored window on its screen, shrinking it
    # to its minimum width: use that width, so that what is restored can be compared exactly.
    width = first.minimumSizeHint().width()
    first.resize(width, 760)
    qtbot.waitUntil(lambda: first.width() == width and first.height() == 760, timeout=3000)
    main_sizes = first.splitter.sizes()
    first.splitter.setSizes([main_sizes[0] - 120, main_sizes[1] + 120, main_sizes[2]])
    left_sizes = first.left_splitter.sizes()
    first.left_splitter.setSizes([left_sizes[0] + 60, left_sizes[1] - 60, left_sizes[2]])
    wanted_main, wanted_left = first.splitter.sizes(), first.left_splitter.sizes()
    first.close()

    record = json.loads(state_file().read_text(encoding="utf-8"))
    assert {"geometry", "main_splitter", "left_splitter"} <= set(record)
    assert not any("window" in k or "geometry" in k for k in load_settings().__dict__)

    second = make_window(plan, remember=True)
    qtbot.waitUntil(lambda: second.width() == width and second.height() == 760, timeout=3000)
    assert second.splitter.sizes() == wanted_main
    assert second.left_splitter.sizes() == wanted_left


def test_a_damaged_state_file_is_ignored(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    state_file().parent.mkdir(parents=True, exist_ok=True)
    state_file().write_text('{"geometry": "not base64 at all!", "main_splitter": 3', encoding="utf-8")
    window = make_window(None, remember=True)
    assert window.width() == 1400
    state_file().write_text('{"geometry": "bm90IGEgZ2VvbWV0cnk="}', encoding="utf-8")
    assert not window.remember_state()


def test_recent_plans_most_recent_first_missing_ones_dropped(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plans = [write_plan(tmp_path / f"p{i:02d}", 1) for i in range(MAX_RECENT + 2)]
    window = make_window(plans[0])
    for plan in plans[1:]:
        assert window.open_plan(plan)
    files = window.plan_files
    files.rebuild_recent_menu()
    listed = [Path(a.data()) for a in files.recent_actions()]
    assert listed == [p.absolute() for p in reversed(plans)][:MAX_RECENT]
    assert load_settings().recent_files == [str(p) for p in listed]  # kept in the preferences
    assert window.session.settings.recent_files == [str(p) for p in listed]

    plans[-2].unlink()
    files.rebuild_recent_menu()
    listed = [Path(a.data()) for a in files.recent_actions()]
    assert plans[-2].absolute() not in listed and listed[0] == plans[-1].absolute()

    # Opening from the menu asks about unsaved edits first, and moves the plan to the top.
    window.editor.insertPlainText("unsaved")
    asked: list[bool] = []
    window.ask_unsaved = lambda: asked.append(True) or "cancel"  # type: ignore[assignment]
    target = next(a for a in files.recent_actions() if Path(a.data()) == plans[5].absolute())
    target.trigger()
    assert asked and window.session.path == plans[-1]
    window.ask_unsaved = lambda: "discard"  # type: ignore[assignment]
    target.trigger()
    assert window.session.path == plans[5].absolute()
    files.rebuild_recent_menu()
    assert Path(files.recent_actions()[0].data()) == plans[5].absolute()
    assert files.recent_menu.menuAction() in next(
        a.menu() for a in window.menuBar().actions() if a.text() == "&File").actions()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_second_window_on_the_same_plan_warns(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    other = os.getppid()  # a live process that is not us: the "other window"
    lock_file(plan).parent.mkdir(parents=True, exist_ok=True)
    lock_file(plan).write_text(f"{other}\n", encoding="ascii")
    window = make_window(plan)
    assert f"open in another Cardsmith window (pid {other})" in window.banner.text
    assert read_pids(lock_file(plan)) == [other, os.getpid()]
    window.close()
    assert read_pids(lock_file(plan)) == [other]  # ours removed, theirs kept


def test_a_stale_lock_is_taken_over_silently(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    lock_file(plan).parent.mkdir(parents=True, exist_ok=True)
    lock_file(plan).write_text(f"{_dead_pid()}\n", encoding="ascii")
    window = make_window(plan)
    assert window.banner.text == ""
    assert read_pids(lock_file(plan)) == [os.getpid()]
    other = write_plan(tmp_path / "other", 1)
    assert window.open_plan(other)  # the lock follows the plan
    assert not lock_file(plan).exists() and read_pids(lock_file(other)) == [os.getpid()]
    window.close()
    assert not lock_file(other).exists()


def test_the_warning_waits_behind_the_recovery_offer(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    write_recovery(plan, "## Crash edits\n")
    lock_file(plan).parent.mkdir(parents=True, exist_ok=True)
    lock_file(plan).write_text(f"{os.getppid()}\n", encoding="ascii")
    window = make_window(plan)
    assert "unsaved edits" in window.banner.text
    buttons = [b for b in window.banner.findChildren(QPushButton) if b.text() == RESTORE_LABEL]
    buttons[-1].click()
    assert "open in another Cardsmith window" in window.banner.text
