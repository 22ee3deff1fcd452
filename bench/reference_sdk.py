"""The physical limit: bare asyncio and the official SDK, the same requests at the same concurrency.

``python bench/reference_sdk.py REQUESTS.json --concurrency N`` streams every request in the JSON
list (``model``, ``max_tokens``, ``system``, ``messages``) with ``AsyncAnthropic(max_retries=0)``
and ``messages.stream``, at most N at once; ``ANTHROPIC_BASE_URL``/``ANTHROPIC_API_KEY`` say where.
Nothing else: no plan, no lint, no files. Exits 1 if any stream did not end with ``message_stop``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import anthropic


async def one(client: anthropic.AsyncAnthropic, gate: asyncio.Semaphore, params: dict) -> bool:
    async with gate:
        text = []
        stopped = False
        async with client.messages.stream(**params) as stream:
            async for event in stream:
                if event.type == "content_block_delta" and event.delta.type == "text_delta":
                    text.append(event.delta.text)
                elif event.type == "message_stop":
                    stopped = True
        return stopped and bool(text)


async def main(path: str, concurrency: int) -> int:
    with open(path, encoding="utf-8") as f:
        requests = json.load(f)
    client = anthropic.AsyncAnthropic(max_retries=0)
    gate = asyncio.Semaphore(concurrency)
    try:
        results = await asyncio.gather(*(one(client, gate, p) for p in requests))
    finally:
        await client.close()
    return 0 if all(results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("requests")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.requests, args.concurrency)))
