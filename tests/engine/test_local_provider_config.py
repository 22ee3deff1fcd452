"""Choosing the OpenAI-compatible provider: plan first, then Settings, then the environment; its own
defaults (Ollama's URL, a local model, one request at a time, a patient stall timeout); no key."""

from __future__ import annotations

import pytest

from app.apikey import KeyLookup
from app.core.plan import parse_plan
from app.core.plan_model import PROVIDERS, PlanSettings
from app.engine.provider_config import (
    LOCAL_STALL_TIMEOUT_S,
    KeySource,
    ProviderChoice,
    ProviderKind,
    make_provider,
    parse_kind,
    preload_modules,
    resolve_provider_config,
)
from app.engine.providers.openai_compatible import OpenAICompatibleProvider
from app.engine.roles import Role
from app.errors import UsageError

LOCAL = ProviderKind.OPENAI_COMPATIBLE


def plan_settings(front_matter: str) -> PlanSettings:
    plan = parse_plan(f"---\n{front_matter}\n---\nContext.\n\n## A\nDo a.\n")
    assert plan.ok, plan.issues
    return plan.settings


def test_the_plans_provider_names_the_kinds() -> None:
    assert set(PROVIDERS) == {kind.value for kind in ProviderKind}


def test_a_local_plan_gets_its_server_model_and_run_defaults() -> None:
    plan = plan_settings("provider: openai-compatible\nbase_url: http://127.0.0.1:8080/v1/\nmodel: qwen2.5-coder:7b")
    config = resolve_provider_config(plan=plan, env={})
    assert (config.kind, config.base_url, config.model) == (LOCAL, "http://127.0.0.1:8080/v1", "qwen2.5-coder:7b")
    assert config.concurrency == 1 and config.stall_timeout_s == LOCAL_STALL_TIMEOUT_S and config.local
    assert config.key == KeySource(env_var="OPENAI_API_KEY", required=False) and not config.key.needs_key


def test_without_a_model_or_url_a_local_plan_asks_ollama_for_llama() -> None:
    config = resolve_provider_config(plan=plan_settings("provider: openai-compatible"), env={})
    assert (config.base_url, config.model) == ("http://localhost:11434/v1", "llama3.2")


def test_a_plan_that_sets_concurrency_keeps_it() -> None:
    plan = plan_settings("provider: openai-compatible\nconcurrency: 3")
    assert resolve_provider_config(plan=plan, env={}).concurrency is None  # None: the plan's 3


def test_flags_beat_the_plan_which_beats_settings_which_beat_the_environment() -> None:
    env = {"CARDSMITH_PROVIDER": "anthropic", "CARDSMITH_OPENAI_BASE_URL": "http://10.0.0.5:8000/v1"}
    settings = ProviderChoice(kind=LOCAL, base_url="http://127.0.0.1:1234/v1")
    assert resolve_provider_config(env=env).kind is ProviderKind.ANTHROPIC
    assert resolve_provider_config(settings=settings, env=env).base_url == "http://127.0.0.1:1234/v1"
    plan = plan_settings("provider: openai-compatible\nbase_url: http://127.0.0.1:9999/v1")
    assert resolve_provider_config(plan=plan, settings=settings, env=env).base_url == "http://127.0.0.1:9999/v1"
    flag = ProviderChoice(base_url="http://127.0.0.1:7777/v1")
    assert resolve_provider_config(flag, plan=plan, settings=settings, env=env).base_url == "http://127.0.0.1:7777/v1"
    # Without a URL anywhere else, the kind's variable.
    assert resolve_provider_config(ProviderChoice(kind=LOCAL), env=env).base_url == "http://10.0.0.5:8000/v1"


def test_a_source_for_another_kind_gives_nothing_else() -> None:
    plan = plan_settings("provider: openai-compatible\nbase_url: http://127.0.0.1:9/v1\nmodel: llama3.2")
    cloud = resolve_provider_config(ProviderChoice(kind=ProviderKind.ANTHROPIC), plan=plan, env={})
    assert (cloud.base_url, cloud.model) == (None, PlanSettings().model)
    claude_plan = plan_settings("model: claude-haiku-5-5")
    local = resolve_provider_config(ProviderChoice(kind=LOCAL), plan=claude_plan, env={})
    # The plan names no provider, so its model is meant for whichever provider runs it.
    assert local.model == "claude-haiku-5-5"
    assert resolve_provider_config(ProviderChoice(kind=LOCAL), plan=PlanSettings(), env={}).model == "llama3.2"


def test_review_on_a_local_server_uses_the_local_model() -> None:
    plan = plan_settings("provider: openai-compatible\nmodel: llama3.2")
    assert resolve_provider_config(role=Role.REVIEW, plan=plan, env={}).model == "llama3.2"
    chosen = resolve_provider_config(ProviderChoice(model="qwen3:32b"), role=Role.REVIEW, plan=plan, env={})
    assert chosen.model == "qwen3:32b"


def test_an_unknown_kind_is_one_line() -> None:
    with pytest.raises(UsageError, match="--provider must be one of anthropic, openai-compatible, not 'openai'"):
        parse_kind("openai")
    with pytest.raises(UsageError, match="CARDSMITH_PROVIDER must be one of"):
        resolve_provider_config(env={"CARDSMITH_PROVIDER": "ollama"})


def test_no_key_is_needed_and_the_anthropic_key_is_never_looked_up() -> None:
    def keyring_must_not_be_asked() -> KeyLookup:
        raise AssertionError("the Anthropic key was looked up for a local run")

    config = resolve_provider_config(ProviderChoice(kind=LOCAL), env={})
    provider = make_provider(config, env={}, lookup=keyring_must_not_be_asked)
    assert isinstance(provider, OpenAICompatibleProvider) and "api_key=none" in repr(provider)
    with_key = make_provider(config, env={"OPENAI_API_KEY": "sk-x"}, lookup=keyring_must_not_be_asked)
    assert "api_key=given" in repr(with_key) and "sk-x" not in repr(with_key)
    assert preload_modules(LOCAL)[0] == "httpx2"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("provider: ollama", "provider must be one of anthropic, openai-compatible, not 'ollama'"),
        ("provider: 3", "provider must be text, not 3"),
        ("base_url: localhost:11434", "base_url must be an http:// or https:// URL, not 'localhost:11434'"),
        ("base_url: ''", "base_url must be text, not empty text"),
    ],
)
def test_bad_provider_keys_are_errors_on_their_line(line: str, message: str) -> None:
    plan = parse_plan(f"---\ntitle: T\n{line}\n---\n## A\nx\n")
    assert [(i.line, i.message) for i in plan.errors] == [(3, message)]


def test_the_plan_remembers_which_keys_it_sets() -> None:
    settings = plan_settings("title: T\nProvider: x\nprovider: OpenAI-Compatible\nconcurrency: 2")
    assert settings.provider == "openai-compatible"
    assert settings.given == {"title", "provider", "concurrency"}
    assert settings == PlanSettings(title="T", provider="openai-compatible", concurrency=2)


async def test_server_models_for_the_settings_list() -> None:
    from app.engine.provider import FaultKind, ProviderError
    from app.engine.provider_config import server_models
    from tests.fakes.chat_completions import DEFAULT_MODELS, FakeChatCompletionsAPI
    from tests.fakes.messages_api import unreachable_base_url

    async with FakeChatCompletionsAPI() as api:
        config = resolve_provider_config(ProviderChoice(kind=LOCAL, base_url=api.v1_url), env={})
        assert await server_models(config, env={}) == sorted(DEFAULT_MODELS)
    assert await server_models(resolve_provider_config(env={}), env={}) is None  # Anthropic: the table
    down = resolve_provider_config(ProviderChoice(kind=LOCAL, base_url=unreachable_base_url() + "/v1"), env={})
    with pytest.raises(ProviderError) as error:
        await server_models(down, env={})
    assert error.value.kind is FaultKind.UNREACHABLE and error.value.message.startswith("no server at")
