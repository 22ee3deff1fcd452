"""``cardsmith [PLAN]``: open the window (on a new plan when PLAN does not exist yet), run the Qt
event loop once, exit cleanly."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence

if TYPE_CHECKING:
    from subprocess import Popen

    from app.core.render_cache import RenderCache


class Opened(NamedTuple):
    """What ``open_window`` made; all of it is kept for as long as the application runs."""

    app: Any
    window: Any
    termination: Any
    """The SIGTERM/SIGINT handler (None where signals cannot be watched): its wakeup socket must
    stay open until the end."""


def main(argv: Sequence[str]) -> int:
    opened = open_window(argv)
    if isinstance(opened, int):
        return opened
    if opened.termination is not None and opened.termination.requested:
        # SIGTERM/SIGINT while the window was being made (its start-up turns the event loop).
        opened.window.keep_work()
        code = 0
    else:
        code = int(opened.app.exec())
    dispose(opened.window)
    return code


def open_window(argv: Sequence[str]) -> Opened | int:
    """The application and its window, shown (or the exit status of a refused plan path).

    Only what the first frame needs is imported before ``show()`` (docs/architecture.md#start-up).
    The preview is made first and the rest of the window is imported on a worker thread while the
    event loop turns, so that WebEngine starts its renderer and loads the page meanwhile; what
    the first frame does not show is loaded after it."""
    args = [a for a in argv if not a.startswith("-")]
    plan = Path(args[0]) if args else None
    new_plan: Path | None = None
    if plan is not None and not plan.is_file():
        # Not there yet: a new plan that Save writes there (as editors do), unless it cannot be.
        from app.core.new_plan import new_plan_refusal

        refusal = new_plan_refusal(plan)
        if refusal:
            print(f"cardsmith: error: {refusal}", file=sys.stderr)
            return 2
        new_plan, plan = plan, None
    # Start-up makes ~10^5 objects that all live on (modules, classes, widgets): collecting cycles
    # among them only costs time (~15 ms). The collector is back once the first frame is shown.
    gc.disable()
    # A plan opened before shows its cards as they were rendered then: Markdown and Pygments
    # load after the first frame. On a plan's first open, a helper process renders its cards
    # meanwhile, on another core (started first: it has the most to do).
    from app.core.render_cache import load_highlight, load_render_cache
    from app.ui import render_ahead

    cache = load_render_cache(plan) if plan is not None else None
    helper = render_ahead.start(plan) if plan is not None and cache is None else None
    # What else the preview needs before it exists is pure Python too (settings, the cards'
    # markup): loaded before Qt's bindings, whose import hook reads the source of every module
    # imported after them (PySide6's __feature__ check, ~0.1 ms a module).
    from app.settings import load_settings
    from app.ui import preview_markup  # noqa: F401

    settings = load_settings()

    from PySide6.QtCore import QTimer

    from app.ui.qtapp import create_application, event_loop

    app, _no_loop = create_application([sys.argv[0]], event_loop=False)
    from app.ui.termination import install_termination_handler

    # Before the window: from here on SIGTERM/SIGINT end the app keeping unsaved edits, lock released.
    termination = install_termination_handler(app)
    from app.ui.preview import PreviewView

    # WebEngine starts its renderer from here on.
    preview = PreviewView(theme=settings.theme, cache=cache, highlight=load_highlight())
    from app.ui.start_up_thread import run_while_looping

    MainWindow, rendered = run_while_looping(lambda: _window_class(plan, cache, helper))  # noqa: N806
    if rendered is not cache:  # the render-ahead helper's
        cache = rendered
        preview.use_cache(cache)

    window = MainWindow(plan, preview=preview, settings=settings, cached_for=plan if cache else None)
    if termination is not None:
        termination.before_exit = window.keep_work
    window.remember_state()
    if new_plan is not None:
        window.new_plan(new_plan)  # with the edits of a session on it that did not close, if any
    elif plan is None:
        window.recovery.offer()  # an untitled plan's edits from a session that did not close
    window.show()
    # Runs, drafts and key checks need the asyncio loop: installed with the first frame (or by
    # whatever asks for it first).
    window.preview.first_shown.connect(event_loop)
    window.preview.first_shown.connect(_collect_again)
    QTimer.singleShot(COLLECTOR_OFF_AT_MOST_MS, _collect_again)  # should the preview never show
    return Opened(app, window, termination)


COLLECTOR_OFF_AT_MOST_MS = 10_000


def _collect_again() -> None:
    """The cyclic collector on again; what start-up made is frozen first (kept out of every later
    collection, which then has less to walk while cards stream)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _window_class(
    plan: Path | None, cache: RenderCache | None, helper: Popen[bytes] | None
) -> tuple[type, RenderCache | None]:
    """On the start-up thread: the window's code and the plan's render cache (the one read
    before, else the one the render-ahead helper wrote; without either, the highlighting the
    plan's cards need is compiled here: Markdown, Pygments' lexer, ~45 ms)."""
    from app.core.plan import load_plan
    from app.core.render import prime_highlighting
    from app.ui import render_ahead
    from app.ui.main_window import MainWindow

    if plan is not None and helper is not None:
        cache = render_ahead.collect(helper, plan)
    if plan is not None and cache is None:
        try:
            prime_highlighting(load_plan(plan).settings.language)
        except Exception:  # only a head start: the window reports the plan's problems itself
            pass
    return MainWindow, cache


def dispose(window: object) -> None:
    """Destroy the window's C++ side now, children in Qt's order (the preview's page before its
    profile). Left to interpreter shutdown, wrappers die in any order and WebEngine can crash."""
    import shiboken6

    if shiboken6.isValid(window):
        shiboken6.delete(window)
