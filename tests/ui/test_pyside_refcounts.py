"""Guard for a PySide bug: 6.12.0 on Python 3.11 drops a reference to None/True on every void call
and signal emit, and the interpreter aborts once the count reaches zero (pyproject pins it out)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Pinger(QObject):
    ping = Signal(object)


def test_void_calls_and_emits_keep_none_and_bools_alive() -> None:
    pinger = _Pinger()
    received: list[object] = []
    pinger.ping.connect(received.append)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for i in range(1000):
        pinger.setObjectName("probe")
        pinger.ping.emit(i)
    assert len(received) == 1000
    # A little slack for references other threads take or drop meanwhile; the bug loses 1,000.
    assert sys.getrefcount(None) - none_before > -50
    assert sys.getrefcount(True) - true_before > -50
