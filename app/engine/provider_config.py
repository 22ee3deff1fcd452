"""Which model API a run talks to, and the one place a provider is made from that choice.

A ``ProviderConfig`` says which kind of API, at which base URL, with which model, and where its
key comes from (never the key itself: the key is read when the provider is made, handed to it,
and never logged or written). The command line and the window both resolve one with
``resolve_provider_config`` and make the provider with ``make_provider``.

A new kind of API (say, an OpenAI-compatible local server) is one more ``ProviderKind``, one
more entry in ``_KINDS`` (its class, its base-URL variable, where its key comes from) and its
provider module; nothing else changes.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
from dataclasses import dataclass
from enum import Enum
from typing import Callable, Mapping

from app.apikey import MISSING_KEY_HELP, KeyLookup, lookup_key
from app.core.plan_model import PlanSettings
from app.engine.provider import Provider
from app.engine.roles import Role, request_settings
from app.errors import KeyMissingError

log = logging.getLogger(__name__)


class ProviderKind(str, Enum):
    ANTHROPIC = "anthropic"  # the Messages API (api.anthropic.com, or a compatible base URL)

    def __str__(self) -> str:
        return self.value


DEFAULT_KIND = ProviderKind.ANTHROPIC


@dataclass(frozen=True)
class KeySource:
    """Where a provider's API key comes from: an environment variable, then (with ``keyring``)
    the key stored from the window's Settings. Neither: the API needs no key (a local server)."""

    env_var: str | None = None
    keyring: bool = False

    @property
    def needs_key(self) -> bool:
        return self.env_var is not None or self.keyring

    def describe(self) -> str:
        places = ([self.env_var] if self.env_var else []) + (["the keyring"] if self.keyring else [])
        return " or ".join(places) if places else "no key"


@dataclass(frozen=True)
class ProviderConfig:
    """A resolved choice of API for one role. ``base_url`` None: the provider's own default."""

    kind: ProviderKind
    model: str
    base_url: str | None
    key: KeySource

    def describe(self) -> str:
        where = self.base_url or "its default URL"
        return f"{self.kind} at {where}, model {self.model}, key from {self.key.describe()}"


@dataclass(frozen=True)
class ProviderChoice:
    """What one source (a command-line flag, the window's Settings, ...) says; None leaves the
    field to the sources after it."""

    kind: ProviderKind | None = None
    model: str | None = None
    base_url: str | None = None
    key: KeySource | None = None


@dataclass(frozen=True)
class _KindDefaults:
    provider_class: str
    """The class as "module:Class", built as ``Class(api_key=..., base_url=...)``; importing the
    module must not import an SDK (a provider imports its SDK on first use, off the event loop)."""
    base_url_env: str | None
    key: KeySource


_KINDS: Mapping[ProviderKind, _KindDefaults] = {
    ProviderKind.ANTHROPIC: _KindDefaults(
        "app.engine.providers.anthropic:AnthropicProvider",
        base_url_env="ANTHROPIC_BASE_URL",
        key=KeySource(env_var="ANTHROPIC_API_KEY", keyring=True),
    ),
}


def resolve_provider_config(
    *choices: ProviderChoice,
    role: Role = Role.EXECUTE,
    plan: PlanSettings | None = None,
    env: Mapping[str, str] | None = None,
) -> ProviderConfig:
    """Each field from the first of ``choices`` that sets it (the caller lists them strongest
    first: a command-line flag or the window's Settings); then the plan's front matter (today
    its ``model``, for a role that takes it from the plan); then the environment (the kind's
    base-URL variable); then the kind's and the role's defaults."""
    kind = next((c.kind for c in choices if c.kind is not None), DEFAULT_KIND)
    defaults = _KINDS[kind]
    env = os.environ if env is None else env
    from_env = (env.get(defaults.base_url_env) or "").strip() if defaults.base_url_env else ""
    base_url = next((c.base_url for c in choices if c.base_url), from_env or None)
    key = next((c.key for c in choices if c.key is not None), defaults.key)
    model = next((c.model for c in choices if c.model), None)
    return ProviderConfig(kind, request_settings(role, plan, model=model).model, base_url, key)


def read_key(
    source: KeySource,
    env: Mapping[str, str] | None = None,
    lookup: Callable[[], KeyLookup] = lookup_key,
) -> str | None:
    """The key ``source`` names; None when it names no place. Raises KeyMissingError (one line)
    when it names places that hold none."""
    env = os.environ if env is None else env
    if source.env_var:
        value = (env.get(source.env_var) or "").strip()
        if value:
            return value
    note = ""
    if source.keyring:
        # The key stored from the window's Settings (keyring, or this session's memory).
        found = lookup()
        if found.key:
            return found.key
        note = found.note
    if not source.needs_key:
        return None
    help_text = MISSING_KEY_HELP if source.keyring else f"no API key: set {source.env_var} in the environment"
    raise KeyMissingError(help_text + (f" ({note})" if note else ""))


def provider_class(kind: ProviderKind) -> type:
    module_name, _, class_name = _KINDS[kind].provider_class.partition(":")
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]


def make_provider(
    config: ProviderConfig,
    *,
    env: Mapping[str, str] | None = None,
    lookup: Callable[[], KeyLookup] = lookup_key,
) -> Provider:
    """The provider ``config`` describes, with its key read now; KeyMissingError without one."""
    api_key = read_key(config.key, env, lookup)
    log.debug("provider: %s", config.describe())
    provider: Provider = provider_class(config.kind)(api_key=api_key, base_url=config.base_url)
    return provider


def preload_modules(kind: ProviderKind = DEFAULT_KIND) -> tuple[str, ...]:
    """What the provider of ``kind`` would import during its first request (its SDK first)."""
    return tuple(getattr(provider_class(kind), "PRELOAD_MODULES", ()))


def preload(kind: ProviderKind = DEFAULT_KIND) -> None:
    """Import ``preload_modules(kind)`` now, best effort (a window calls this in a worker thread,
    so that none of it happens on the event loop while cards stream in)."""
    for name in preload_modules(kind):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
