"""The window's views follow the session: plan issues in the editor and the issue list, one row per
component in the outline (state and review), the generation panel's idle rows, the preview, and
the Card tab; the plan editor's cursor selects its component."""

from __future__ import annotations

import bisect

from PySide6.QtCore import QObject

from app.core.states import CardState
from app.ui.card_actions import CardActions
from app.ui.editor import IssueList, PlanEditor
from app.ui.generation_panel import GenerationPanel
from app.ui.outline import OutlineRow, OutlineView
from app.ui.preview import PreviewView
from app.ui.run_controller import RunController
from app.ui.session import Session


class SessionViews(QObject):
    """Redraws the views from what the session says (its signals); holds no state of its own but
    the components' heading lines, for following the cursor."""

    def __init__(self, session: Session, controller: RunController, *, editor: PlanEditor,
                 issue_list: IssueList, outline: OutlineView, panel: GenerationPanel,
                 preview: PreviewView, cards: CardActions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session, self._controller = session, controller
        self._editor, self._issue_list, self._outline = editor, issue_list, outline
        self._panel, self._preview, self._cards = panel, preview, cards
        self._line_starts: list[int] = []
        session.plan_changed.connect(self.show_plan)
        session.cards_changed.connect(self.show_cards)
        session.card_changed.connect(self.show_card)
        controller.card_text.connect(self._on_card_text)
        editor.cursorPositionChanged.connect(self._follow_cursor)

    def forget_lines(self) -> None:
        """The cursor jumps while the text is replaced: that is no selection."""
        self._line_starts = []

    def show_plan(self) -> None:
        plan = self._session.plan
        self._editor.set_issues(plan.issues)
        self._issue_list.set_issues(plan.issues)
        self._line_starts = [c.line for c in plan.components]

    def show_cards(self) -> None:
        session = self._session
        components, states = session.plan.components, session.states
        self._outline.set_components(
            [OutlineRow(c.key, c.name, c.line, states[c.key], session.review_status(c.key)) for c in components])
        if not self._controller.running:
            self._refresh_panel(states)
        self._preview.set_cards([session.preview_card(c.key) for c in components])
        self._cards.refresh()  # after the preview: a pending edit is shown over the stored card

    def _refresh_panel(self, states: dict[str, CardState]) -> None:
        """Idle rows show the card's state; a card the last run finished keeps its run details
        (tokens, time, failure reason) for as long as that is still what it is."""
        components = self._session.plan.components
        if self._panel.names() != [c.name for c in components]:
            self._panel.set_components([(c.name, states[c.key]) for c in components])
            return
        for component in components:
            state = states[component.key]
            last_run = self._controller.progress.cards.get(component.name)
            if last_run is not None and last_run.state == state:
                self._panel.update_card(last_run)
            elif self._panel.state_of(component.name) != state:
                self._panel.set_state(component.name, state)

    def show_card(self, key: str) -> None:
        state = self._session.state(key)
        self._outline.set_state(key, state)
        self._outline.set_review(key, self._session.review_status(key))
        component = self._session.component(key)
        if component is not None and not self._controller.running:
            self._panel.set_state(component.name, state)
        # A busy card's live text comes with card_text; a thinking one has none yet, so its new
        # state is shown here (else the preview would keep saying "streaming" through a retry).
        if not state.busy or state is CardState.THINKING:
            self._preview.update_card(self._session.preview_card(key))
        self._cards.follow(key)

    def _on_card_text(self, name: str, text: str) -> None:
        key = name.casefold()
        if self._session.state(key).busy:  # else the saved card (or the failure) is shown already
            self._preview.update_card(self._session.preview_card(key, body=text))

    def _follow_cursor(self) -> None:
        if not self._line_starts:
            return
        index = bisect.bisect_right(self._line_starts, self._editor.current_line()) - 1
        components = self._session.plan.components
        if 0 <= index < len(components):
            self._outline.select(components[index].key)
            self._cards.show(components[index].key)
