"""Which API the window's runs use: the plan's front matter, then the Settings, then the environment;
a local model server's run over real HTTP against the chat-completions stand-in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.plan import parse_plan
from app.core.pricing import LOCAL_COST_TEXT
from app.engine.generate import GenerateOptions
from app.engine.provider_config import LOCAL_STALL_TIMEOUT_S, ProviderKind
from app.engine.roles import Role
from app.settings import Settings
from app.ui.providers import provider_config, run_options
from tests.fakes.chat_completions import CHAT_PATH, FakeChatCompletionsAPI
from tests.helpers.plans import component_names, write_plan
from tests.helpers.window import MakeWindow, StandIn

LOCAL_URL = "http://127.0.0.1:9/v1"


def plan_settings(front_matter: str) -> Any:
    return parse_plan(f"---\ntitle: T\n{front_matter}\n---\nContext.\n\n## A\nShow A.\n").settings


def local_plan(folder: Path, base_url: str, names: list[str]) -> Path:
    """A plan that names a local server and sets no concurrency (the provider's default applies)."""
    parts = ["---", "title: Local guide", "language: python", "provider: openai-compatible",
             f"base_url: {base_url}", "---", "Shared context.", ""]
    for name in names:
        parts += [f"## {name}", f"Show {name} in a small example.", ""]
    path = folder / "local.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


# -- resolving ----------------------------------------------------------------------------------


def test_the_plan_wins_over_the_settings_and_the_settings_over_the_environment() -> None:
    env = {"CARDSMITH_PROVIDER": "anthropic"}
    local = Settings(provider="openai-compatible", base_url=LOCAL_URL)
    config = provider_config(plan_settings("title: T"), local, env=env)
    assert (config.kind, config.base_url, config.model) == (ProviderKind.OPENAI_COMPATIBLE, LOCAL_URL, "llama3.2")
    assert config.local and config.stall_timeout_s == LOCAL_STALL_TIMEOUT_S
    plan = plan_settings("provider: anthropic")
    assert provider_config(plan, local, env=env).kind is ProviderKind.ANTHROPIC
    assert provider_config(plan_settings(""), Settings(), env=env).kind is ProviderKind.ANTHROPIC


def test_a_settings_model_counts_only_for_the_settings_own_kind_of_api() -> None:
    claude = Settings(model="claude-sonnet-4-5", review_model="claude-opus-4-5")
    assert provider_config(plan_settings("model: claude-haiku-4-5"), claude, env={}).model == "claude-sonnet-4-5"
    assert provider_config(plan_settings(""), claude, Role.REVIEW, env={}).model == "claude-opus-4-5"
    local_plan_settings = plan_settings(f"provider: openai-compatible\nbase_url: {LOCAL_URL}\nmodel: qwen2.5")
    assert provider_config(local_plan_settings, claude, env={}).model == "qwen2.5"
    own = Settings(provider="openai-compatible", model="phi4")
    assert provider_config(local_plan_settings, own, env={}).model == "phi4"


def test_run_options_take_the_provider_defaults_unless_the_writer_set_them() -> None:
    config = provider_config(plan_settings(f"provider: openai-compatible\nbase_url: {LOCAL_URL}"), Settings(), env={})
    options = run_options(Settings(), config, GenerateOptions())
    assert (options.model, options.concurrency, options.stall_timeout_s) == ("llama3.2", 1, LOCAL_STALL_TIMEOUT_S)
    mine = run_options(Settings(concurrency=3, stall_timeout_s=20.0), config, GenerateOptions())
    assert (mine.concurrency, mine.stall_timeout_s) == (3, 20.0)
    assert run_options(Settings(), config, GenerateOptions(concurrency=2)).concurrency == 2


# -- a run --------------------------------------------------------------------------------------


def test_a_plan_on_a_local_server_generates_there_and_never_reaches_anthropic(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn,
    chat_api: FakeChatCompletionsAPI,
) -> None:
    anthropic = stand_in(api_key="sk-ant-never-used-key-0000")
    names = component_names(3)
    window = make_window(local_plan(tmp_path, chat_api.v1_url, names))
    assert window.panel.concurrency_spin.value() == 1  # a local server: one at a time
    window.generate_all()
    qtbot.waitUntil(lambda: window.controller.running, timeout=5000)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=30000)

    chats = [r for r in chat_api.records if r.path == CHAT_PATH]
    assert sorted(r.component for r in chats) == names and {r.model for r in chats} == {"llama3.2"}
    assert chat_api.peak_open_streams == 1
    assert anthropic.records == []
    assert all(window.session.states[n.casefold()] == "done" for n in names)
    assert len(list((tmp_path / "local.cards").glob("*.md"))) == 3
    assert window.controller.progress.local and LOCAL_COST_TEXT in window.panel.overall_text


def test_the_settings_send_a_plan_without_a_provider_to_a_local_server(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn,
    chat_api: FakeChatCompletionsAPI,
) -> None:
    anthropic = stand_in(api_key="sk-ant-never-used-key-0000")
    window = make_window(write_plan(tmp_path, 2))
    window.session.apply_settings(Settings(provider="openai-compatible", base_url=chat_api.v1_url))
    window.generate_all()
    qtbot.waitUntil(lambda: window.controller.running, timeout=5000)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=30000)
    assert sorted(r.component for r in chat_api.records if r.path == CHAT_PATH) == component_names(2)
    assert anthropic.records == [] and window.controller.progress.local
    assert all(window.session.states[n.casefold()] == "done" for n in component_names(2))
