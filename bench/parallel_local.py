"""What benchmark 1 needs to measure the OpenAI-compatible provider: the chat-completions
stand-in on a thread, the chat bodies cardsmith sends, the environment that picks the local
provider, and the bare-httpx2 reference (``reference_chat.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import PY, REPO
from tests.fakes.chat_thread import ChatStandInThread


def chat_stand_in(**kwargs: Any) -> ChatStandInThread:
    """The chat-completions stand-in, serving any model name."""
    return ChatStandInThread(models=None, **kwargs)


def chat_bodies(plan_path: Path) -> list[dict[str, Any]]:
    """Exactly what cardsmith sends to a local server for each component."""
    from app.core.plan import load_plan
    from app.core.prompt import build_request
    from app.engine.provider_config import ProviderChoice, ProviderKind, resolve_provider_config
    from app.engine.providers.chat_wire import chat_body

    plan = load_plan(plan_path)
    model = resolve_provider_config(ProviderChoice(kind=ProviderKind.OPENAI_COMPATIBLE), plan=plan.settings,
                                    env={}).model
    return [chat_body(build_request(plan, c, model=model)) for c in plan.components]


def local_env(env: dict[str, str], v1_url: str) -> dict[str, str]:
    """``env`` with the local provider chosen through the environment (the plan stays the same)."""
    return {**env, "CARDSMITH_PROVIDER": "openai-compatible", "CARDSMITH_OPENAI_BASE_URL": v1_url}


def reference_command(requests: Path, v1_url: str, level: int) -> list[str]:
    return [PY, str(REPO / "bench" / "reference_chat.py"), str(requests), v1_url, "--concurrency", str(level)]
