"""Kill -9 of `cardsmith generate` at seeded moments: complete cards or `.*.tmp` leftovers only, and
the next run removes the leftovers and asks only for the cards that are missing."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.core.card import parse_card
from app.core.contract import WHY_HEADING
from app.core.fsutil import is_tmp_leftover
from app.core.store import cards_folder
from tests.fakes.messages_api import FakeMessagesAPI
from tests.helpers.card_files import card_files
from tests.helpers.cli import REPO, run_cli
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import message_requests
from tests.helpers.waits import HANG_GUARD_S, wait_until

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and fork")

N = 6
REPETITIONS = 20
REAL_PROCESS_REPETITIONS = (0, 1)  # `python -m app generate PLAN` itself; the others fork (below)
PAUSE_S = "0.4"  # CARDSMITH_TEST_PAUSE_BEFORE_RENAME in the repetitions aimed at the rename
KILL_TPS = 800.0  # stand-in pacing while a run may be killed: a card streams in a few tenths

# Interpreter start and the SDK import cost more than a whole small run; paying them 20 times would
# make this file slow. This zygote pays them once, then forks a child per repetition that runs the
# same entry point as `python -m app generate PLAN` (app.__main__.main) and is killed with SIGKILL.
ZYGOTE = r"""
import os, sys
import anthropic  # noqa: F401
import app.__main__ as entry
import app.cli, app.terminal, app.engine.generate, app.engine.providers.anthropic  # noqa: F401
devnull = os.open(os.devnull, os.O_RDWR)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    plan, pause = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            if pause:
                os.environ["CARDSMITH_TEST_PAUSE_BEFORE_RENAME"] = pause
            code = entry.main(["generate", plan])
        finally:
            os._exit(code)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print(status, flush=True)
"""


class Zygote:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", ZYGOTE], cwd=REPO, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )

    def start(self, plan: Path, pause: str) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{plan}\t{pause}\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def reap(self) -> int:
        """The wait status of the last child (the zygote reaps it)."""
        assert self.proc.stdout is not None
        return int(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def tree_tmp_leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and is_tmp_leftover(p)]


def check_folder_after_kill(folder: Path) -> set[str]:
    """Every card file parses and is complete; anything else is a ``.*.tmp`` leftover or history.
    Returns the components that have a card."""
    present: set[str] = set()
    if not folder.exists():
        return present
    for entry in folder.iterdir():
        if entry.name == ".history" and entry.is_dir():
            for inner in entry.rglob("*"):
                if inner.is_file() and not is_tmp_leftover(inner) and inner.name != ".gitignore":
                    check_complete(inner)
            continue
        assert entry.is_file(), entry
        if is_tmp_leftover(entry):
            continue
        assert entry.suffix == ".md", f"unexpected file {entry.name}"
        present.add(check_complete(entry))
    return present


def check_complete(path: Path) -> str:
    meta, body = parse_card(path.read_text(encoding="utf-8"), source=path.name)
    assert body.startswith(f"# {meta.component}\n"), (path.name, body[:80])
    assert f"## {WHY_HEADING}" in body, path.name
    why = body.split(f"## {WHY_HEADING}", 1)[1]
    assert why.strip().endswith("."), f"{path.name}: the Why section is cut"
    return meta.component


def wait_quiet(api: FakeMessagesAPI) -> None:
    """Requests a dead process sent just before its death may still be handled: let them land so
    that the next run's records are its own (quiet: no new record and no open stream for 0.1 s)."""
    last = {"records": -1, "at": time.monotonic()}

    def quiet() -> bool:
        if len(api.records) != last["records"] or api.open_streams:
            last.update(records=len(api.records), at=time.monotonic())
        return time.monotonic() - last["at"] > 0.1

    wait_until(quiet)


def test_kill_9_of_generate_at_seeded_moments(
    api: FakeMessagesAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CARDSMITH_TEST_PAUSE_BEFORE_RENAME", raising=False)
    env = dict(os.environ)
    zygote = Zygote(env)
    names = component_names(N)
    summary = {"at_rename": 0, "in_history": 0, "timed": 0, "cards_kept": 0, "leftovers": 0}
    try:
        for rep in range(REPETITIONS):
            rng = random.Random(4000 + rep)
            aim_at_rename = rep % 3 == 0
            pause = PAUSE_S if aim_at_rename else ""
            plan = write_plan(tmp_path / f"rep{rep:02d}", N, concurrency=3)
            folder = cards_folder(plan)
            api.tokens_per_s = KILL_TPS
            if rep in REAL_PROCESS_REPETITIONS:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "app", "generate", str(plan)], cwd=REPO,
                    env={**env, **({"CARDSMITH_TEST_PAUSE_BEFORE_RENAME": pause} if pause else {})},
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
                pid = proc.pid
                alive = lambda: proc.poll() is None  # noqa: E731
            else:
                proc = None
                pid = zygote.start(plan, pause)
                alive = lambda: _pid_alive(pid)  # noqa: E731

            if aim_at_rename:
                # Kill while a temporary file is written and synced but not yet renamed (a card's
                # or a history version's), after 0 or 1 cards were completed.
                before = rng.randint(0, 1)
                where = folder / ".history" if rep % 2 else folder
                landed = wait_until(
                    lambda: bool(tree_tmp_leftovers(where)) and len(card_files(plan)) >= before,
                    alive=alive,
                )
                assert landed, f"rep {rep}: the run ended before a rename could be interrupted"
                _kill(pid)
                summary["at_rename"] += 1
                summary["in_history"] += where != folder
            else:
                delay = rng.uniform(0.0, 2.0 if proc is not None else 0.6)
                end = time.monotonic() + delay
                wait_until(lambda: time.monotonic() >= end, alive=alive)
                _kill(pid)
                summary["timed"] += 1
            if proc is not None:
                proc.wait(timeout=HANG_GUARD_S)
            else:
                zygote.reap()
            if aim_at_rename:
                assert tree_tmp_leftovers(folder), f"rep {rep}: the kill missed the paused rename"

            present = check_folder_after_kill(folder)
            summary["cards_kept"] += len(present)
            summary["leftovers"] += len(tree_tmp_leftovers(folder))
            missing = sorted(set(names) - present)

            wait_quiet(api)
            api.tokens_per_s = 0.0
            first = len(api.records)
            result = run_cli("generate", plan)
            sent = sorted(r.component for r in message_requests(api, first))
            assert result.code == 0, f"rep {rep}: {result.err}"
            assert sent == missing, f"rep {rep}: asked for {sent}, missing were {missing}"
            assert not tree_tmp_leftovers(folder), f"rep {rep}: leftovers survived the next run"
            assert check_folder_after_kill(folder) == set(names)
    finally:
        zygote.close()
    print(f"kill -9 of generate: {REPETITIONS} kills ({summary['at_rename']} between fsync and "
          f"rename, {summary['in_history']} of them in history, {summary['timed']} at random moments), {summary['cards_kept']} complete cards "
          f"kept, {summary['leftovers']} .tmp leftovers removed by the next run")
    assert summary["leftovers"] >= summary["at_rename"]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (killed, not yet reaped by the zygote) is not running any more.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # it finished before the chosen moment
        pass


# -- the window --------------------------------------------------------------------------------------

# Saves the plan through the window's own Save path (PlanDocument.save -> atomic_write) on "go".
SAVER = r"""
import sys
from pathlib import Path
from app.ui.document import PlanDocument
doc = PlanDocument.open(Path(sys.argv[1]))
new_text = Path(sys.argv[2]).read_text(encoding="utf-8")
print("ready", flush=True)
sys.stdin.readline()
doc.save(new_text)
print("saved", flush=True)
sys.stdin.read()  # held until killed (or until the test closes stdin)
"""


def test_kill_9_during_a_plan_save_leaves_the_old_or_the_new_plan(tmp_path: Path) -> None:
    plan = tmp_path / "guide.md"
    # A BOM and CRLF line endings, which Save keeps: the new bytes are not simply the new text.
    old = ("\ufeff---\r\ntitle: Old\r\n---\r\nContext.\r\n\r\n## One\r\nFirst.\r\n").encode("utf-8")
    new_text = "---\ntitle: New\n---\nContext.\n\n" + "".join(
        f"## Component {i}\nShow pattern {i} " + "with a long instruction " * 40 + "\n\n"
        for i in range(1, 301)
    )  # about 300 KB, so that a kill can also land while the temporary file is written
    source = tmp_path / "new-text.md"
    source.write_text(new_text, encoding="utf-8")
    from app.ui.document import PlanDocument

    reference = tmp_path / "reference" / "guide.md"
    reference.parent.mkdir()
    reference.write_bytes(old)
    PlanDocument.open(reference).save(new_text)
    new = reference.read_bytes()
    assert new != old and new.startswith(b"\xef\xbb\xbf") and b"\r\n" in new

    outcomes: list[str] = []
    for rep in range(9):
        rng = random.Random(9000 + rep)
        moment = ("before", "during", "after")[rep % 3]
        plan.write_bytes(old)
        for leftover in tmp_path.glob(".*.tmp"):
            leftover.unlink()
        env = dict(os.environ)
        env.pop("CARDSMITH_TEST_PAUSE_BEFORE_RENAME", None)
        if moment == "during":
            env["CARDSMITH_TEST_PAUSE_BEFORE_RENAME"] = "30"
        proc = subprocess.Popen(
            [sys.executable, "-c", SAVER, str(plan), str(source)], cwd=REPO, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None
        try:
            assert proc.stdout.readline() == "ready\n"
            proc.stdin.write("go\n")
            proc.stdin.flush()
            if moment == "before":
                time.sleep(rng.uniform(0.0, 0.02))  # before or while the temporary file is written
            elif moment == "during":
                wait_until(lambda: (tmp_path / ".guide.md.tmp").exists(), alive=lambda: proc.poll() is None)
                time.sleep(rng.uniform(0.0, 0.2))  # inside the 30 s pause between fsync and rename
            else:
                assert proc.stdout.readline() == "saved\n"
                time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=HANG_GUARD_S)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdin.close()
            proc.stdout.close()
        after = plan.read_bytes()
        assert after in (old, new), f"rep {rep} ({moment}): a partial plan of {len(after)} bytes"
        if moment == "during":
            assert after == old and (tmp_path / ".guide.md.tmp").exists()
        if moment == "after":
            assert after == new
        outcomes.append("old" if after == old else "new")
    assert "old" in outcomes and "new" in outcomes


# A real window (the launcher of `python -m app PLAN`) that types into its own editor: edits, the
# autosave, more edits after it; then it says so in the marker file and waits to be killed.
CRASHING_WINDOW = r"""
import json, os, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from app.ui import main_window
from app.ui.launch import main
from app.ui.recovery import read_recovery

plan, marker = Path(sys.argv[1]), Path(sys.argv[2])
base_init = main_window.MainWindow.__init__

def type_at_end(window, text):
    cursor = window.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    window.editor.setTextCursor(cursor)
    window.editor.insertPlainText(text)

def drive(window):
    window.recovery.set_intervals(50, 200)
    type_at_end(window, "\n## Autosaved component\nTyped before the autosave.\n")
    def check():
        copy = read_recovery(plan)
        if copy is None or copy.text != window.plan_text():
            QTimer.singleShot(20, check)
            return
        autosaved = window.plan_text()
        window.recovery.set_intervals(600000, 600000)
        type_at_end(window, "Typed after the last autosave.\n")
        tmp = marker.with_name(marker.name + ".part")
        tmp.write_text(json.dumps({"autosaved": autosaved, "live": window.plan_text()}))
        os.replace(tmp, marker)
    QTimer.singleShot(20, check)

def init(self, *args, **kwargs):
    base_init(self, *args, **kwargs)
    QTimer.singleShot(0, lambda: drive(self))

main_window.MainWindow.__init__ = init
sys.exit(main([str(plan)]))
"""

# The next start, through the same launcher: what the window offers, and the text after Restore.
NEXT_WINDOW = r"""
import json, os, sys
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QPushButton
from app.ui import main_window
from app.ui.launch import main
from app.ui.recovery import RESTORE_LABEL

plan, marker = Path(sys.argv[1]), Path(sys.argv[2])
base_init = main_window.MainWindow.__init__

def drive(window, tries=[0]):
    buttons = [b for b in window.banner.findChildren(QPushButton)
               if b.text() == RESTORE_LABEL and b.isVisible()]
    tries[0] += 1
    if not buttons and tries[0] < 100:
        QTimer.singleShot(50, lambda: drive(window))
        return
    result = {"banner": window.banner.text, "buttons": len(buttons), "before": window.plan_text()}
    if buttons:
        buttons[-1].click()
    result["after"] = window.plan_text()
    result["modified"] = window.isWindowModified()
    tmp = marker.with_name(marker.name + ".part")
    tmp.write_text(json.dumps(result))
    os.replace(tmp, marker)
    os._exit(0)

def init(self, *args, **kwargs):
    base_init(self, *args, **kwargs)
    QTimer.singleShot(0, lambda: drive(self))

main_window.MainWindow.__init__ = init
sys.exit(main([str(plan)]))
"""


@contextmanager
def window_process(
    script: str, plan: Path, marker: Path
) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, object]]]:
    """A window process running ``script`` on ``plan``, and what it wrote to ``marker`` once it
    did; killed after the block if it still runs."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    proc = subprocess.Popen([sys.executable, "-c", script, str(plan), str(marker)], cwd=REPO,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    try:
        if not wait_until(marker.exists, alive=lambda: proc.poll() is None):
            raise AssertionError(f"the window exited ({proc.returncode}): {proc.stderr.read()!r}")
        yield proc, json.loads(marker.read_text())
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_kill_9_of_the_window_offers_the_text_of_the_last_autosave(tmp_path: Path) -> None:
    from app.ui.recovery import read_recovery

    # The private data and config folders of the conftest reach the windows through the environment.
    assert "CARDSMITH_DATA_DIR" in os.environ and "CARDSMITH_CONFIG_DIR" in os.environ
    plan = write_plan(tmp_path / "work", 2)
    on_disk = plan.read_bytes()

    with window_process(CRASHING_WINDOW, plan, tmp_path / "crash.json") as (crashing, typed):
        crashing.send_signal(signal.SIGKILL)
        crashing.wait(timeout=HANG_GUARD_S)
    assert crashing.returncode == -signal.SIGKILL
    autosaved, live = typed["autosaved"], typed["live"]
    assert isinstance(autosaved, str) and "Typed before the autosave." in autosaved
    assert live != autosaved  # the killed window held edits newer than its last autosave
    copy = read_recovery(plan)
    assert copy is not None and copy.text == autosaved
    assert plan.read_bytes() == on_disk  # only Save writes the plan

    with window_process(NEXT_WINDOW, plan, tmp_path / "next.json") as (following, seen):
        following.wait(timeout=HANG_GUARD_S)
    assert "unsaved edits" in str(seen["banner"]) and seen["buttons"] == 1, seen["banner"]
    assert seen["before"] == on_disk.decode("utf-8")  # nothing restored without asking
    assert seen["after"] == autosaved and seen["modified"] is True
    assert plan.read_bytes() == on_disk
