"""Reading a failed HTTP exchange: retry-after, the API's error body, and what an exception chain
says (refused, timed out, dropped), without importing the HTTP stack the SDK brings.
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import socket
import ssl
from collections.abc import Iterator
from typing import Any

from app.engine.provider import FaultKind

# httpx / httpx2 / httpcore class names, matched by name so that either HTTP stack the SDK
# version in use brings is recognised without importing it.
CONNECT_FAILURES = frozenset({"ConnectError", "ConnectTimeout"})
TIMEOUTS = frozenset({"TimeoutException", "ReadTimeout", "WriteTimeout", "PoolTimeout"})
TRANSPORT_FAILURES = frozenset({"TransportError", "NetworkError", "ProtocolError", "StreamError"})


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds to wait from ``retry-after-ms``, else ``retry-after`` (seconds or an HTTP date)."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.UTC)
    return max(0.0, (when - _dt.datetime.now(_dt.UTC)).total_seconds())


def status_fault(status: int) -> tuple[FaultKind, str]:
    """The fault an HTTP status means, and how to say it, where an API gives it no meaning of
    its own (each provider reads its own statuses, 401, 404, 529, ..., before asking here)."""
    if status == 429:
        return FaultKind.RATE_LIMITED, "rate limited"
    if status == 408:
        return FaultKind.TIMEOUT, "request timed out"
    if status == 409:
        return FaultKind.CONFLICT, "conflict"
    if status >= 500:
        return FaultKind.SERVER_ERROR, "server error"
    if status in (400, 413, 422):
        return FaultKind.BAD_REQUEST, "request rejected"
    return FaultKind.OTHER, "unexpected answer"


def error_field(body: object, name: str) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    value = error.get(name) if isinstance(error, dict) else None
    return value if isinstance(value, str) else ""


def error_code(body: object) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    code = details.get("error_code") if isinstance(details, dict) else None
    return code if isinstance(code, str) else ""


def is_spend_limit(body: object, detail: str, retry_after: float | None) -> bool:
    """A 429 that waiting does not cure: the API marks it in ``error.details.error_code``."""
    if "spend_limit" in error_code(body):
        return True
    # Older answers carry no code, only wording, and never a retry-after.
    lowered = detail.lower()
    return retry_after is None and ("spend limit" in lowered or "usage limits" in lowered)


def exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def class_names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def connect_failed(exc: BaseException) -> bool:
    return any(
        type(e).__name__ in CONNECT_FAILURES
        or isinstance(e, (ConnectionRefusedError, socket.gaierror, ssl.SSLError))
        for e in exception_chain(exc)
    )


def connect_reason(exc: BaseException, connect_timeout_s: float) -> str:
    """Why a connection could not be made, in a few words."""
    for e in exception_chain(exc):
        if type(e).__name__ == "ConnectTimeout":
            return f"no connection within {connect_timeout_s:g} s"
        if isinstance(e, ConnectionRefusedError) or "connection refused" in str(e).lower():
            return "connection refused"
        if isinstance(e, socket.gaierror):
            return "host name not found"
        if isinstance(e, ssl.SSLError):
            return f"TLS handshake failed ({e.reason or e})"
    return most_specific_text(exc)


def most_specific_text(exc: BaseException) -> str:
    """The most specific non-empty text in the exception's chain (the SDK's own is generic)."""
    texts = [str(e).strip() for e in exception_chain(exc)]
    specific = [t for t in texts[1:] if t]
    return specific[-1] if specific else (texts[0] or type(exc).__name__)


def request_origin(exc: Any) -> str:
    url = getattr(getattr(exc, "request", None), "url", None)
    if url is None:
        return "the API"
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}"
