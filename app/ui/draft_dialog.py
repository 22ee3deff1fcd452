"""The "New plan from a brief…" dialog: a brief, the drafting model and the code language, the
estimate before sending, then the draft streamed out as plan Markdown for a new unsaved buffer.

The dialog writes no file. It is not modal, so the editor behind it shows the plan growing; the
window listens to its signals and owns the buffer (nothing on disk changes until the writer saves).

Signals:
    draft_started(): a draft was sent: the window opens a new, empty, unsaved buffer.
    draft_text(str): the whole plan as it stands (throttled): the window puts it in that buffer.
    draft_finished(DraftResult): the end, exactly once per draft: done (the dialog closes),
        cancelled (what arrived stays in the buffer), failed or still broken (the dialog stays open
        with the reason; what arrived stays in the buffer).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.contract import LANGUAGE_ALIASES
from app.core.draft_live import LiveDraft
from app.core.draft_prompt import estimate_draft
from app.core.models import model_table
from app.core.pricing import format_cost
from app.engine import events as ev
from app.engine.draft import DraftResult, DraftSpec, Drafting, progress_text
from app.engine.progress import RunProgress
from app.engine.provider import Provider
from app.engine.provider_config import ProviderChoice, ProviderConfig, make_provider, resolve_provider_config
from app.engine.roles import ROLE_DEFAULTS, Role
from app.errors import CardsmithError
from app.ui.qtapp import event_loop
from app.ui.throttle import Throttle

log = logging.getLogger(__name__)

TEXT_INTERVAL_MS = 100
ESTIMATE_DELAY_MS = 250
LANGUAGE_FROM_BRIEF = "from the brief"


def model_choices(default: str) -> list[str]:
    """``default`` first, then the current models that suit drafting, the other current ones and
    the legacy ones."""
    table = model_table()
    ordered = sorted(table.current(), key=lambda m: m.role != Role.DRAFT.value) + list(table.legacy())
    return [default] + [m.id for m in ordered if m.id != default]


class DraftDialog(QDialog):
    """Draft a plan from a brief. ``provider_factory(config)`` makes the provider (the engine's
    ``make_provider`` by default: it reads the key, and raises a one-line error without one);
    ``choice`` is what the window's Settings say about the API (its kind and base URL)."""

    draft_started = Signal()
    draft_text = Signal(str)
    draft_finished = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        default_model: str | None = None,
        provider_factory: Callable[[ProviderConfig], Provider] = make_provider,
        choice: ProviderChoice | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New plan from a brief")
        self._provider_factory = provider_factory
        self._choice = choice
        self._drafting: Drafting | None = None
        self._task: asyncio.Task[None] | None = None
        self._live: LiveDraft | None = None
        self._fresh = False
        self._progress = RunProgress()
        self.outcome: DraftResult | None = None
        """The last draft's result (None before one ends)."""

        self.brief = QPlainTextEdit()
        self.brief.setPlaceholderText("What the guide is about, for whom, and anything already decided…")
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItems(model_choices(default_model or ROLE_DEFAULTS[Role.DRAFT].model))
        self.language = QComboBox()
        self.language.setEditable(True)
        self.language.addItems(["", *sorted(LANGUAGE_ALIASES)])
        self.language.lineEdit().setPlaceholderText(LANGUAGE_FROM_BRIEF)
        self.estimate = QLabel()
        self.estimate.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.draft_button = QPushButton("Draft")
        self.draft_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.buttons.addButton(self.draft_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)

        form = QFormLayout()
        form.addRow("Brief", self.brief)
        form.addRow("Drafting model", self.model)
        form.addRow("Code language", self.language)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.estimate)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 460)

        self._estimate_timer = QTimer(self, singleShot=True, interval=ESTIMATE_DELAY_MS)
        self._estimate_timer.timeout.connect(self.update_estimate)
        self._text_throttle = Throttle(self._emit_text, TEXT_INTERVAL_MS, self)
        self.brief.textChanged.connect(self._estimate_timer.start)
        self.model.currentTextChanged.connect(self._estimate_timer.start)
        self.language.currentTextChanged.connect(self._estimate_timer.start)
        self.draft_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.update_estimate()

    # -- choices --------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def spec(self) -> DraftSpec:
        language = self.language.currentText().strip() or None
        model = self.model.currentText().strip() or ROLE_DEFAULTS[Role.DRAFT].model
        return DraftSpec(self.brief.toPlainText(), model=model, language=language)

    def update_estimate(self) -> None:
        spec = self.spec()
        estimate = estimate_draft(spec.request())
        form = "JSON schema" if estimate.structured else "plan Markdown"
        self.estimate.setText(
            f"Estimate: ~{estimate.input_tokens:,} input and ~{estimate.typical_output:,} output tokens"
            f" (thinking included; at most {estimate.max_output:,}): ~{format_cost(estimate.typical_cost)},"
            f" at most {format_cost(estimate.max_cost)} at {spec.model}'s prices; answered as {form}."
        )

    # -- the draft --------------------------------------------------------------------------------

    def start(self) -> bool:
        """Send the draft; False (with the reason shown) when it cannot start."""
        if self.running:
            return False
        spec = self.spec()
        if not spec.brief.strip():
            self.status.setText("Write a brief first: what the guide is about, for whom, and what is decided.")
            return False
        try:
            config = resolve_provider_config(ProviderChoice(model=spec.model), role=Role.DRAFT, settings=self._choice)
            provider = self._provider_factory(config)
        except CardsmithError as exc:
            self.status.setText(exc.message)
            return False
        self._live = LiveDraft(structured=spec.structured, model=spec.execution_model, language=spec.language,
                               fallback_title=spec.fallback_title)
        self._progress = RunProgress()
        self._drafting = Drafting(spec, provider, self._on_event)
        self._set_running(True)
        self.status.setText(f"Sending the brief to {spec.model}…")
        self.draft_started.emit()
        self._task = event_loop().create_task(self._run(self._drafting, provider), name="cardsmith draft")
        return True

    def cancel(self) -> None:
        """Stop a draft (what arrived stays with the window), or close the dialog when idle."""
        if self.running and self._drafting is not None:
            self._drafting.cancel()
        elif not self.running:
            self.reject()

    async def wait(self) -> None:
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait([task])

    async def _run(self, drafting: Drafting, provider: Provider) -> None:
        try:
            result = await drafting.run()
        except Exception as exc:  # a bug must not leave the dialog waiting forever
            log.exception("the draft failed unexpectedly")
            result = DraftResult(failure=f"internal error: {type(exc).__name__}: {exc}")
        finally:
            try:
                await provider.aclose()
            except Exception:
                log.warning("closing the provider failed", exc_info=True)
        self._finish(result)

    def _on_event(self, event: object) -> None:
        card = self._progress.apply(event)
        if isinstance(event, ev.Started):
            self._fresh = True
        elif isinstance(event, ev.Delta) and self._live is not None:
            if self._fresh:
                self._live.restart()
                self._fresh = False
            self._live.feed(event.text)
            self._text_throttle()
        if isinstance(event, ev.Repairing):
            errors = len(event.findings)
            self.status.setText(f"The draft has {errors} plan error(s): asking the model to fix them…")
        elif card is not None and not card.finished:
            self.status.setText(f"Drafting: {progress_text(card)}")

    def _emit_text(self) -> None:
        if self._live is not None:
            self.draft_text.emit(self._live.markdown())

    def _finish(self, result: DraftResult) -> None:
        self._text_throttle.flush()
        self.outcome = result
        self._set_running(False)
        if result.usable:
            self.draft_text.emit(result.text)
            self.status.setText(self._summary(result))
        elif result.cancelled:
            self.status.setText("Cancelled: what arrived is in the editor, unsaved.")
        elif result.failure:
            self.status.setText(f"The draft failed: {result.failure}. What arrived is in the editor, unsaved.")
        else:
            listing = "\n".join(f"• {error}" for error in result.errors)
            self.status.setText(f"The draft still has plan errors after one follow-up; what arrived is in the"
                                f" editor, unsaved:\n{listing}")
        self.draft_finished.emit(result)
        if result.usable:
            self.accept()
        elif result.cancelled:
            self.reject()

    @staticmethod
    def _summary(result: DraftResult) -> str:
        count = len(result.draft.components) if result.draft is not None else 0
        notes = "".join(f"\n• {note}" for note in result.notes)
        return (f"Drafted {count} components with {result.model}: {format_cost(result.cost_usd)},"
                f" {result.duration_s:.1f} s.{notes}")

    def _set_running(self, running: bool) -> None:
        for widget in (self.brief, self.model, self.language, self.draft_button):
            widget.setEnabled(not running)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.running and self._drafting is not None:
            self._drafting.cancel()  # the dialog closes when the draft has ended
            event.ignore()
            return
        super().closeEvent(event)
