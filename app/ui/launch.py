"""``cardsmith [PLAN]``: open the window (on a new plan when PLAN does not exist yet), run the Qt
event loop once, exit cleanly."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence


def main(argv: Sequence[str]) -> int:
    from app.core.new_plan import new_plan_refusal
    from app.ui.qtapp import create_application

    args = [a for a in argv if not a.startswith("-")]
    plan = Path(args[0]) if args else None
    new_plan: Path | None = None
    if plan is not None and not plan.is_file():
        # Not there yet: a new plan that Save writes there (as editors do), unless it cannot be.
        refusal = new_plan_refusal(plan)
        if refusal:
            print(f"cardsmith: error: {refusal}", file=sys.stderr)
            return 2
        new_plan, plan = plan, None
    app, _loop = create_application([sys.argv[0]])
    from app.ui.main_window import MainWindow
    from app.ui.termination import install_termination_handler

    # Before the window: from here on SIGTERM/SIGINT end the app keeping unsaved edits, lock released.
    termination = install_termination_handler(app)
    window = MainWindow(plan)
    if termination is not None:
        termination.before_exit = window.keep_work
    window.remember_state()
    if new_plan is not None:
        window.new_plan(new_plan)  # with the edits of a session on it that did not close, if any
    elif plan is None:
        window.recovery.offer()  # an untitled plan's edits from a session that did not close
    window.show()
    code = int(app.exec())
    dispose(window)
    return code


def dispose(window: object) -> None:
    """Destroy the window's C++ side now, children in Qt's order (the preview's page before its
    profile). Left to interpreter shutdown, wrappers die in any order and WebEngine can crash."""
    import shiboken6

    if shiboken6.isValid(window):
        shiboken6.delete(window)
