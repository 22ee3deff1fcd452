"""The physical limit for a local model server: bare asyncio and httpx2, the same chat requests.

``python bench/reference_chat.py REQUESTS.json BASE_URL --concurrency N`` streams every
chat-completions body in the JSON list to ``BASE_URL/chat/completions``, at most N at once, and
reads each stream to ``data: [DONE]``. Nothing else: no plan, no lint, no files. Exits 1 if any
stream did not end with a finish reason and ``[DONE]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import httpx2


async def one(client: httpx2.AsyncClient, url: str, gate: asyncio.Semaphore, body: dict) -> bool:
    async with gate:
        text, finished = [], False
        async with client.stream("POST", url, json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if line == "data: [DONE]":
                    return finished and bool(text)
                chunk = json.loads(line[6:])
                for choice in chunk.get("choices") or []:
                    text.append((choice.get("delta") or {}).get("content") or "")
                    finished = finished or bool(choice.get("finish_reason"))
        return False


async def main(path: str, base_url: str, concurrency: int) -> int:
    with open(path, encoding="utf-8") as f:
        bodies = json.load(f)
    gate = asyncio.Semaphore(concurrency)
    async with httpx2.AsyncClient(timeout=600, trust_env=False) as client:
        url = base_url.rstrip("/") + "/chat/completions"
        results = await asyncio.gather(*(one(client, url, gate, b) for b in bodies))
    return 0 if all(results) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("requests")
    parser.add_argument("base_url")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.requests, args.base_url, args.concurrency)))
