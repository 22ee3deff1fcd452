"""Each command imports what it needs: `generate` sends its first request before it imports what
only later work needs, and the offline commands never import the SDK or Qt.

A real ``python -m app`` process against the stand-in, watched by tests/helpers/import_watch.py:
the stand-in is paused, so that the process cannot see any answer; once the stand-in holds the
first request, the process lists the modules it has imported so far. The allowed ones are in
tests/data/cli_first_request_modules.txt.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli_warm_up import LATER_WORK
from tests.helpers.cli import REPO
from tests.helpers.plans import write_plan
from tests.helpers.server_thread import KEY, StandIn, message_requests
from tests.helpers.waits import wait_until

ALLOWED_FILE = Path(__file__).parent / "data" / "cli_first_request_modules.txt"

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGUSR1"), reason="the watcher listens for SIGUSR1")


def allowed_patterns() -> list[str]:
    lines = ALLOWED_FILE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def not_allowed(modules: list[str], patterns: list[str]) -> list[str]:
    """The modules outside the standard library that no pattern allows (the watcher's own
    ``tests`` modules aside)."""

    def allowed(name: str) -> bool:
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top == "tests":
            return True
        for pattern in patterns:
            if pattern.endswith(".*") and (name == pattern[:-2] or name.startswith(pattern[:-1])):
                return True
            if fnmatch.fnmatchcase(name, pattern):
                return True
        return False

    return [name for name in modules if not allowed(name)]


def watched(out: Path, *argv: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.helpers.import_watch", str(out), *map(str, argv)],
        cwd=REPO, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def read_modules(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split()


def test_not_allowed_reads_packages_patterns_and_the_standard_library() -> None:
    patterns = ["anthropic.*", "app.cli", "_cython_*"]
    modules = ["json", "anthropic", "anthropic.types", "anthropicx", "app.cli", "app.core.lint",
               "_cython_3_3_1", "rich.console", "tests.helpers.import_watch"]
    assert not_allowed(modules, patterns) == ["anthropicx", "app.core.lint", "rich.console"]


def test_generate_imports_later_work_only_once_its_first_request_is_out(
        stand_in: StandIn, tmp_path: Path) -> None:
    api = stand_in(api_key=KEY)
    api.pause()  # no answer can reach the process: nothing it does yet is after a first answer
    plan = write_plan(tmp_path, 3)
    out = tmp_path / "modules.txt"
    proc = watched(out, "generate", plan)
    try:
        wait_until(lambda: bool(message_requests(api)), alive=lambda: proc.poll() is None)
        assert message_requests(api), proc.communicate()[1]
        proc.send_signal(signal.SIGUSR1)
        wait_until(out.exists, alive=lambda: proc.poll() is None)
    finally:
        api.resume()
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    before = read_modules(out)
    assert "anthropic" in before  # the first request went out: the SDK is there
    assert not_allowed(before, allowed_patterns()) == []
    assert not set(LATER_WORK) & set(before)
    # The later work did load (the run linted, recorded and printed its cards).
    assert set(LATER_WORK) <= set(read_modules(tmp_path / "modules.txt.exit"))


@pytest.mark.parametrize("command", ["lint", "estimate"])
def test_offline_commands_import_neither_the_sdk_nor_qt(command: str, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, 2)
    out = tmp_path / "modules.txt"
    proc = watched(out, command, plan)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    imported = read_modules(tmp_path / "modules.txt.exit")
    assert "app.cli" in imported  # the list is the command's
    assert [m for m in imported if m.partition(".")[0] in ("anthropic", "PySide6", "openai")] == []


def test_the_window_does_not_import_the_command_line() -> None:
    # The entry point chooses the window for a plan; the window itself is stubbed out.
    code = ("import sys, app.ui.launch\n"
            "app.ui.launch.main = lambda args: 0\n"
            "from app.__main__ import main\n"
            "main(['guide.md'])\n"
            "print('app.cli' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
