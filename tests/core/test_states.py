"""One card state: its predicates and the send rule every command and view shares."""

from __future__ import annotations

import pytest

from app.core.states import CardState, parse_state, should_send

STORED = {CardState.MISSING, CardState.DONE, CardState.STALE, CardState.EDITED, CardState.LOCKED}


def test_every_state_is_stored_or_produced_by_a_run() -> None:
    assert {s for s in CardState if not s.run_state} == STORED


@pytest.mark.parametrize("state", list(CardState))
def test_a_state_reads_and_prints_as_its_word(state: CardState) -> None:
    assert parse_state(state.value) is state
    assert str(state) == state.value == f"{state}"


def test_words_no_run_produces_are_not_states() -> None:
    for word in ("waiting", "up to date", "Done"):
        with pytest.raises(ValueError):
            parse_state(word)


@pytest.mark.parametrize(
    "state",
    [CardState.QUEUED, CardState.THINKING, CardState.STREAMING, CardState.RETRYING,
     CardState.REPAIRING, CardState.REVIEWING],
)
def test_a_card_a_run_may_still_write_is_busy_and_not_editable(state: CardState) -> None:
    assert state.busy and state.waiting and not state.editable and not state.terminal


@pytest.mark.parametrize("state", sorted(STORED | {CardState.FAILED, CardState.CANCELLED, CardState.NOT_RUN}))
def test_a_card_no_run_is_writing_is_editable(state: CardState) -> None:
    assert state.editable and not state.busy


def test_terminal_and_usable_states() -> None:
    assert {s for s in CardState if s.terminal} == {
        CardState.DONE, CardState.FAILED, CardState.CANCELLED, CardState.NOT_RUN}
    assert {s for s in CardState if s.usable} == {CardState.DONE, CardState.EDITED, CardState.LOCKED}


@pytest.mark.parametrize(
    ("state", "plain", "forced"),
    [
        (CardState.MISSING, True, True),
        (CardState.STALE, True, True),
        (CardState.FAILED, True, True),
        (CardState.CANCELLED, True, True),
        (CardState.NOT_RUN, True, True),
        (CardState.DONE, False, True),
        (CardState.EDITED, False, True),
        (CardState.LOCKED, False, False),  # approval is the writer's word, even over --force
    ],
)
def test_the_send_rule(state: CardState, plain: bool, forced: bool) -> None:
    assert should_send(state) is plain
    assert should_send(state, force=True) is forced


def test_a_card_in_a_pending_batch_is_editable_and_never_sent_again() -> None:
    state = CardState.IN_BATCH
    assert state.run_state and state.editable and not (state.busy or state.terminal or state.usable)
    assert not should_send(state) and not should_send(state, force=True)
