"""The window loads the Anthropic SDK (~1.6 s, ~90 MB) only for a run: a writer who only edits
never pays for it, and a run started without a hint still works (the import runs off the loop).

These run a window in a process of its own: this test session imports the SDK up front.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import copy_example
from tests.helpers.server_thread import StandInThread

CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, threading
    from pathlib import Path
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    from app.ui.qtapp import create_application

    app, loop = create_application([sys.argv[0]])
    from app.ui.main_window import MainWindow

    out = {}

    async def scenario():
        window = MainWindow(Path(sys.argv[1]))
        window.show()
        while not window.preview.is_loaded:
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.5)  # longer than any "after the first paint" warm-up would wait
        out["after_load"] = "anthropic" in sys.modules
        threads = threading.active_count()
        if sys.argv[2] == "hint":
            QApplication.sendEvent(window.panel.generate_button, QEvent(QEvent.Type.Enter))
            for _ in range(600):
                if "anthropic" in sys.modules and threading.active_count() == threads:
                    break
                await asyncio.sleep(0.1)
            out["after_hint"] = "anthropic" in sys.modules
        else:
            finished = []
            window.controller.run_finished.connect(finished.append)
            window.generate_all()
            while not finished:
                await asyncio.sleep(0.02)
            out["done"] = finished[0].done
            out["states"] = sorted(set(window.session.states.values()))
        print(json.dumps(out), flush=True)
        window.close()

    def finish(task):
        if task.exception() is not None:
            print(repr(task.exception()), file=sys.stderr, flush=True)
        app.quit()

    loop.create_task(scenario()).add_done_callback(finish)
    app.exec()
    """
)


def run_window(plan: Path, mode: str, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    env = dict(os.environ, **(extra_env or {}))
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(plan), mode],
        env=env, capture_output=True, text=True, timeout=120,
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, proc.stderr[-2000:]
    return json.loads(lines[-1])


@pytest.fixture
def stale_example(tmp_path: Path) -> Path:
    """The example with no cards yet: every component needs a request."""
    return copy_example(tmp_path, with_cards=False)


def test_an_open_window_has_not_loaded_the_sdk_until_a_run_is_hinted(stale_example: Path) -> None:
    out = run_window(stale_example, "hint")
    assert out == {"after_load": False, "after_hint": True}


def test_a_run_without_a_hint_loads_the_sdk_itself_and_completes(stale_example: Path) -> None:
    with StandInThread(mode="good") as api:
        out = run_window(stale_example, "run",
                         {"ANTHROPIC_BASE_URL": api.base_url, "ANTHROPIC_API_KEY": "sk-ant-test-key"})
        sent = len(api.records)
    assert out["after_load"] is False
    assert out["done"] == sent == 6
    assert out["states"] == ["done"]
