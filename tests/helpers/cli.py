"""Run the command line in-process or as a real process, capturing what a user would see."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from app.cli import main
from app.paths import example_plan
from tests.helpers.server_thread import KEY

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(*argv: str | Path) -> Result:
    """The command line in a worker thread: ``asyncio.run`` there never meets the GUI tests' loop,
    which qasync marks as running on the main thread for the whole session."""
    out, err = io.StringIO(), io.StringIO()
    codes: list[int] = []
    worker = threading.Thread(
        target=lambda: codes.append(main([str(a) for a in argv], stdout=out, stderr=err)),
        name="cli",
    )
    worker.start()
    worker.join()
    assert codes, "the command line raised instead of returning an exit code"
    return Result(codes[0], out.getvalue(), err.getvalue())


def run_process(*argv: str | Path, env: dict[str, str] | None = None, timeout: float = 120,
                cwd: Path | None = None) -> Result:
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "app", *[str(a) for a in argv]],
        capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd or REPO,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def one_error_line(err: str, key: str = KEY) -> str:
    """A run that stops before any card is done says why in exactly one line, and nothing else
    (no traceback, not the key)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cardsmith: error:"), err
    assert "Traceback" not in err and key not in err
    return lines[0]


def copy_example(dest: Path, *, with_cards: bool = True) -> Path:
    """A private copy of the bundled example plan (and its cards) that a test may change."""
    src = example_plan()
    plan = dest / src.name
    shutil.copy2(src, plan)
    cards = src.with_name(src.name[: -len(".md")] + ".cards")
    if with_cards and cards.is_dir():
        shutil.copytree(cards, dest / cards.name)
    return plan


def tree_digest(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes: compare two of these to prove nothing changed."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
