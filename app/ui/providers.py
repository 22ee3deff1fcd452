"""Which provider a run from the window uses: the one configuration every run resolves (the plan's
front matter first, then the Settings, then the environment), made by the engine's one factory,
and the run options that follow from it (docs/architecture.md#providers-and-roles)."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from app.core.plan_model import PlanSettings
from app.engine.send_plan import GenerateOptions
from app.engine.provider import Provider
from app.engine.provider_config import (
    ProviderChoice,
    ProviderConfig,
    ProviderKind,
    make_provider,
    resolve_provider_config,
)
from app.engine.roles import Role
from app.settings import Settings, generate_options


def settings_model(settings: Settings, role: Role) -> str | None:
    """The model the Settings choose for ``role``; None: the plan's, else the role's default."""
    return {Role.EXECUTE: settings.model, Role.REVIEW: settings.review_model,
            Role.DRAFT: settings.draft_model}[role]


def settings_choice(settings: Settings) -> ProviderChoice:
    """What the Settings say about the API: its kind and server (a model is per role)."""
    kind = ProviderKind(settings.provider) if settings.provider else None
    return ProviderChoice(kind=kind, base_url=settings.base_url)


def provider_config(
    plan: PlanSettings | None,
    settings: Settings,
    role: Role = Role.EXECUTE,
    *,
    env: Mapping[str, str] | None = None,
) -> ProviderConfig:
    """The API ``role``'s requests go to. The Settings' model for the role wins over the plan's
    (it is the writer's explicit choice, as ``--model`` is), but only for the kind of API the
    Settings themselves use: a plan that asks for a local server never gets a Claude model picked
    in the Settings, and the reverse. Raises UsageError for a bad ``CARDSMITH_PROVIDER``."""
    chosen = settings_choice(settings)
    config = resolve_provider_config(role=role, plan=plan, settings=chosen, env=env)
    model = settings_model(settings, role)
    if not model or resolve_provider_config(role=role, settings=chosen, env=env).kind is not config.kind:
        return config
    return resolve_provider_config(ProviderChoice(model=model), role=role, plan=plan, settings=chosen, env=env)


def run_options(settings: Settings, config: ProviderConfig, options: GenerateOptions) -> GenerateOptions:
    """``options`` with what the caller left open filled in: the resolved model, the writer's
    concurrency else the provider's (a local server: one at a time) else the plan's, the writer's
    stall timeout else the provider's, and the Settings' attempts and repairs."""
    concurrency = options.concurrency if options.concurrency is not None else settings.concurrency
    return generate_options(settings, replace(
        options,
        model=options.model or config.model,
        concurrency=concurrency if concurrency is not None else config.concurrency,
        stall_timeout_s=config.stall_timeout_s,
    ))


def default_provider_factory(config: ProviderConfig) -> Provider:
    """Raises KeyMissingError (one line) when the configuration names a key that is not there."""
    return make_provider(config)
