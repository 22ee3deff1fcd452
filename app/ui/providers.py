"""Which provider a run from the window uses: the one configuration every run resolves, made by
the engine's one factory (the model itself reaches the requests through the run's options)."""

from __future__ import annotations

from app.engine.provider import Provider
from app.engine.provider_config import make_provider, resolve_provider_config


def default_provider_factory() -> Provider:
    """Raises KeyMissingError (one line) when the configuration names a key that is not there."""
    return make_provider(resolve_provider_config())
