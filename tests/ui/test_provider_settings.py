"""The Settings dialog's provider part: the model lists from the model table or the local server
(over real HTTP to the chat-completions stand-in), one line when no server answers, a bad URL refused."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.models import model_table
from app.settings import Settings, load_settings
from app.ui.provider_box import LEGACY_MARK, PLANS_CHOICE
from app.ui.settings_dialog import SettingsDialog
from tests.fakes.chat_completions import DEFAULT_MODELS, MODELS_PATH, FakeChatCompletionsAPI

NO_SERVER = "http://127.0.0.1:9/v1"  # the discard port: nothing listens there


def make_dialog(qtbot: Any, settings: Settings | None = None) -> SettingsDialog:
    dialog = SettingsDialog(settings or Settings(), check_now=False)
    qtbot.addWidget(dialog)
    return dialog


def items(combo: Any) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def choose_provider(dialog: SettingsDialog, kind: str) -> None:
    box = dialog.provider_box
    box.provider_combo.setCurrentIndex(box.provider_combo.findData(kind))


def test_anthropic_offers_the_current_models_then_the_legacy_ones_marked(qtbot: Any) -> None:
    dialog = make_dialog(qtbot)
    table = model_table()
    current, legacy = [m.id for m in table.current()], [m.id for m in table.legacy()]
    expected = [PLANS_CHOICE, *current, *(m + LEGACY_MARK for m in legacy)]
    for combo in dialog.provider_box.combos:
        assert items(combo) == expected
    dialog.model_combo.setCurrentIndex(expected.index(legacy[0] + LEGACY_MARK))
    dialog.provider_box.review_combo.setCurrentText(current[1])
    dialog.accept()
    assert (dialog.saved.model, dialog.saved.review_model, dialog.saved.draft_model) == (legacy[0], current[1], None)
    assert load_settings().model == legacy[0]


def test_a_local_provider_lists_the_servers_models_and_saves_its_url(
    qtbot: Any, chat_api: FakeChatCompletionsAPI
) -> None:
    dialog = make_dialog(qtbot, Settings(model="claude-haiku-4-5"))
    box = dialog.provider_box
    box.base_url_edit.setText(chat_api.v1_url)
    with qtbot.waitSignal(box.models_listed, timeout=10000):
        choose_provider(dialog, "openai-compatible")
    assert items(dialog.model_combo) == [PLANS_CHOICE, *DEFAULT_MODELS]
    assert box.list_problem == "" and f"{len(DEFAULT_MODELS)} models at {chat_api.v1_url}" in box.list_label.text()
    assert [r.path for r in chat_api.records] == [MODELS_PATH]
    assert dialog.model_combo.currentText() == PLANS_CHOICE  # a Claude model is not the server's
    dialog.model_combo.setCurrentText(DEFAULT_MODELS[1])
    dialog.accept()
    saved = load_settings()
    assert (saved.provider, saved.base_url, saved.model) == ("openai-compatible", chat_api.v1_url, DEFAULT_MODELS[1])


def test_no_server_is_one_line_and_the_model_can_still_be_typed(qtbot: Any) -> None:
    dialog = make_dialog(qtbot, Settings(provider="openai-compatible", base_url=NO_SERVER, model="phi4"))
    box = dialog.provider_box
    qtbot.waitUntil(lambda: bool(box.list_problem), timeout=15000)
    assert "no server at" in box.list_problem and "\n" not in box.list_label.text()
    assert items(dialog.model_combo) == [PLANS_CHOICE] and dialog.model_combo.currentText() == "phi4"
    dialog.accept()
    assert load_settings().model == "phi4"


@pytest.mark.parametrize("url", ["localhost:11434", "ftp://gpu-box/v1"])
def test_a_base_url_that_is_no_url_is_refused_in_one_line(qtbot: Any, url: str) -> None:
    dialog = make_dialog(qtbot)
    dialog.show()
    dialog.provider_box.base_url_edit.setText(url)
    dialog.accept()
    assert dialog.isVisible() and dialog.saved is None
    assert dialog.error.startswith("the base URL must be an http:// or https:// URL")
    assert not load_settings().base_url
