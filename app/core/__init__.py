"""Qt-free core: plans, cards and lint, prompts, rendering, the card store, export and prices."""
