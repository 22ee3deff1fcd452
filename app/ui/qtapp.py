"""Qt application bootstrap: WebEngine set up before the QApplication, one qasync loop, one exec().

On this Qt (6.12) a second ``QApplication.exit()`` after WebEngine was used crashes, and qasync's
``run``/``run_until_complete`` exit the application themselves; so the loop is installed with
``already_running=True`` and ``app.exec()`` is called exactly once.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Sequence

from app.paths import APP_NAME


def prepare_environment() -> None:
    """Chromium refuses to start as root unless its sandbox is off (containers, CI boxes)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


def create_application(argv: Sequence[str]):  # type: ignore[no-untyped-def]
    """The QApplication (WebEngine-ready) and the asyncio loop that runs on it."""
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

    loop = install_event_loop(app)
    return app, loop


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
    import concurrent.futures

    import qasync

    loop = qasync.QEventLoop(app, already_running=True)
    loop.set_default_executor(
        concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="cardsmith-io")
    )
    asyncio.set_event_loop(loop)
    return loop
