"""Which provider a run from the window uses: the Anthropic SDK with the key from env or keyring."""

from __future__ import annotations

from app.apikey import MISSING_KEY_HELP, lookup_key
from app.engine.provider import Provider
from app.errors import KeyMissingError


def default_provider_factory() -> Provider:
    found = lookup_key()
    if not found.key:
        detail = f" ({found.note})" if found.note else ""
        raise KeyMissingError(MISSING_KEY_HELP + detail)
    from app.engine.providers.anthropic import AnthropicProvider

    return AnthropicProvider(api_key=found.key)
