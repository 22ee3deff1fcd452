"""Re-stamp the example cards' request hashes after the prompt or the example plan changed.

Run ``python -m tests.helpers.rehash_example``; only ``request_sha256`` changes in each card.
"""

from __future__ import annotations

from dataclasses import replace

from app.core.card import serialize_card
from app.core.fsutil import atomic_write
from app.core.plan import load_plan
from app.core.prompt import build_request
from app.core.store import CardStore
from app.paths import example_plan


def main() -> None:
    plan = load_plan(example_plan())
    snapshot = CardStore(example_plan()).load(plan)
    for component in plan.components:
        card = snapshot.card(component)
        if card is None:
            continue
        meta = replace(card.meta, request_sha256=build_request(plan, component).sha256())
        if meta != card.meta:
            atomic_write(card.path, serialize_card(meta, card.body))
            print(f"re-hashed {card.path.name}")


if __name__ == "__main__":
    main()
