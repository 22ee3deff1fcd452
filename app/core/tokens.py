"""The offline token count: characters per token, scaled by the model's tokenizer (models.json)."""

from __future__ import annotations

import math

CHARS_PER_TOKEN = 3.5
"""English prose and code average 3.5-4 characters per token; erring low over-estimates cost."""


def approx_tokens(text: str, tokenizer_ratio: float = 1.0) -> int:
    """Offline count, scaled for a model whose tokenizer counts more (models.json)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN * tokenizer_ratio)
