"""Reviews in the window, against the local stand-in over real HTTP: Run → Review all (cards read
"reviewing", then carry their verdict in the outline, the panel and the preview), Card → Fix with
notes, and the review of each card as a run writes it (Settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.core.review import ReviewStatus
from app.core.states import CardState
from app.settings import Settings, save_settings
from tests.fakes.review_api import FIXED_MARKER, NOTE_TEXT
from tests.helpers.plans import component_names, write_plan
from tests.helpers.window import MakeWindow, StandIn, article_text, read_card

RUN_MS = 30000


def run_to_end(qtbot: Any, window: Any, start: Any) -> None:
    with qtbot.waitSignal(window.controller.run_finished, timeout=RUN_MS):
        start()
        assert window.controller.running


def generated_window(qtbot: Any, tmp_path: Path, make_window: MakeWindow, api: Any, n: int = 3) -> Any:
    window = make_window(write_plan(tmp_path, n), api)
    run_to_end(qtbot, window, window.generate_all)
    assert all(s is CardState.DONE for s in window.session.states.values())
    return window


def reviews(window: Any) -> dict[str, ReviewStatus | None]:
    return {c.name: window.outline.review_of(c.key) for c in window.session.plan.components}


def test_review_all_shows_reviewing_then_each_verdict(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in(tokens_per_s=300.0)
    api.reviews.revise("Component 02")
    window = generated_window(qtbot, tmp_path, make_window, api)
    seen: set[CardState] = set()
    window.session.card_changed.connect(lambda key: seen.add(window.session.state(key)))
    run_to_end(qtbot, window, window.reviews.act_review.trigger)

    assert CardState.REVIEWING in seen
    names = component_names(3)
    assert reviews(window) == {names[0]: ReviewStatus.PASS, names[1]: ReviewStatus.REVISE, names[2]: ReviewStatus.PASS}
    assert {r.model for r in api.reviews.records()} == {"claude-sonnet-5-5"}
    assert window.panel.label_of(names[1]).startswith("revise") and window.panel.label_of(names[0]).startswith("pass")
    assert "reviews: 2 pass, 1 revise" in window.panel.overall_text
    preview = window.session.preview_card("component 02")
    assert preview.review_status is ReviewStatus.REVISE
    qtbot.waitUntil(lambda: "review: revise" in article_text(window, qtbot, "component 02"), timeout=10000)
    assert read_card(tmp_path / "guide.md", "component-02")[0].review.verdict.value == "revise"

    # Nothing left to review: nothing is sent.
    before = len(api.reviews.records())
    assert not window.reviews.review_all() and len(api.reviews.records()) == before


def test_fix_with_notes_sends_the_card_back_and_reviews_the_fix(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in(tokens_per_s=300.0)
    api.reviews.revise("Component 01")
    window = generated_window(qtbot, tmp_path, make_window, api, 2)
    run_to_end(qtbot, window, window.reviews.review_all)
    assert window.outline.review_of("component 01") is ReviewStatus.REVISE

    window.reveal_card("component 01")  # the Card tab shows it: Fix with notes takes it
    assert window.selected_names() == ["Component 01"]
    card_requests = len(api.requests_for("Component 01"))
    run_to_end(qtbot, window, window.reviews.act_fix.trigger)

    fix_request = api.requests_for("Component 01")[card_requests]
    assert fix_request.messages == 3  # the card's request, its answer, the notes
    meta, body = read_card(tmp_path / "guide.md", "component-01")
    assert FIXED_MARKER in body and meta.review is not None and meta.review.verdict.value == "pass"
    assert window.outline.review_of("component 01") is ReviewStatus.PASS
    assert FIXED_MARKER in window.session.stored_card("component 01").body
    assert NOTE_TEXT.split("{")[0] not in body


def test_a_locked_card_is_never_fixed(qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn) -> None:
    api = stand_in(tokens_per_s=300.0)
    api.reviews.revise("Component 01")
    window = generated_window(qtbot, tmp_path, make_window, api, 1)
    run_to_end(qtbot, window, window.reviews.review_all)
    window.reveal_card("component 01")
    window.cards.act_lock.trigger()
    qtbot.waitUntil(lambda: window.session.state("component 01") is CardState.LOCKED, timeout=5000)
    sent = len(api.records)
    assert not window.reviews.fix(["Component 01"])
    assert "locked" in window.statusBar().currentMessage() and len(api.records) == sent


def test_review_after_every_run_reviews_each_card_as_it_is_written(
    qtbot: Any, tmp_path: Path, make_window: MakeWindow, stand_in: StandIn
) -> None:
    api = stand_in(tokens_per_s=300.0)
    save_settings(Settings(review_after_run=True, review_model="claude-haiku-5-5"))
    window = generated_window(qtbot, tmp_path, make_window, api)
    names = component_names(3)
    assert sorted(r.component for r in api.reviews.records()) == names
    assert {r.model for r in api.reviews.records()} == {"claude-haiku-5-5"}
    assert reviews(window) == {name: ReviewStatus.PASS for name in names}
    assert "reviews: 3 pass" in window.panel.overall_text
