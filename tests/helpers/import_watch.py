"""``python -m tests.helpers.import_watch OUT ARGS...`` runs ``python -m app ARGS...`` and writes the
names of the modules it has imported, one a line: to OUT when it gets SIGUSR1 (a moment the test
chooses, e.g. once the stand-in holds the first request), and to OUT.exit when it exits."""

from __future__ import annotations

import atexit
import runpy
import signal
import sys
from pathlib import Path


def write_modules(path: Path) -> None:
    """Written whole, then renamed: a reader never sees half a list."""
    part = path.with_name(path.name + ".part")
    part.write_text("\n".join(sorted(sys.modules)) + "\n", encoding="utf-8")
    part.replace(path)


def main() -> None:
    out = Path(sys.argv[1])
    signal.signal(signal.SIGUSR1, lambda signum, frame: write_modules(out))
    atexit.register(write_modules, out.with_name(out.name + ".exit"))
    sys.argv = [sys.argv[0], *sys.argv[2:]]
    runpy.run_module("app", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
