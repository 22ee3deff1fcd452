"""Benchmark 3b: the first click on Export, Settings and the Card tab, to the dialog or tab painted.

What the first frame does not show is loaded on first use or in idle time after the first frame
(docs/architecture.md#start-up), so the first click on each of these may pay for its code. Each
sample is a fresh process that opens the example plan as ``cardsmith PLAN`` does
(``app.ui.launch.open_window``) and clicks once: ``at once`` the moment the preview shows its cards
(before idle loading has had a chance: the worst case), ``after 1 s`` as a writer would. The time
runs from the click (the action triggered, the tab clicked with the mouse) to the first paint of
the dialog or the tab's page. Target: <= 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PY, REPO, bench_env, median, table, verdict  # noqa: E402

TARGET_MS = 100.0
TARGETS = ("export", "settings", "card tab")
DELAYS = {"at once": 0, "after 1 s": 1000}


def child(target: str, delay_ms: int, plan: str) -> None:
    """One sample: prints a JSON line with the milliseconds from the click to the first paint."""
    from PySide6.QtCore import QEvent, QObject, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QDialog

    from app.ui.launch import open_window

    opened = open_window([plan])
    assert not isinstance(opened, int), f"the window did not open (exit {opened})"
    app, window = opened.app, opened.window
    clicked: dict[str, float] = {}

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
            if event.type() == QEvent.Type.Paint and "at" in clicked:
                print(json.dumps({"ms": (time.perf_counter() - clicked["at"]) * 1000}), flush=True)
                os._exit(0)
            return False

    painted = FirstPaint()

    def watch_new_dialogs() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QDialog):
                widget.installEventFilter(painted)

    def click() -> None:
        if target == "card tab":
            window.cards.page.installEventFilter(painted)
            bar = window.middle.tabBar()
            clicked["at"] = time.perf_counter()
            QTest.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(1).center())
            return
        action = window.act_export if target == "export" else window.act_settings
        clicked["at"] = time.perf_counter()
        action.trigger()  # the dialog is built and opened (not yet painted) when this returns
        watch_new_dialogs()

    # At once: in the first frame's own signal, before any idle loading the window scheduled on it.
    window.preview.first_shown.connect(lambda: click() if not delay_ms else QTimer.singleShot(delay_ms, click))
    QTimer.singleShot(60_000, lambda: os._exit(3))
    app.exec()


def sample(target: str, delay_ms: int, plan: Path, env: dict[str, str]) -> float:
    proc = subprocess.run([PY, str(Path(__file__).resolve()), "--child", target, str(delay_ms), str(plan)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"bench: first click on {target} failed: {proc.stderr.strip()[-600:]}")
    return float(json.loads(lines[-1])["ms"])


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--child", nargs=3, metavar=("TARGET", "DELAY_MS", "PLAN"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], int(args.child[1]), args.child[2])
        return ""
    from tests.helpers.cli import copy_example

    work = Path(tempfile.mkdtemp(prefix="cardsmith-bench-click-"))
    try:
        env = bench_env(work)
        results: dict[tuple[str, str], list[float]] = {}
        for i in range(args.runs):
            for target in TARGETS:
                for label, delay in DELAYS.items():
                    folder = work / f"{i}-{target.replace(' ', '-')}-{delay}"
                    folder.mkdir()
                    results.setdefault((target, label), []).append(sample(target, delay, copy_example(folder), env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for target in TARGETS:
        cells = [median(results[(target, label)]) for label in DELAYS]
        worst = max(max(results[(target, label)]) for label in DELAYS)
        rows.append([target, *(f"{c:.0f}" for c in cells), f"{worst:.0f}",
                     f"<= {TARGET_MS:.0f}: {verdict(worst <= TARGET_MS)}"])
    return table(
        f"3b. First click to painted (ms, median of {args.runs} fresh windows each; verdict on the slowest)",
        ["first click on", *DELAYS, "slowest", "target"],
        rows,
    )


if __name__ == "__main__":
    text = main(sys.argv[1:])
    if text:
        print(text)
