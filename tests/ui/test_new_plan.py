"""``cardsmith new-guide.md`` for a file that does not exist: a new, unsaved plan from the template,
which Save (Ctrl+S) writes to that path without asking for a name; refused in one line (exit 2) for
a folder or a folder that does not exist. The command line keeps its error for a missing plan."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app.__main__ import main
from app.core.lint_report import lint_plan_and_cards
from app.core.new_plan import new_plan_text
from app.settings import load_settings
from tests.helpers.window import MakeWindow, type_at_end

REPO = Path(__file__).resolve().parents[2]


def test_a_new_plan_is_the_template_unsaved_and_ctrl_s_writes_it_at_its_path(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[object] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: asked.append(a) or ("", ""))
    path = tmp_path / "new-guide.md"
    window = make_window(None)
    window.new_plan(path)

    assert window.plan_text() == new_plan_text(path)
    assert window.windowTitle().startswith("Cardsmith — new-guide.md") and window.isWindowModified()
    assert window.statusBar().currentMessage() == f"New plan: Save (Ctrl+S) writes {path}"
    plan = window.session.plan
    assert plan.issues == () and [c.name for c in plan.components] == ["Example Component"]
    assert window.runs.act_generate.isEnabled()
    window.generate_all()  # cards live beside the plan: not before it is on disk
    assert window.banner.text.startswith("Save the plan first")
    assert not path.exists() and list(tmp_path.iterdir()) == []

    window.activateWindow()
    window.editor.setFocus()
    type_at_end(window, "\n## Second One\nShow another pattern.\n")
    qtbot.keyClick(window.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert asked == []  # Save knew where
    assert path.read_text(encoding="utf-8") == window.plan_text()
    assert not window.isWindowModified() and not window.session.document.is_new
    assert load_settings().recent_files[:1] == [str(path.absolute())]
    report = lint_plan_and_cards(path)
    assert report.plan.issues == () and report.missing == ["Example Component", "Second One"]
    assert report.exit_code == 0


@pytest.mark.parametrize(("where", "says"), [
    ("", "is a folder, not a plan file"),
    ("nowhere/guide.md", "no folder"),
    ("lnit", "a new plan's name ends in .md"),  # a mistyped command is not a new plan
])
def test_the_window_refuses_what_cannot_become_a_new_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str, says: str
) -> None:
    assert main([str(tmp_path / where)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cardsmith: error: ") and says in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["lint", "generate", "estimate"])
def test_the_command_line_keeps_its_error_for_a_missing_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    missing = tmp_path / "missing.md"
    assert main([command, str(missing)]) == 2
    err = capsys.readouterr().err
    assert "missing.md" in err and err.count("\n") == 1 and not missing.exists()


# The launcher (`python -m app new-guide.md`) in a process of its own: what its window shows, then
# Save as Ctrl+S does it (a Save As dialog would be recorded, not shown), then the window closes.
LAUNCHED = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFileDialog
from app.__main__ import main
from app.ui import main_window

plan, marker = Path(sys.argv[1]), Path(sys.argv[2])
asked = []
QFileDialog.getSaveFileName = lambda *a, **k: asked.append(1) or ("", "")
base_init = main_window.MainWindow.__init__

def drive(window):
    seen = {"title": window.windowTitle(), "text": window.plan_text(), "modified": window.isWindowModified(),
            "existed": plan.exists()}
    seen["saved"] = window.save()
    seen["asked"] = len(asked)
    marker.write_text(json.dumps(seen))
    window.close()

def init(self, *args, **kwargs):
    base_init(self, *args, **kwargs)
    QTimer.singleShot(0, lambda: drive(self))

main_window.MainWindow.__init__ = init
sys.exit(main([str(plan)]))
"""


def test_the_launcher_opens_a_missing_plan_as_a_new_one_saved_where_it_was_named(tmp_path: Path) -> None:
    plan, marker = tmp_path / "new-guide.md", tmp_path / "seen.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    done = subprocess.run([sys.executable, "-c", LAUNCHED, str(plan), str(marker)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(marker.read_text(encoding="utf-8"))
    assert seen["title"].startswith("Cardsmith — new-guide.md") and seen["modified"] is True
    assert seen["text"] == new_plan_text(plan) and seen["existed"] is False
    assert seen["saved"] is True and seen["asked"] == 0
    assert plan.read_text(encoding="utf-8") == new_plan_text(plan)
