"""Benchmark 3: start-up to the window shown and the example's preview painted, and memory (PSS).

Each sample is a fresh process started by this script: ``app`` runs what ``cardsmith PLAN`` runs
(app.__main__, then app.ui.launch.open_window) on a fresh copy of the example plan (its first
open: the cards are rendered), then closes the window as a writer does, which writes the plan's
render cache; ``reopened`` opens that same plan again (its cards come from the render cache, the
renderer loads after the first frame: docs/architecture.md#start-up); ``floor`` is a bare
PySide6 window with a 400 px QWebEngineView showing the same cards' HTML (rendered beforehand, not
timed). "Painted" = the first grab of the preview with ink on it (pixels unlike the background),
polled every 10 ms. "Preview loaded": the app's preview page loads while the window is still being
built, so a page loaded before the window is shown reads as the time it was shown. Memory: PSS of
the process and its QtWebEngineProcess children, one second after the paint (the window has not
loaded the SDK yet: it does so only for a run; the table also shows the total once it has).
Each round runs first open, reopened and floor, the floor first in every other round.

Verdicts are ratios to the floor measured in the same run (what travels between machines), for
the reopened plan (what a writer does many times a day) and for a plan's first open:
painted/floor <= 1.3 and painted - floor <= 0.25 s; memory <= floor + 60 MB.
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

from bench.common import PY, REPO, bench_env, median, table, tree_pss_mib, verdict  # noqa: E402

TARGET_PAINT_RATIO = 1.3
TARGET_PAINT_EXTRA_S = 0.25
TARGET_EXTRA_MB = 60.0
INK_FRACTION = 0.002
"""Share of the preview's pixels that must differ from its background to count as painted."""


def _since_start() -> float:
    return time.time() - float(os.environ["BENCH_T0"])


def _has_ink(widget) -> bool:  # type: ignore[no-untyped-def]
    image = widget.grab().toImage()
    w, h = image.width(), image.height()
    if w < 10 or h < 10:
        return False
    background = image.pixel(w - 2, h - 2)
    step = 3
    inked = sum(
        1 for y in range(0, h, step) for x in range(0, w, step) if image.pixel(x, y) != background
    )
    return inked >= INK_FRACTION * (w // step) * (h // step)


def child(kind: str, target: str) -> None:
    """One sample: prints a JSON line of seconds since the parent spawned it, and PSS in MiB."""
    marks: dict[str, float] = {}
    if kind in ("app", "reopened"):
        from app import commands  # noqa: F401  (what `cardsmith PLAN` reads first: app/__main__.py)
        from app.ui.launch import open_window

        opened = open_window([target])
        assert not isinstance(opened, int), f"the window did not open (exit {opened})"
        app, window = opened.app, opened.window
        preview = window.preview
    else:
        from PySide6 import QtWebEngineWidgets  # noqa: F401
        from PySide6.QtCore import QCoreApplication, Qt
        from PySide6.QtWebEngineWidgets import QWebEngineView
        from PySide6.QtWidgets import QApplication, QHBoxLayout, QMainWindow, QPlainTextEdit, QWidget

        QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
        app = QApplication([sys.argv[0]])
        window = QMainWindow()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.addWidget(QPlainTextEdit(Path(target).with_suffix(".md").read_text(encoding="utf-8")))
        preview = QWebEngineView()
        preview.setFixedWidth(400)
        layout.addWidget(preview)
        window.setCentralWidget(central)
        window.resize(1400, 860)
        preview.setHtml(Path(target).read_text(encoding="utf-8"))
        window.show()
    from PySide6.QtCore import QTimer

    marks["shown"] = _since_start()
    if getattr(preview, "is_loaded", False):
        marks["loaded"] = marks["shown"]
    loaded_signal = getattr(preview, "loaded", None) or preview.loadFinished
    loaded_signal.connect(lambda *_: marks.setdefault("loaded", _since_start()))

    def poll() -> None:
        if "painted" not in marks and _has_ink(preview):
            marks["painted"] = _since_start()
            QTimer.singleShot(1000, measure)
        elif _since_start() > 60:
            measure()

    def measure() -> None:
        timer.stop()
        main, kids = tree_pss_mib(os.getpid())
        marks.update(pss_main=main, pss_children=kids)
        if kind == "app":
            window.close()  # as a writer closes it: the plan's render cache is written
        if kind != "floor":  # what a first run adds: the window loads the SDK only for one
            import anthropic  # noqa: F401

            main, kids = tree_pss_mib(os.getpid())
            marks["pss_with_sdk"] = main + kids
        print(json.dumps(marks), flush=True)
        os._exit(0)  # WebEngine's teardown is not what is measured

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(poll)
    timer.start()
    app.exec()


def floor_html(work: Path) -> Path:
    """The example's cards as one page, the way the preview styles them (rendered here, not timed)."""
    from app.core.plan import load_plan
    from app.core.render import render_card, render_document
    from app.core.store import CardStore
    from app.paths import example_plan

    plan = load_plan(example_plan())
    snapshot = CardStore(example_plan()).load(plan)
    fragments = [render_card(snapshot.cards[c.key].body) for c in plan.components if c.key in snapshot.cards]
    page = work / "floor.html"
    page.write_text(render_document(plan.settings.title, fragments), encoding="utf-8")
    shutil.copy2(example_plan(), page.with_suffix(".md"))
    return page


def sample(kind: str, target: Path, env: dict[str, str]) -> dict:
    env = dict(env, BENCH_T0=repr(time.time()))
    proc = subprocess.run([PY, str(Path(__file__).resolve()), "--child", kind, str(target)],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        raise SystemExit(f"bench: start-up sample {kind} failed: {proc.stderr.strip()[-600:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--child", nargs=2, metavar=("KIND", "TARGET"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(*args.child)
        return ""
    from tests.helpers.cli import copy_example

    work = Path(tempfile.mkdtemp(prefix="cardsmith-bench-start-"))
    try:
        env = bench_env(work)
        page = floor_html(work)
        samples: dict[str, list[dict]] = {"reopened": [], "app": [], "floor": []}
        for i in range(args.runs):
            folder = work / f"app-{i}"
            folder.mkdir()
            plan = copy_example(folder)
            for kind in (("app", "reopened", "floor") if i % 2 == 0 else ("floor", "app", "reopened")):
                if kind == "reopened" and len(list((work / "cache" / "previews").glob("*.json"))) != i + 1:
                    raise SystemExit("bench: the plan's first open left no render cache to reopen it with")
                samples[kind].append(sample(kind, page if kind == "floor" else plan, env))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(kind: str, key: str) -> float:
        return median([s[key] for s in samples[kind] if key in s])

    def mem(kind: str) -> float:
        return median([s["pss_main"] + s["pss_children"] for s in samples[kind]])

    labels = {"reopened": "cardsmith, a plan opened before", "app": "cardsmith, a plan's first open",
              "floor": "floor: bare window + 400 px view"}
    rows = [[labels[kind], f"{med(kind, 'shown'):.2f}", f"{med(kind, 'loaded'):.2f}", f"{med(kind, 'painted'):.2f}",
             f"{med(kind, 'pss_main'):.0f}", f"{med(kind, 'pss_children'):.0f}", f"{mem(kind):.0f}"]
            for kind in ("reopened", "app", "floor")]
    floor = med("floor", "painted")
    for kind, label in (("reopened", "opened before"), ("app", "first open")):
        painted, extra = med(kind, "painted"), mem(kind) - mem("floor")
        ratio, over = painted / floor, painted - floor
        rows.append([f"{label} / floor", "", "",
                     f"{ratio:.2f} (<= {TARGET_PAINT_RATIO}): {verdict(ratio <= TARGET_PAINT_RATIO)}", "", "",
                     f"+{extra:.0f} (<= +{TARGET_EXTRA_MB:g}): {verdict(extra <= TARGET_EXTRA_MB)}"])
        rows.append([f"{label} - floor (s)", "", "",
                     f"{over:.2f} (<= {TARGET_PAINT_EXTRA_S}): {verdict(over <= TARGET_PAINT_EXTRA_S)}", "", "", ""])
    rows.append(["cardsmith once a run has loaded the SDK", "", "", "", "", "",
                 f"{med('app', 'pss_with_sdk'):.0f} (+{med('app', 'pss_with_sdk') - mem('floor'):.0f})"])
    return table(
        f"3. Start-up (median of {args.runs}, seconds from process start; PSS in MiB, 1 s after the paint)",
        ["process", "shown", "preview loaded", "preview painted", "PSS main", "PSS WebEngine", "PSS total"],
        rows,
    )


if __name__ == "__main__":
    text = main(sys.argv[1:])
    if text:
        print(text)
