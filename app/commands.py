"""The command line's subcommand names, apart from the command line itself: the entry point reads
them to choose between the command line and the window, and neither should pay for the other."""

from __future__ import annotations

SUBCOMMANDS = ("generate", "review", "lint", "export", "estimate", "history", "draft", "models", "batch")
