"""The one error tree for mistakes a user can fix; each carries a one-line message and an exit code."""

from __future__ import annotations


class CardsmithError(Exception):
    """A user-facing problem: shown as one line, never as a traceback (unless --debug)."""

    exit_code: int = 2

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else self.__class__.__name__


class UsageError(CardsmithError):
    """Bad command-line usage, an unknown component name, a bad option value."""


class PlanError(CardsmithError):
    """The plan cannot be read or has errors; nothing is sent."""


class StoreError(CardsmithError):
    """A card folder or card file problem (unreadable, outside the folder, ...)."""


class ExportError(CardsmithError):
    """An export would overwrite foreign files, or cannot be written."""


class KeyMissingError(CardsmithError):
    """No API key in the environment or the keyring."""
