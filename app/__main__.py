"""The ``cardsmith`` entry point: a subcommand goes to the command line, anything else opens the window."""

from __future__ import annotations

import sys
from typing import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    from app import commands

    if args[:1] == [commands.RENDER_AHEAD] and len(args) == 2:
        from app.ui.render_ahead import main as render_ahead

        return render_ahead(args[1])

    if args and (args[0] in commands.SUBCOMMANDS or args[0].startswith("-")):
        from app.cli import main as cli_main

        commands.whole_process = True
        try:
            return cli_main(args)
        finally:  # a caller in the same process (a test) keeps its objects collectable
            commands.whole_process = False
    from app.ui.launch import main as window_main

    return window_main(args)


if __name__ == "__main__":
    sys.exit(main())
