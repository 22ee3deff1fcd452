"""Exact input-token counts from the provider's token-counting endpoint (free of charge)."""

from __future__ import annotations

import asyncio

from app.core.plan import Plan
from app.core.prompt import CardRequest, build_request
from app.engine.provider import Provider, token_counter


async def count_input_tokens(
    provider: Provider, plan: Plan, *, concurrency: int = 4
) -> dict[str, int] | None:
    """Input tokens per component; None when the provider cannot count them (counting is optional)."""
    counter = token_counter(provider)
    if counter is None:
        return None
    limit = asyncio.Semaphore(max(1, concurrency))

    async def one(name: str, request: CardRequest) -> tuple[str, int]:
        async with limit:
            return name, await counter.count_tokens(request)

    requests = [(c.name, build_request(plan, c)) for c in plan.components]
    results = await asyncio.gather(*(one(n, r) for n, r in requests))
    return dict(results)
