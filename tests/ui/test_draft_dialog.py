"""The "New plan from a brief…" dialog alone, against the local stand-in over real HTTP: the estimate,
the draft streamed out as a growing plan, Cancel keeping what arrived, and errors shown in place."""

from __future__ import annotations

from typing import Any

import pytest

from app.core.plan import parse_plan
from app.engine.provider_config import ProviderConfig
from app.engine.providers.anthropic import AnthropicProvider
from app.ui.draft_dialog import DraftDialog
from tests.fakes.messages_api import FakeMessagesAPI

pytestmark = pytest.mark.gui

BRIEF = "# Auth service examples\nFor backend developers; argon2id and opaque tokens are decided."


class Recorder:
    """Everything the dialog told the window, in order."""

    def __init__(self, dialog: DraftDialog) -> None:
        self.events: list[str] = []
        self.texts: list[str] = []
        self.finished: list[Any] = []
        dialog.draft_started.connect(lambda: self.events.append("started"))
        dialog.draft_text.connect(self._text)
        dialog.draft_finished.connect(self._finished)

    def _text(self, text: str) -> None:
        self.events.append("text")
        self.texts.append(text)

    def _finished(self, result: Any) -> None:
        self.events.append("finished")
        self.finished.append(result)


def make_dialog(qtbot: Any, api: FakeMessagesAPI, **kwargs: Any) -> tuple[DraftDialog, Recorder]:
    seen: list[ProviderConfig] = []

    def factory(config: ProviderConfig) -> AnthropicProvider:
        seen.append(config)
        return AnthropicProvider(api_key="sk-test", base_url=api.base_url)

    dialog = DraftDialog(provider_factory=factory, **kwargs)
    qtbot.addWidget(dialog)
    dialog.brief.setPlainText(BRIEF)
    dialog.configs = seen  # type: ignore[attr-defined]
    return dialog, Recorder(dialog)


def component_count(text: str) -> int:
    return len(parse_plan(text).components) if text else 0


def test_the_draft_streams_out_as_a_growing_plan(qtbot: Any, api: FakeMessagesAPI) -> None:
    api.tokens_per_s = 400.0  # about a second of streaming: several throttled updates
    dialog, seen = make_dialog(qtbot, api)
    assert dialog.start()
    qtbot.waitUntil(lambda: bool(seen.finished), timeout=20_000)
    (result,) = seen.finished
    assert result.usable and seen.events[0] == "started" and seen.events[-1] == "finished"
    counts = [component_count(t) for t in seen.texts]
    assert len(seen.texts) >= 3 and counts == sorted(counts) and counts[0] < counts[-1] == 5
    assert seen.texts[-1] == result.text and parse_plan(result.text).ok
    assert [r.model for r in api.records] == ["claude-opus-5-5"]
    assert dialog.configs[0].model == "claude-opus-5-5"  # type: ignore[attr-defined]
    assert not dialog.isVisible() and dialog.outcome is result


def test_cancel_keeps_what_arrived(qtbot: Any, api: FakeMessagesAPI) -> None:
    api.tokens_per_s = 40.0  # slow enough to cancel halfway
    dialog, seen = make_dialog(qtbot, api, default_model="claude-opus-4-1")  # plan Markdown
    assert dialog.start() and not dialog.brief.isEnabled()
    qtbot.waitUntil(lambda: any("## " in t for t in seen.texts), timeout=20_000)
    qtbot.mouseClick(dialog.cancel_button, qtbot_button())
    qtbot.waitUntil(lambda: bool(seen.finished), timeout=10_000)
    (result,) = seen.finished
    assert result.cancelled and not result.usable
    assert seen.events[-1] == "finished" and seen.texts[-1].startswith("---\ntitle: Auth service examples")
    assert component_count(seen.texts[-1]) < 5
    assert "Cancelled" in dialog.status.text() and dialog.brief.isEnabled()


def test_the_estimate_follows_the_model(qtbot: Any, api: FakeMessagesAPI) -> None:
    dialog, _seen = make_dialog(qtbot, api)
    dialog.update_estimate()
    assert "claude-opus-5-5's prices" in dialog.estimate.text() and "JSON schema" in dialog.estimate.text()
    assert "$" in dialog.estimate.text()
    dialog.model.setCurrentText("claude-opus-4-1")
    qtbot.waitUntil(lambda: "claude-opus-4-1's prices" in dialog.estimate.text(), timeout=2000)
    assert "plan Markdown" in dialog.estimate.text()
    assert dialog.model.itemText(0) == "claude-opus-5-5"


def test_a_twice_broken_draft_stays_in_the_dialog_with_its_errors(qtbot: Any, api: FakeMessagesAPI) -> None:
    api.drafts.mode = "broken"
    dialog, seen = make_dialog(qtbot, api, default_model="claude-opus-4-1")
    dialog.show()
    assert dialog.start()
    qtbot.waitUntil(lambda: bool(seen.finished), timeout=20_000)
    (result,) = seen.finished
    assert result.errors and not result.usable and len(api.records) == 2
    assert "never closed" in dialog.status.text() and dialog.isVisible()
    assert "```typescript" in seen.texts[-1]  # what arrived is the window's, unsaved


def test_without_a_key_nothing_starts_and_the_reason_is_shown(qtbot: Any) -> None:
    dialog = DraftDialog()  # the engine's own factory: no key in the environment or the keyring
    qtbot.addWidget(dialog)
    dialog.brief.setPlainText(BRIEF)
    started: list[bool] = []
    dialog.draft_started.connect(lambda: started.append(True))
    assert not dialog.start()
    assert "no API key" in dialog.status.text() and not started and dialog.brief.isEnabled()


def test_an_empty_brief_is_asked_for(qtbot: Any, api: FakeMessagesAPI) -> None:
    dialog, seen = make_dialog(qtbot, api)
    dialog.brief.setPlainText("   ")
    assert not dialog.start() and "Write a brief first" in dialog.status.text()
    assert not seen.events and not api.records


def qtbot_button() -> Any:
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
