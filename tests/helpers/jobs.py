"""Card requests and runner jobs built directly, without a plan: what the engine's tests feed it,
and what a provider streams back for one request."""

from __future__ import annotations

from app.core.prompt import CardRequest
from app.engine.provider import Provider, ProviderError, StreamChunk
from app.engine.runner import Job
from tests.helpers.card_files import MODEL


def card_request(component: str, *, model: str = MODEL, max_tokens: int = 1024,
                 language: str = "typescript") -> CardRequest:
    """A request naming ``component`` and its language the way the stand-in reads them."""
    return CardRequest(
        component=component,
        model=model,
        system=f"Code language: {language}",
        messages=(("user", f"Component: {component}\n\nInstruction:\nshow it"),),
        max_tokens=max_tokens,
    )


def make_job(component: str, *, model: str = MODEL, max_tokens: int = 1024) -> Job:
    return Job(component, card_request(component, model=model, max_tokens=max_tokens))


async def collect(provider: Provider, request: CardRequest) -> tuple[list[StreamChunk], ProviderError | None]:
    """Every chunk ``provider`` streams for ``request``, and the error it ended with (None: none)."""
    chunks: list[StreamChunk] = []
    try:
        async for chunk in provider.stream(request):
            chunks.append(chunk)
    except ProviderError as exc:
        return chunks, exc
    return chunks, None
