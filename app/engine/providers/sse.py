"""Server-sent events, read from the raw lines of a streamed HTTP response.

The provider decodes the Messages API's events itself with ``json``: the SDK's stream helper builds
pydantic events and a whole message snapshot for every event, which held up a window's event loop.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any


async def server_sent_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str | None, str]]:
    """(event name, data) per server-sent event, per the SSE format (fields until a blank line)."""
    name: str | None = None
    data: list[str] = []
    async for line in lines:
        if not line:
            if name is not None or data:
                yield name, "\n".join(data)
            name, data = None, []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if name is not None or data:
        yield name, "\n".join(data)


def json_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data
