"""The Settings dialog's provider part: which API, its server, and a model per role, the lists
filled from the model table (Anthropic) or from the model server itself (a local one).

The server is asked on the qasync loop (``server_models``: the request is async, its client made
in a thread); when nothing answers, the lists keep "(the plan's)" and one line says why. A key for
a local server comes only from ``OPENAI_API_KEY`` in the environment: nothing here asks for one.
"""

from __future__ import annotations

import logging

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from app.core.models import offered_models
from app.core.plan_settings import base_url_problem
from app.engine.provider import ProviderError
from app.engine.provider_config import (
    DEFAULT_KIND,
    ProviderChoice,
    ProviderConfig,
    ProviderKind,
    resolve_provider_config,
    server_models,
)
from app.engine.server_url import OLLAMA_BASE_URL
from app.errors import CardsmithError
from app.settings import OPENAI_KEY_VAR, Settings
from app.ui.qtapp import event_loop

log = logging.getLogger(__name__)

PLANS_CHOICE = "(the plan's)"
LEGACY_MARK = " (legacy)"
KIND_CHOICES: tuple[tuple[str | None, str], ...] = (
    (None, "Automatic (CARDSMITH_PROVIDER, else Anthropic)"),
    (ProviderKind.ANTHROPIC.value, "Anthropic (Claude)"),
    (ProviderKind.OPENAI_COMPATIBLE.value, "Local model server (OpenAI-compatible)"),
)
ERROR_STYLE = "color: #b3261e;"


def anthropic_models() -> list[str]:
    """The models the table offers: current ones, then legacy ones marked so."""
    return [label for _id, label in offered_models()]


def model_id(text: str) -> str | None:
    """The model a combo's text names; None for "(the plan's)" or nothing."""
    text = text.strip().removesuffix(LEGACY_MARK).strip()
    return None if text in ("", PLANS_CHOICE) else text


class ProviderBox(QGroupBox):
    """Provider, base URL, the execution, review and drafting models, and the review after a run.

    ``models_listed`` is emitted each time the lists were filled (``listed``: the ids offered;
    ``list_problem``: why the server gave none, "" otherwise)."""

    models_listed = Signal()

    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__("Provider and models", parent)
        self.listed: list[str] = []
        self.list_problem = ""
        self._asked = 0  # the answer of an older request (another provider, another URL) is dropped
        self.provider_combo = QComboBox(self)
        for value, label in KIND_CHOICES:
            self.provider_combo.addItem(label, value)
        self.provider_combo.setCurrentIndex(max(0, self.provider_combo.findData(settings.provider)))
        self.provider_combo.setToolTip(f"A plan's provider wins; a local server's key, if it needs one,"
                                       f" comes from {OPENAI_KEY_VAR} in the environment only")
        self.base_url_edit = QLineEdit(settings.base_url or "", self)
        self.base_url_edit.setToolTip("The provider's server; a plan's base_url wins over it")
        self.model_combo = self._model_combo(settings.model, "Writes the cards")
        self.review_combo = self._model_combo(settings.review_model, "Reviews finished cards")
        self.draft_combo = self._model_combo(settings.draft_model, "Drafts a plan from a brief")
        self.review_check = QCheckBox("Review each card as soon as a run writes it", self)
        self.review_check.setChecked(settings.review_after_run)
        self.list_label = QLabel(self)
        self.list_label.setWordWrap(True)

        form = QFormLayout(self)
        rows = (("Provider", self.provider_combo), ("Base URL", self.base_url_edit), ("Model", self.model_combo),
                ("Review model", self.review_combo), ("", self.review_check), ("Drafting model", self.draft_combo),
                ("", self.list_label))
        for label, widget in rows:
            form.addRow(label, widget)
        self.provider_combo.currentIndexChanged.connect(lambda _i: self.refresh_models(keep=False))
        self.base_url_edit.editingFinished.connect(self.refresh_models)
        self.refresh_models()

    def _model_combo(self, value: str | None, tip: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setEditable(True)
        combo.setToolTip(f"{tip}: pick a model or type any model id; (the plan's) uses the plan's")
        combo.addItem(PLANS_CHOICE)
        combo.setCurrentText(value or PLANS_CHOICE)
        return combo

    @property
    def combos(self) -> tuple[QComboBox, ...]:
        return (self.model_combo, self.review_combo, self.draft_combo)

    # -- what it says -----------------------------------------------------------------------------

    def kind(self) -> str | None:
        return self.provider_combo.currentData()

    def base_url(self) -> str | None:
        return self.base_url_edit.text().strip().rstrip("/") or None

    def problem(self) -> str | None:
        """Why the values cannot be saved (one line), or None."""
        url = self.base_url()
        problem = base_url_problem(url) if url else None
        return f"the base URL {problem}" if problem else None

    def values(self) -> dict[str, object]:
        """The Settings fields this part edits."""
        return {
            "review_after_run": self.review_check.isChecked(),
            "provider": self.kind(),
            "base_url": self.base_url(),
            "model": model_id(self.model_combo.currentText()),
            "review_model": model_id(self.review_combo.currentText()),
            "draft_model": model_id(self.draft_combo.currentText()),
        }

    def config(self) -> ProviderConfig:
        """The API these values (then the environment) choose, for listing its models."""
        kind = self.kind()
        url = None if self.problem() else self.base_url()
        choice = ProviderChoice(kind=ProviderKind(kind) if kind else None, base_url=url)
        try:
            return resolve_provider_config(settings=choice)
        except CardsmithError:  # a bad CARDSMITH_PROVIDER: list what the default offers
            return resolve_provider_config(ProviderChoice(kind=DEFAULT_KIND))

    # -- the model lists ------------------------------------------------------------------------

    def refresh_models(self, keep: bool = True) -> None:
        """Fill the lists for the chosen API; ``keep`` False (another provider): a model that
        the new list lacks goes back to "(the plan's)"."""
        self._asked += 1
        config = self.config()
        local = config.kind is ProviderKind.OPENAI_COMPATIBLE
        self.base_url_edit.setPlaceholderText(OLLAMA_BASE_URL if local else "https://api.anthropic.com")
        if not local:
            self._fill(anthropic_models(), keep, "Current models first; legacy ones are marked.")
            return
        self._say(f"Asking {config.base_url} for its models…")
        event_loop().create_task(self._list(config, keep, self._asked), name="cardsmith models")

    async def _list(self, config: ProviderConfig, keep: bool, asked: int) -> None:
        ids: list[str] = []
        problem = ""
        try:
            ids = await server_models(config) or []
        except (ProviderError, CardsmithError) as exc:
            problem = exc.message
        except Exception as exc:  # noqa: BLE001 - the dialog stays usable; the model can be typed
            log.warning("listing the server's models failed", exc_info=True)
            problem = f"could not list the models: {type(exc).__name__}"
        if asked != self._asked or not shiboken6.isValid(self):
            return
        if problem:
            self._fill([], keep, problem[:1].upper() + problem[1:] + ".", problem=problem)
            return
        self._fill(ids, keep, f"{len(ids)} models at {config.base_url}.")

    def _fill(self, ids: list[str], keep: bool, line: str, *, problem: str = "") -> None:
        offered = {model_id(i) for i in ids}
        for combo in self.combos:
            text = combo.currentText()
            combo.clear()
            combo.addItems([PLANS_CHOICE, *ids])
            combo.setCurrentText(text if keep or model_id(text) in offered else PLANS_CHOICE)
        self.listed, self.list_problem = ids, problem
        self._say(line, error=bool(problem))
        self.models_listed.emit()

    def _say(self, line: str, *, error: bool = False) -> None:
        self.list_label.setText(line)
        self.list_label.setStyleSheet(ERROR_STYLE if error else "")
