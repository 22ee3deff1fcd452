"""``python -m tests.helpers.first_frame PLAN``: open the window as ``cardsmith PLAN`` does and, once
its preview shows the plan's cards (the first frame is complete), print one JSON object: the
modules imported by then (``modules``, sorted) and the seconds from this script's start to the
window shown and to the first frame. Exits at once: what comes after the first frame is not looked at."""

from __future__ import annotations

import json
import os
import sys
import time

T0 = time.perf_counter()


def main(plan: str) -> None:
    from app import commands  # noqa: F401  (what `cardsmith PLAN` reads first: app/__main__.py)
    from app.ui.launch import open_window

    opened = open_window([plan])
    if isinstance(opened, int):
        raise SystemExit(f"the window did not open (exit {opened})")
    app, window = opened.app, opened.window
    shown = time.perf_counter() - T0

    def report() -> None:
        print(json.dumps({
            "modules": sorted(sys.modules),
            "shown_s": round(shown, 4),
            "first_frame_s": round(time.perf_counter() - T0, 4),
        }), flush=True)
        os._exit(0)  # WebEngine's teardown is not what is looked at

    window.preview.first_shown.connect(report)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1])
