"""A model server's base URL: whether it is on this machine or the local network."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

OLLAMA_BASE_URL = "http://localhost:11434/v1"
"""The OpenAI-compatible provider's default base URL: Ollama's, on this machine."""
OLLAMA_PORT = 11434

_LOCAL_SUFFIXES = (".localhost", ".local", ".lan", ".internal", ".home.arpa")


def _host(url: str | None) -> str:
    return (urlsplit(url).hostname or "").lower() if url else ""


def is_loopback_url(url: str | None) -> bool:
    """True for a server on this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    host = _host(url)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_local_url(url: str | None) -> bool:
    """True for a server on this machine or a private network: it has no per-token price, so its
    cards cost nothing. A public host may be a paid service whose prices Cardsmith does not know."""
    host = _host(url)
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # A bare name ("gpu-box") only resolves on the local network.
        return is_loopback_url(url) or host.endswith(_LOCAL_SUFFIXES) or "." not in host
    return address.is_loopback or address.is_private or address.is_link_local
