"""One card state for every view and rule: what the card folder says, and what a run is doing.

The outline and its filters, the generation panel, the preview, the Card tab, the run controller,
``generate`` and ``estimate`` all read a card's state through this enum and its predicates; no
other module spells a state as a string. The send rule lives here too, so that the command line,
the estimate and the window's Regenerate cannot disagree about which cards a run sends.
"""

from __future__ import annotations

from enum import Enum


class CardState(str, Enum):
    """A card's state. ``str`` so that a state prints, sorts and serializes as its word."""

    # What the card folder says (``app.core.store.card_state``).
    MISSING = "missing"
    DONE = "done"
    STALE = "stale"  # the component's request changed since the card was generated
    EDITED = "edited"  # the body no longer matches body_sha256
    LOCKED = "locked"  # approved by the writer; never regenerated

    # What a run is doing with the card (``app.engine.progress``).
    QUEUED = "queued"
    THINKING = "thinking"  # the model is thinking before its first text
    STREAMING = "streaming"
    RETRYING = "retrying"
    REPAIRING = "repairing"  # a follow-up asks the model to fix lint errors
    REVIEWING = "reviewing"  # a reviewer model is reading the card
    FAILED = "failed"
    CANCELLED = "cancelled"
    NOT_RUN = "not run"  # the run stopped (bad key, unreachable host) before sending it
    IN_BATCH = "in batch"  # sent in a Message Batch whose result has not come back yet

    def __str__(self) -> str:
        return self.value

    @property
    def busy(self) -> bool:
        """A run may still read or write this card: the Card tab keeps it read-only."""
        return self in _BUSY

    @property
    def waiting(self) -> bool:
        """A run will show text for this card but may have none yet ("Waiting…" in the preview)."""
        return self in _BUSY

    @property
    def terminal(self) -> bool:
        """A run is finished with this card (it may still be written once, if done)."""
        return self in _TERMINAL

    @property
    def run_state(self) -> bool:
        """A word only a run produces (the card folder never says it)."""
        return self not in _STORED

    @property
    def usable(self) -> bool:
        """A card exists on disk and can be read, exported and shown full in the panel."""
        return self in _USABLE

    @property
    def sendable(self) -> bool:
        """A run sends this card without ``--force``: the send rule's default half."""
        return self in _SENDABLE

    @property
    def editable(self) -> bool:
        """The writer may edit the card's text now."""
        return not self.busy


_STORED = frozenset({CardState.MISSING, CardState.DONE, CardState.STALE, CardState.EDITED, CardState.LOCKED})
_BUSY = frozenset({
    CardState.QUEUED, CardState.THINKING, CardState.STREAMING, CardState.RETRYING,
    CardState.REPAIRING, CardState.REVIEWING,
})
_TERMINAL = frozenset({CardState.DONE, CardState.FAILED, CardState.CANCELLED, CardState.NOT_RUN})
_USABLE = frozenset({CardState.DONE, CardState.EDITED, CardState.LOCKED})
# A failed, cancelled or not-run card has nothing new on disk: it is missing or stale there, and
# a run sends it again.
_SENDABLE = frozenset({
    CardState.MISSING, CardState.STALE, CardState.FAILED, CardState.CANCELLED, CardState.NOT_RUN,
})


def should_send(state: CardState, *, force: bool = False) -> bool:
    """The send rule: missing, failed and stale cards are sent; edited ones only when forced;
    locked ones never (not even forced: approval is the writer's word), nor cards in a pending
    batch (their answer is paid for and on its way)."""
    if state in (CardState.LOCKED, CardState.IN_BATCH):
        return False
    return force or state.sendable


def parse_state(word: str) -> CardState:
    """The state a word names (a card file or a JSON report); ValueError for an unknown word."""
    return CardState(word)
