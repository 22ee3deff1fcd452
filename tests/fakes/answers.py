"""How the stand-in answers one accepted request, beyond its scripted step: the model's thinking
by effort (counted against ``max_tokens``), the prompt cache, the usage and the rate-limit
headers. ``FakeMessagesAPI`` asks ``plan_answer`` once per request and streams what it says."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes import model_rules
from tests.fakes.prompt_cache import CacheUse, PromptCache
from tests.fakes.rate_limit_headers import RateLimitBook


@dataclass
class Answer:
    model: str
    thinking_tokens: int
    """Thinking before the text (0: none); the ``thinking`` step asks for some on any model."""
    max_tokens: int
    input_tokens: int
    """What no cache covered."""
    cache: CacheUse = field(default_factory=CacheUse)
    headers: dict[str, str] = field(default_factory=dict)

    def start_usage(self) -> dict[str, int]:
        """``message_start``'s usage (the API reports cache reads and writes apart)."""
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": 1,
            "cache_creation_input_tokens": self.cache.write,
            "cache_read_input_tokens": self.cache.read,
        }

    def count(self, text: str) -> int:
        """Tokens of ``text`` on this model's tokenizer."""
        return model_rules.count_tokens(self.model, text)

    def cut(self, text: str) -> str | None:
        """The text cut where thinking and text together reach ``max_tokens``; None if it fits.
        Only for a model that thinks: thinking tokens count toward ``max_tokens``."""
        if not self.thinking_tokens:
            return None
        room = max(0, self.max_tokens - self.thinking_tokens)
        if self.count(text) <= room:
            return None
        return text[: model_rules.chars_within(self.model, room)]

    @property
    def spent_thinking(self) -> int:
        """Thinking tokens actually spent: never more than ``max_tokens``."""
        return min(self.thinking_tokens, self.max_tokens) if self.max_tokens > 0 else self.thinking_tokens


def plan_answer(
    body: dict[str, Any],
    *,
    total_input_tokens: int,
    thinking_step_tokens: int,
    cache: PromptCache,
    book: RateLimitBook | None,
) -> Answer:
    """``book`` None: the request is not counted toward the rate limits and carries no headers."""
    model = str(body.get("model", ""))
    max_tokens = body.get("max_tokens")
    max_tokens = max_tokens if isinstance(max_tokens, int) and max_tokens > 0 else 0
    use = cache.use(model, body)
    uncached = max(1, total_input_tokens - use.read - use.write)
    thinking = model_rules.thinking_tokens(body) or thinking_step_tokens
    return Answer(
        model=model,
        thinking_tokens=thinking,
        max_tokens=max_tokens,
        input_tokens=uncached,
        cache=use,
        headers=book.charge(uncached, max_tokens) if book is not None else {},
    )
