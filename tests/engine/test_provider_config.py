"""The provider configuration: what wins over what, the role defaults, the one factory and its key."""

from __future__ import annotations

import logging

import pytest

from app.apikey import KeyLookup
from app.core.plan_model import PlanSettings
from app.engine.provider import Provider
from app.engine.provider_config import (
    KeySource,
    ProviderChoice,
    ProviderConfig,
    ProviderKind,
    make_provider,
    preload_modules,
    read_key,
    resolve_provider_config,
)
from app.engine.providers.anthropic import AnthropicProvider
from app.engine.roles import ROLE_DEFAULTS, Role, request_settings
from app.errors import KeyMissingError

CANARY = "sk-ant-CANARY-config-0123456789abcdef"
PLAN = PlanSettings(model="claude-plan-model", max_tokens=777)


def no_stored_key() -> KeyLookup:
    return KeyLookup(None, "none", "no system keyring is available")


def test_with_nothing_set_the_execute_role_gets_anthropic_and_the_plan_default() -> None:
    config = resolve_provider_config(env={})
    assert config == ProviderConfig(
        ProviderKind.ANTHROPIC,
        PlanSettings().model,
        None,
        KeySource(env_var="ANTHROPIC_API_KEY", keyring=True),
    )


def test_an_explicit_model_beats_the_plan_which_beats_the_default() -> None:
    assert resolve_provider_config(plan=PLAN, env={}).model == "claude-plan-model"
    chosen = resolve_provider_config(ProviderChoice(model="claude-chosen"), plan=PLAN, env={})
    assert chosen.model == "claude-chosen"
    # A source that leaves the model open passes it on to the next one.
    passed = resolve_provider_config(ProviderChoice(), ProviderChoice(model="claude-2nd"), plan=PLAN, env={})
    assert passed.model == "claude-2nd"


@pytest.mark.parametrize(
    ("role", "model"), [(Role.REVIEW, "claude-sonnet-5-5"), (Role.DRAFT, "claude-opus-5-5")]
)
def test_review_and_draft_roles_do_not_take_the_plans_execution_model(role: Role, model: str) -> None:
    assert resolve_provider_config(role=role, plan=PLAN, env={}).model == model
    explicit = resolve_provider_config(ProviderChoice(model="claude-x"), role=role, plan=PLAN, env={})
    assert explicit.model == "claude-x"


def test_request_settings_per_role() -> None:
    assert set(ROLE_DEFAULTS) == set(Role)
    execute = request_settings(Role.EXECUTE, PLAN)
    assert (execute.model, execute.max_tokens) == ("claude-plan-model", 777)
    assert request_settings(Role.EXECUTE, PLAN, max_tokens=2000).max_tokens == 2000
    review = request_settings(Role.REVIEW, PLAN)
    assert review.model == "claude-sonnet-5-5" and review.max_tokens == ROLE_DEFAULTS[Role.REVIEW].max_tokens


def test_the_base_url_comes_from_a_choice_then_the_environment() -> None:
    env = {"ANTHROPIC_BASE_URL": " http://127.0.0.1:9/ "}
    assert resolve_provider_config(env=env).base_url == "http://127.0.0.1:9/"
    assert resolve_provider_config(env={"ANTHROPIC_BASE_URL": "  "}).base_url is None
    chosen = resolve_provider_config(ProviderChoice(base_url="http://local:1"), env=env)
    assert chosen.base_url == "http://local:1"


def test_the_key_comes_from_its_variable_then_the_stored_key() -> None:
    source = KeySource(env_var="ANTHROPIC_API_KEY", keyring=True)
    assert read_key(source, {"ANTHROPIC_API_KEY": f" {CANARY} "}, no_stored_key) == CANARY
    stored = read_key(source, {}, lambda: KeyLookup(CANARY, "keyring"))
    assert stored == CANARY


def test_a_missing_key_is_one_line_that_says_where_to_put_one() -> None:
    with pytest.raises(KeyMissingError) as info:
        read_key(KeySource(env_var="ANTHROPIC_API_KEY", keyring=True), {}, no_stored_key)
    assert "ANTHROPIC_API_KEY" in info.value.message and "no system keyring" in info.value.message
    with pytest.raises(KeyMissingError) as info:
        read_key(KeySource(env_var="LOCAL_KEY"), {}, no_stored_key)
    assert info.value.message == "no API key: set LOCAL_KEY in the environment"


def test_a_source_that_names_no_place_needs_no_key() -> None:
    def never() -> KeyLookup:
        raise AssertionError("the keyring was asked for a key nobody needs")

    assert read_key(KeySource(), {}, never) is None


def test_make_provider_gives_the_key_and_never_shows_or_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    config = resolve_provider_config(env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"})
    with caplog.at_level(logging.DEBUG):
        provider = make_provider(config, env={"ANTHROPIC_API_KEY": CANARY}, lookup=no_stored_key)
    assert isinstance(provider, AnthropicProvider) and isinstance(provider, Provider)
    assert "http://127.0.0.1:9" in repr(provider)
    assert "ANTHROPIC_API_KEY or the keyring" in caplog.text
    for text in (repr(provider), str(provider), repr(config), config.describe(), caplog.text):
        assert CANARY not in text


def test_the_warm_up_list_is_the_providers_own() -> None:
    assert preload_modules(ProviderKind.ANTHROPIC) == AnthropicProvider.PRELOAD_MODULES
    assert preload_modules()[0] == "anthropic"
