"""An API key held so that it cannot leak through a repr, a log line or an error message."""

from __future__ import annotations

MAX_MESSAGE_CHARS = 300


class Secret:
    """Holds the API key so that neither repr() nor str() of its holder can show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str | None) -> None:
        self._value = value

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "'***'" if self._value else "None"

    __str__ = __repr__


def safe_line(message: str, secrets: list[str], limit: int = MAX_MESSAGE_CHARS) -> str:
    """``message`` as one line of at most ``limit`` characters, with every secret masked."""
    text = " ".join(message.split())
    for secret in secrets:
        text = text.replace(secret, "***")
    return text if len(text) <= limit else text[: limit - 1] + "…"
