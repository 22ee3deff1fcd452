"""The command line's subcommand names, apart from the command line itself: the entry point reads
them to choose between the command line and the window, and neither should pay for the other."""

from __future__ import annotations

RENDER_AHEAD = "--render-ahead"
"""``cardsmith --render-ahead PLAN``: the window's helper on a plan's first open (app/ui/render_ahead.py)."""

SUBCOMMANDS = ("generate", "review", "lint", "export", "estimate", "history", "draft", "models", "batch")

whole_process = False
"""True once the entry point (``cardsmith``, ``python -m app``) has handed the process to the
command line, rather than a caller (a test) running it among objects of its own: what a command
loads then lives as long as the process (``app.terminal.open_provider``)."""
