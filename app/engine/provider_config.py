"""Which model API a run talks to, and the one place a provider is made from that choice.

A ``ProviderConfig`` says which kind of API, at which base URL, with which model, and where its
key comes from (never the key itself: the key is read when the provider is made, handed to it,
and never logged or written). The command line and the window both resolve one with
``resolve_provider_config`` and make the provider with ``make_provider``.

A new kind of API is one more ``ProviderKind``, one more entry in ``_KINDS`` (its class, its
base-URL default and variable, where its key comes from, its run defaults) and its provider
module; nothing else changes. Two kinds exist: Anthropic's Messages API, and the OpenAI
chat-completions API that local model servers (Ollama, llama.cpp, LM Studio, vLLM) speak.
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
from app.engine.provider import Provider, model_lister
from app.engine.roles import ROLE_DEFAULTS, Role, request_settings
from app.engine.server_url import OLLAMA_BASE_URL, is_local_url
from app.errors import KeyMissingError, UsageError

log = logging.getLogger(__name__)


class ProviderKind(str, Enum):
    ANTHROPIC = "anthropic"  # the Messages API (api.anthropic.com, or a compatible base URL)
    OPENAI_COMPATIBLE = "openai-compatible"  # chat completions on a model server (Ollama, ...)

    def __str__(self) -> str:
        return self.value


DEFAULT_KIND = ProviderKind.ANTHROPIC
PROVIDER_ENV = "CARDSMITH_PROVIDER"
"""The environment's choice of kind, after the command line, the plan and the window's Settings."""
DEFAULT_STALL_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class KeySource:
    """Where a provider's API key comes from: an environment variable, then (with ``keyring``)
    the key stored from the window's Settings. Neither: the API needs no key (a local server)."""

    env_var: str | None = None
    keyring: bool = False
    required: bool = True
    """False: the key is sent when set, and the API works without one (a local server)."""

    @property
    def needs_key(self) -> bool:
        return self.required and (self.env_var is not None or self.keyring)

    def describe(self) -> str:
        places = ([self.env_var] if self.env_var else []) + (["the keyring"] if self.keyring else [])
        if not places:
            return "no key"
        return " or ".join(places) + ("" if self.required else " if set")


@dataclass(frozen=True)
class ProviderConfig:
    """A resolved choice of API for one role. ``base_url`` None: the provider's own default."""

    kind: ProviderKind
    model: str
    base_url: str | None
    key: KeySource
    concurrency: int | None = None
    """The kind's parallel requests when the plan sets none; None: the plan's."""
    stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S
    """The kind's stall timeout when the user sets none."""

    @property
    def local(self) -> bool:
        """Requests cost nothing: a model server on this machine or the local network."""
        return _KINDS[self.kind].free_when_local and is_local_url(self.base_url)

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
    base_url: str | None = None
    """None: the provider's own default."""
    model: str | None = None
    """The model when no source names one; None: the role's (Claude models)."""
    concurrency: int | None = None
    """Parallel requests when the plan sets none; None: the plan's default."""
    stall_timeout_s: float = DEFAULT_STALL_TIMEOUT_S
    free_when_local: bool = False


LOCAL_STALL_TIMEOUT_S = 300.0
"""A local server's first token can take minutes: it loads the model (Ollama unloads an idle one
after five minutes) and reads the prompt on the CPU before it sends anything."""

_KINDS: Mapping[ProviderKind, _KindDefaults] = {
    ProviderKind.ANTHROPIC: _KindDefaults(
        "app.engine.providers.anthropic:AnthropicProvider",
        base_url_env="ANTHROPIC_BASE_URL",
        key=KeySource(env_var="ANTHROPIC_API_KEY", keyring=True),
    ),
    ProviderKind.OPENAI_COMPATIBLE: _KindDefaults(
        "app.engine.providers.openai_compatible:OpenAICompatibleProvider",
        # Not OPENAI_BASE_URL: set for other tools it may point at a cloud service, and a plan
        # that asks for a local server must not quietly send its context there.
        base_url_env="CARDSMITH_OPENAI_BASE_URL",
        key=KeySource(env_var="OPENAI_API_KEY", required=False),
        base_url=OLLAMA_BASE_URL,
        model="llama3.2",
        concurrency=1,  # a local server often runs one request at a time
        stall_timeout_s=LOCAL_STALL_TIMEOUT_S,
        free_when_local=True,
    ),
}


def resolve_provider_config(
    *choices: ProviderChoice,
    role: Role = Role.EXECUTE,
    plan: PlanSettings | None = None,
    settings: ProviderChoice | None = None,
    env: Mapping[str, str] | None = None,
) -> ProviderConfig:
    """Each field from the first source that sets it: ``choices`` (strongest first: command-line
    flags), then the plan's front matter (``provider``, ``base_url``, and ``model`` for a role
    that takes it from the plan), then ``settings`` (the window's Settings), then the
    environment (``CARDSMITH_PROVIDER``, the kind's base-URL variable), then the kind's and the
    role's defaults. A source that names another kind than the one chosen gives nothing else:
    the plan's Ollama model never reaches Anthropic."""
    env = os.environ if env is None else env
    sources = [*choices, _plan_choice(plan, role), settings or ProviderChoice(), _env_choice(env)]
    kind = next((s.kind for s in sources if s.kind is not None), DEFAULT_KIND)
    defaults = _KINDS[kind]
    fitting = [s for s in sources if s.kind in (None, kind)]
    from_env = (env.get(defaults.base_url_env) or "").strip() if defaults.base_url_env else ""
    base_url = next((s.base_url for s in fitting if s.base_url), from_env or defaults.base_url)
    key = next((s.key for s in fitting if s.key is not None), defaults.key)
    plan_fits = plan is not None and plan.provider in (None, kind.value)
    model = next((s.model for s in fitting if s.model), defaults.model) or request_settings(
        role, plan if plan_fits else None
    ).model
    plan_concurrency = plan is not None and "concurrency" in plan.given
    return ProviderConfig(
        kind,
        model,
        base_url or None,
        key,
        concurrency=None if plan_concurrency else defaults.concurrency,
        stall_timeout_s=defaults.stall_timeout_s,
    )


def _plan_choice(plan: PlanSettings | None, role: Role) -> ProviderChoice:
    """What the plan's front matter says. Its ``model`` counts only where the plan sets it (a
    local server must not be asked for the default Claude model) and the role reads the plan."""
    if plan is None:
        return ProviderChoice()
    takes_model = ROLE_DEFAULTS[role].from_plan and "model" in plan.given
    return ProviderChoice(
        kind=ProviderKind(plan.provider) if plan.provider else None,
        model=plan.model if takes_model else None,
        base_url=plan.base_url,
    )


def _env_choice(env: Mapping[str, str]) -> ProviderChoice:
    value = (env.get(PROVIDER_ENV) or "").strip().lower()
    if not value:
        return ProviderChoice()
    return ProviderChoice(kind=parse_kind(value, f"{PROVIDER_ENV}"))


def parse_kind(value: str, where: str = "--provider") -> ProviderKind:
    """The kind ``value`` names; UsageError (one line) naming ``where`` for any other word."""
    try:
        return ProviderKind(value.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in ProviderKind)
        raise UsageError(f"{where} must be one of {names}, not {value.strip()!r}") from None


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


async def server_models(
    config: ProviderConfig, *, env: Mapping[str, str] | None = None
) -> list[str] | None:
    """The ids of the models ``config``'s server serves (``GET /v1/models``), for ``cardsmith
    models`` and the window's Settings (await it on the event loop: the request is async and the
    client is made in a thread). None for a kind without such a list (Anthropic: the model table
    is its list). Raises ProviderError, e.g. ``unreachable`` with "no server at URL ..."."""
    if not hasattr(provider_class(config.kind), "list_models"):
        return None
    provider = make_provider(config, env=env)
    lister = model_lister(provider)
    try:
        return await lister.list_models() if lister is not None else None
    finally:
        await provider.aclose()
