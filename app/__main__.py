"""The ``cardsmith`` entry point: a subcommand goes to the command line, anything else opens the window."""

from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from app.commands import SUBCOMMANDS

    if args and (args[0] in SUBCOMMANDS or args[0].startswith("-")):
        from app.cli import main as cli_main

        return cli_main(args)
    from app.ui.launch import main as window_main

    return window_main(args)


if __name__ == "__main__":
    sys.exit(main())
