"""Qt application bootstrap: WebEngine set up before the QApplication, one qasync loop, one exec().

On this Qt (6.12) a second ``QApplication.exit()`` after WebEngine was used crashes, and qasync's
``run``/``run_until_complete`` exit the application themselves; so the loop is installed with
``already_running=True`` and ``app.exec()`` is called exactly once.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Sequence

from app.paths import APP_NAME

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures

IO_THREADS = 4
"""Threads for ``asyncio.to_thread`` (card writes, keyring calls, SDK client set-up)."""


def prepare_environment() -> None:
    """Chromium refuses to start as root unless its sandbox is off (containers, CI boxes)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


_loop: asyncio.AbstractEventLoop | None = None
"""The qasync loop once installed (``install_event_loop``)."""


def create_application(argv: Sequence[str], *, event_loop: bool = True):  # type: ignore[no-untyped-def]
    """The QApplication (WebEngine-ready) and the asyncio loop that runs on it (None with
    ``event_loop=False``: the window's start-up installs it after its first frame, asyncio and
    qasync being ~15 ms of imports the first frame does not need; ``event_loop()`` installs it
    at once if something asks for it before)."""
    prepare_environment()
    from PySide6 import QtWebEngineWidgets  # noqa: F401  (must precede the QApplication)
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    app = QApplication.instance() or QApplication(list(argv) or [sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setDesktopFileName("cardsmith")
    icon = application_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)

    return app, install_event_loop(app) if event_loop else None


def event_loop() -> asyncio.AbstractEventLoop:
    """The application's qasync loop, running under ``app.exec()`` (installed now if it was not)."""
    if _loop is None:
        from PySide6.QtWidgets import QApplication

        return install_event_loop(QApplication.instance())
    return _loop


def application_icon():  # type: ignore[no-untyped-def]
    """The icon in resources/icons: the PNGs at their sizes, the SVG for any other size (PNGs first:
    added after the SVG they would go to the SVG engine, which lists no sizes)."""
    from PySide6.QtGui import QIcon

    from app.paths import resource

    icon = QIcon()
    folder = resource("icons")
    for path in [*sorted(folder.glob("cardsmith-*.png")), folder / "cardsmith.svg"]:
        if path.exists():
            icon.addFile(str(path))
    return icon


def install_event_loop(app):  # type: ignore[no-untyped-def]
    """The qasync loop on ``app``, with a plain thread pool for ``asyncio.to_thread``.

    qasync's own default executor is a set of QThreads that nothing stops: the process then aborts
    at exit ("QThread: Destroyed while thread is still running").
    """
    import asyncio
    import concurrent.futures

    import qasync

    global _loop
    loop = qasync.QEventLoop(app, already_running=True)
    executor = concurrent.futures.ThreadPoolExecutor(
        max_workers=IO_THREADS, thread_name_prefix="cardsmith-io"
    )
    _start_every_thread(executor, IO_THREADS)
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    # asyncio's own run_forever has the loop close an async generator left unfinished (a stream
    # read up to its end marker) with aclose() as a task; qasync, started already running, does
    # not, and the garbage collector's close then cannot await its clean-up ("async generator
    # ignored GeneratorExit").
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook, finalizer=loop._asyncgen_finalizer_hook)
    _loop = loop
    return loop


def _start_every_thread(executor: concurrent.futures.ThreadPoolExecutor, count: int) -> None:
    """Start the pool's threads now, while the process is quiet. The pool starts them on demand,
    and starting one waits until it gets the GIL: during a run with eight streams that held the
    event loop up for tens of milliseconds."""
    import threading

    barrier = threading.Barrier(count)  # each task waits for the others: one thread per task
    for _ in range(count):
        executor.submit(barrier.wait, 5.0)
