"""``cardsmith [PLAN]``: open the window, run the Qt event loop once, exit cleanly."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence


def main(argv: Sequence[str]) -> int:
    from app.ui.qtapp import create_application

    args = [a for a in argv if not a.startswith("-")]
    plan = Path(args[0]) if args else None
    if plan is not None and not plan.is_file():
        print(f"cardsmith: error: no plan file at '{plan}'", file=sys.stderr)
        return 2
    app, _loop = create_application([sys.argv[0]])
    from app.ui.main_window import MainWindow

    window = MainWindow(plan)
    window.show()
    return int(app.exec())
