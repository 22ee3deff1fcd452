"""The review in the window's own pieces: outline badges and filters, the verdict above the card in the
preview (escaped like all model text), the notes in the Card tab with line jumps, the panel's bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette, QTextCursor

from app.core.card import body_sha256
from app.core.contract import CardContract
from app.core.review import CardReview, ReviewNote, ReviewStatus, Verdict
from app.core.review_store import store_review
from app.core.states import CardState
from app.core.store import CardStore, StoredCard
from app.engine import events as ev
from app.engine.progress import RunProgress
from app.engine.provider import StopReason
from app.engine.review_events import ReviewEvent, ReviewSaved
from app.ui.card_editor import CardContext, CardEditor
from app.ui.generation_panel import GenerationPanel
from app.ui.outline import REVIEW_COLUMN, OutlineRow, OutlineView, review_colour
from app.ui.preview_markup import PreviewCard, article_inner_html, review_html
from app.ui.progress_rows import bar_colour
from tests.fakes.cards import good_card
from tests.helpers.card_files import one_card_store, put_card

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support (raise|propagateSizeHints)\(\)")

NAME = "User Model"
BODY = good_card(NAME, "typescript")
HOSTILE = '<script>alert(1)</script><img src=x onerror="fetch(1)">'


def a_review(body: str, verdict: Verdict = Verdict.REVISE, message: str = "the call needs an await") -> CardReview:
    return CardReview("claude-sonnet-5-5", verdict, body_sha256(body),
                      notes=(ReviewNote("error", message, 7), ReviewNote("warning", "rename it")),
                      summary="Close, one problem.", reviewed_at="2026-12-03T12:00:00Z")


def test_outline_badges_and_review_filters(qtbot: Any) -> None:
    view = OutlineView()
    qtbot.addWidget(view)
    view.set_components([
        OutlineRow("a", "A", 3, CardState.DONE, ReviewStatus.PASS),
        OutlineRow("b", "B", 5, CardState.DONE, ReviewStatus.REVISE),
        OutlineRow("c", "C", 7, CardState.EDITED, ReviewStatus.STALE),
        OutlineRow("d", "D", 9, CardState.MISSING),
        OutlineRow("e", "E", 11, CardState.LOCKED, ReviewStatus.FAIL),
    ])
    assert [view._items[k].text(REVIEW_COLUMN) for k in "abcde"] == ["pass", "revise", "stale", "", "fail"]
    expected = {"pass": ["a"], "revise": ["b"], "fail": ["e"], "not reviewed": ["d"], "stale": ["c"]}
    for label, keys in expected.items():
        view.set_filter(f"Review: {label}")
        assert view.visible_keys() == keys, label
    view.set_filter("Review: revise")
    view.set_review("d", ReviewStatus.REVISE)  # reviewed while the filter is on
    assert view.visible_keys() == ["b", "d"] and view.review_of("d") is ReviewStatus.REVISE
    view.set_filter("Done")
    assert view.visible_keys() == ["a", "b"]
    assert review_colour(ReviewStatus.PASS) != review_colour(ReviewStatus.FAIL)


def test_the_preview_shows_the_verdict_above_the_card_with_every_model_text_escaped() -> None:
    review = a_review(BODY, message=HOSTILE)
    review = CardReview(review.model, review.verdict, review.body_sha256, review.notes, summary=HOSTILE)
    card = PreviewCard("user model", NAME, BODY, "done", (), review)
    markup = article_inner_html(card, "<p>body</p>")
    assert markup.index('class="review revise"') < markup.index("<p>body</p>")
    assert "review: revise" in markup and "line 7: " in markup
    assert "<script>" not in markup and "<img" not in markup and "&lt;script&gt;" in markup
    stale = PreviewCard("user model", NAME, BODY + "\nEdited.\n", "edited", (), review)
    assert stale.review_status is ReviewStatus.STALE
    assert "review: stale" in review_html(stale) and "line 7" not in review_html(stale)
    assert review_html(PreviewCard("user model", NAME, BODY, "done")) == ""


@pytest.fixture
def reviewed(tmp_path: Path) -> tuple[CardStore, StoredCard]:
    store = one_card_store(tmp_path, NAME)
    card = put_card(store, NAME, "user-model", BODY)
    return store, store_review(store, card, a_review(BODY))


def test_the_card_tab_lists_the_notes_and_a_click_moves_the_cursor_to_its_line(
    qtbot: Any, reviewed: tuple[CardStore, StoredCard]
) -> None:
    store, card = reviewed
    editor = CardEditor()
    qtbot.addWidget(editor)
    editor.show()
    editor.show_card(CardContext("user model", NAME, CardContract(NAME, "typescript"), CardState.DONE,
                                 card, store, CardState.DONE))
    rows = [editor.review_list.item(i).text() for i in range(editor.review_list.count())]
    assert rows == ["revise · claude-sonnet-5-5", "Close, one problem.",
                    "error: line 7: the call needs an await", "warning: rename it"]
    item = editor.review_list.item(2)
    where = editor.review_list.visualItemRect(item).center()
    qtbot.mouseClick(editor.review_list.viewport(), Qt.MouseButton.LeftButton, pos=where)
    assert editor.text.textCursor().blockNumber() == 6  # line 7, 0-based
    assert editor.preview_card() is not None and editor.preview_card().review == card.meta.review

    editor.text.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(editor.text, "More text.")
    editor.findings  # the debounced re-lint runs now
    assert editor.review_list.item(0).text().startswith("stale: the card changed since")
    assert editor.preview_card().review_status is ReviewStatus.STALE


def test_the_panel_bar_takes_the_verdicts_colour(qtbot: Any) -> None:
    panel = GenerationPanel()
    qtbot.addWidget(panel)
    progress = RunProgress()
    progress.apply(ev.Queued(NAME))
    progress.apply(ev.Done(NAME, BODY, StopReason.END, 10, 10, "m", 0.0, 1.0, 1))
    progress.apply(ReviewEvent(ev.Queued(NAME)))
    panel.update_card(progress.cards[NAME])
    assert panel.state_of(NAME) is CardState.REVIEWING and panel.label_of(NAME) == "review queued"
    progress.apply(ReviewSaved(NAME, None, a_review(BODY, Verdict.FAIL)))  # type: ignore[arg-type]
    panel.update_card(progress.cards[NAME])
    assert panel.state_of(NAME) is CardState.DONE and panel.label_of(NAME).endswith("· fail (2 notes)")
    palette = QPalette()
    fail = bar_colour(CardState.DONE, palette, ReviewStatus.FAIL)
    assert fail.hue() == 0 and fail != bar_colour(CardState.DONE, palette, ReviewStatus.PASS)
    assert bar_colour(CardState.DONE, palette) == bar_colour(CardState.DONE, palette, ReviewStatus.PASS)
    assert panel.model.row(NAME).review is ReviewStatus.FAIL
