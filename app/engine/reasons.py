"""How the engine words a failure: one short line, whatever the provider or the exception said."""

from __future__ import annotations

MAX_REASON_CHARS = 300


def one_line(text: str, limit: int = MAX_REASON_CHARS) -> str:
    """First non-empty line of ``text``, shortened: reasons are shown on one line."""
    line = next((part.strip() for part in str(text).splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def describe_exception(exc: BaseException) -> str:
    message = one_line(str(exc))
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


def attempts_text(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"
