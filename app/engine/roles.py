"""The jobs a model does for a writer, and what each one asks of the model by default.

A role picks the model and the request settings; the engine itself (runner, retries, concurrency
limit) is the same for every role. ``execute`` is ``generate`` (and the window's run), ``review``
is ``review`` (and ``generate --review``), ``draft`` is ``cardsmith draft`` (and the window's
"New plan from a brief…").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType
from typing import Mapping

from app.core.plan_model import PlanSettings


class Role(str, Enum):
    EXECUTE = "execute"  # a fast model writes one card per component of the plan
    REVIEW = "review"  # a stronger model reads finished cards and gives a verdict
    DRAFT = "draft"  # the strongest model writes a plan from a writer's brief

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RoleDefaults:
    model: str
    max_tokens: int
    from_plan: bool = False
    """The plan's ``model``, ``max_tokens``, ``effort`` and ``thinking`` are this role's (they win
    over the defaults above)."""
    plan_model_key: str | None = None
    """A plan front matter key naming this role's own model (it wins over ``model``)."""


_PLAN = PlanSettings()

ROLE_DEFAULTS: Mapping[Role, RoleDefaults] = MappingProxyType(
    {
        Role.EXECUTE: RoleDefaults(_PLAN.model, _PLAN.max_tokens, from_plan=True),
        Role.REVIEW: RoleDefaults("claude-sonnet-5-5", 2048, plan_model_key="review_model"),
        Role.DRAFT: RoleDefaults("claude-opus-5-5", 16384, plan_model_key="draft_model"),
    }
)


@dataclass(frozen=True)
class RequestSettings:
    """What a role's requests ask for."""

    model: str
    max_tokens: int
    effort: str | None = None
    """The plan's (for a role that takes its settings from the plan); None: the model's default."""
    thinking: str | None = None


def request_settings(
    role: Role,
    plan: PlanSettings | None = None,
    *,
    model: str | None = None,
    max_tokens: int | None = None,
) -> RequestSettings:
    """Each setting from the caller's explicit choice (``--model``, the window's Settings), else
    the plan's front matter (for a role that takes it from the plan), else the role's default."""
    defaults = ROLE_DEFAULTS[role]
    planned = plan if defaults.from_plan else None
    own = getattr(plan, defaults.plan_model_key) if plan and defaults.plan_model_key else None
    return RequestSettings(
        model=model or own or (planned.model if planned else defaults.model),
        max_tokens=max_tokens if max_tokens is not None else (planned.max_tokens if planned else defaults.max_tokens),
        effort=planned.effort if planned else None,
        thinking=planned.thinking if planned else None,
    )
