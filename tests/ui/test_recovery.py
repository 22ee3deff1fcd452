"""Unsaved plan edits survive a crash: autosaved recovery copies, the offer to restore them, clean-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from app.core.fsutil import is_tmp_leftover
from app.ui.instance_lock import lock_file
from app.ui.recovery import (
    DISCARD_LABEL,
    RESTORE_LABEL,
    UNTITLED_KEY,
    read_recovery,
    recovery_file,
    write_recovery,
)
from tests.helpers.plans import write_plan
from tests.helpers.window import MakeWindow, click_banner, type_at_end

REPO = Path(__file__).resolve().parents[2]


def test_a_crash_keeps_the_text_of_the_last_autosave(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    on_disk = plan.read_bytes()
    first = make_window(plan)
    first.recovery.set_intervals(50, 200)
    type_at_end(first, "autosaved words")
    qtbot.waitUntil(lambda: read_recovery(plan) is not None
                    and read_recovery(plan).text.endswith("autosaved words"), timeout=5000)
    autosaved = first.plan_text()
    first.recovery.set_intervals(60000, 60000)
    type_at_end(first, " typed after the last autosave")
    assert first.plan_text() != autosaved

    # The first window "crashed": it never closed. A new window on the plan offers the edits back.
    second = make_window(plan)
    assert second.plan_text() == plan.read_text(encoding="utf-8")
    assert "unsaved edits" in second.banner.text
    assert not second.isWindowModified()
    click_banner(second, RESTORE_LABEL)
    assert second.plan_text() == autosaved
    assert second.editor.document().isModified() and second.isWindowModified()
    assert plan.read_bytes() == on_disk  # only Save writes the plan
    second.editor.undo()  # one step back to the file's text
    assert second.plan_text() == plan.read_text(encoding="utf-8")


def test_recovery_copy_is_complete_json_written_atomically(tmp_path: Path) -> None:
    plan = tmp_path / "guide.md"
    target = write_recovery(plan, "## One\nédits\n")
    record = json.loads(target.read_text(encoding="utf-8"))
    assert record["plan"] == str(plan.resolve()) and record["text"] == "## One\nédits\n"
    assert abs(record["saved_at"] - time.time()) < 60
    assert target.parent.name == "recovery" and len(target.stem) == 64
    assert not [p for p in target.parent.iterdir() if is_tmp_leftover(p)]
    assert recovery_file(None).name == f"{UNTITLED_KEY}.json"
    assert recovery_file(tmp_path / "other.md") != target


def test_discarding_at_close_removes_the_recovery_copy(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    on_disk = plan.read_bytes()
    window = make_window(plan)
    type_at_end(window, "x")
    assert window.recovery.flush() == recovery_file(plan)
    asked: list[str] = []

    def cancel() -> str:
        asked.append("cancel")
        return "cancel"

    window.ask_unsaved = cancel  # type: ignore[assignment]
    window.close()
    assert asked and window.isVisible() and recovery_file(plan).exists()
    window.ask_unsaved = lambda: "discard"  # type: ignore[assignment]
    window.close()
    assert not window.isVisible()
    assert not recovery_file(plan).exists()
    assert plan.read_bytes() == on_disk


def test_save_removes_the_recovery_copy(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    window = make_window(plan)
    type_at_end(window, "kept")
    window.recovery.flush()
    assert recovery_file(plan).exists()
    assert window.save()
    assert not recovery_file(plan).exists()
    assert plan.read_text(encoding="utf-8").endswith("kept")


def test_declining_the_offer_removes_the_copy(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    write_recovery(plan, "## Old edits\nnever saved\n")
    window = make_window(plan)
    assert "unsaved edits" in window.banner.text
    click_banner(window, DISCARD_LABEL)
    assert not recovery_file(plan).exists()
    assert window.plan_text() == plan.read_text(encoding="utf-8")
    assert not window.isWindowModified()


def test_an_unanswered_offer_is_not_overwritten_by_new_typing(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    write_recovery(plan, "## Old edits\nfrom the crash\n")
    window = make_window(plan)
    window.recovery.set_intervals(20, 50)
    window.banner.clear()  # the writer waved it away without answering
    type_at_end(window, "new")
    qtbot.waitUntil(lambda: "unsaved edits" in window.banner.text, timeout=3000)  # asked again
    assert read_recovery(plan).text == "## Old edits\nfrom the crash\n"
    window.close()  # discarding the new edits keeps the unanswered copy for the next start
    assert read_recovery(plan).text == "## Old edits\nfrom the crash\n"


def test_a_copy_identical_to_the_file_is_not_offered(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 2)
    write_recovery(plan, plan.read_text(encoding="utf-8"))
    window = make_window(plan)
    assert window.banner.text == ""
    assert not recovery_file(plan).exists()


def test_a_load_error_never_replaces_a_copy(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    broken = tmp_path / "broken.md"
    broken.mkdir()  # opening it fails
    write_recovery(broken, "## Precious\nedits\n")
    window = make_window(broken)
    assert "cannot open" in window.banner.text
    assert window.recovery.flush() is None  # an empty, untouched editor is not autosaved
    window.close()
    assert read_recovery(broken).text == "## Precious\nedits\n"
    assert not recovery_file(None).exists()


def test_an_emptied_editor_is_still_autosaved(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    plan = write_plan(tmp_path, 1)
    window = make_window(plan)
    window.editor.selectAll()
    window.editor.textCursor().removeSelectedText()
    assert window.plan_text() == "" and window.editor.document().isModified()
    window.recovery.flush()
    assert read_recovery(plan).text == ""


def test_untitled_edits_are_offered_at_the_next_start(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow
) -> None:
    first = make_window(None)
    type_at_end(first, "## Draft\nnot saved yet")
    assert first.recovery.flush() == recovery_file(None)
    second = make_window(None)
    assert second.recovery.offer() is not None  # the launcher does this for a start without a plan
    click_banner(second, RESTORE_LABEL)
    assert second.plan_text() == "## Draft\nnot saved yet"
    # Save As from the untitled plan moves the work to the new file and drops the untitled copy.
    assert second.save_to(tmp_path / "draft.md")
    assert not recovery_file(None).exists()


def _start_app(plan: Path, data: Path, config: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CARDSMITH_DATA_DIR=str(data),
               CARDSMITH_CONFIG_DIR=str(config))
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    return subprocess.Popen([sys.executable, "-m", "app", str(plan)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate: Any, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"the app exited early ({proc.returncode}): {proc.stderr.read()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("the app did not open the plan in time")
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_the_real_app_keeps_the_copy_through_kill_9_and_sigterm(
    qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_window: MakeWindow
) -> None:
    data, config = tmp_path / "data", tmp_path / "config"
    monkeypatch.setenv("CARDSMITH_DATA_DIR", str(data))
    plan = write_plan(tmp_path / "work", 2)
    on_disk = plan.read_bytes()
    write_recovery(plan, "## Crash edits\nkept\n")

    proc = _start_app(plan, data, config)
    _wait_for(lambda: lock_file(plan).exists(), proc)  # the window opened the plan
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert read_recovery(plan).text == "## Crash edits\nkept\n"  # the unanswered offer stays
    assert plan.read_bytes() == on_disk

    proc = _start_app(plan, data, config)  # its lock is stale: taken over silently
    _wait_for(lambda: f"{proc.pid}\n" in lock_file(plan).read_text() if lock_file(plan).exists()
              else False, proc)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert not lock_file(plan).exists()
    assert (data / "window-state.json").is_file()
    assert read_recovery(plan).text == "## Crash edits\nkept\n"
    assert plan.read_bytes() == on_disk

    window = make_window(plan)  # the next start still offers the edits back
    click_banner(window, RESTORE_LABEL)
    assert window.plan_text() == "## Crash edits\nkept\n"
