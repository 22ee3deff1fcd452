"""Run the Messages API stand-in from a shell: ``python -m tests.fakes --port 8765 --mode good``.

Point the app at it with ``ANTHROPIC_BASE_URL=<printed URL> ANTHROPIC_API_KEY=anything``.
``--api openai`` serves the OpenAI chat-completions stand-in instead (a local model server):
``cardsmith generate PLAN --provider openai-compatible --base-url <printed URL>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from tests.fakes.drafts import STEPS as DRAFT_STEPS
from tests.fakes.chat_completions import DEFAULT_MODELS, FakeChatCompletionsAPI
from tests.fakes.messages_api import FakeMessagesAPI, Step
from tests.fakes.rate_limit_headers import Limits


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.fakes", description=__doc__.splitlines()[0])
    p.add_argument("--api", choices=("messages", "openai"), default="messages",
                   help="Anthropic's Messages API, or OpenAI chat completions as Ollama serves them")
    p.add_argument("--models", default=",".join(DEFAULT_MODELS),
                   help="--api openai: the models served, comma-separated (others get a 404)")
    p.add_argument("--loading", type=int, default=0,
                   help="--api openai: answer the first N requests 503 Loading model")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument(
        "--mode", default="good", help="step every request gets (good, hostile, http_429, stall, ...)"
    )
    p.add_argument("--ttfb", type=float, default=0.0,
                   help="seconds before the response's headers and message_start")
    p.add_argument("--ttft", type=float, default=0.0, help="seconds before the first text delta")
    p.add_argument(
        "--tps", type=float, default=0.0, help="output tokens per second (0 = as fast as possible)"
    )
    p.add_argument("--chunk-chars", type=int, default=12)
    p.add_argument(
        "--fault-rate", type=float, default=0.0, help="fraction of first attempts given a transient fault"
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--key", action="append", dest="keys", help="accepted API key (repeatable; default: any)")
    p.add_argument(
        "--max-open-streams", type=int, default=None, help="answer 429 above this many open streams"
    )
    p.add_argument("--retry-after", type=float, default=1.0, help="retry-after of 429 answers, in seconds")
    p.add_argument("--rate-limits", default="4000,2000000,400000", metavar="R,I,O",
                   help="requests, input and output tokens per minute that the rate-limit headers report")
    p.add_argument("--script", action="append", default=[], metavar="COMPONENT=STEP[,STEP...]",
                   help="what one component's 1st, 2nd, ... requests get (e.g. 'Login Handler=refusal')")
    p.add_argument("--draft-mode", default="plan", choices=DRAFT_STEPS,
                   help="what draft requests get (tests/fakes/drafts.py)")
    p.add_argument("--review-mode", default="pass", choices=("pass", "revise", "fail", "malformed"),
                   help="what review requests get (tests/fakes/review_api.py)")
    p.add_argument("--review-revise", action="append", default=[], metavar="NAME",
                   help="this component's review is revise, with a note on a code line (repeatable)")
    p.add_argument("--batch-seconds", type=float, default=0.0,
                   help="a message batch ends this long after it is created (-1: only on POST /_fake/batches/finish)")
    return p


async def _serve(args: argparse.Namespace) -> None:
    extra = {}
    if args.api == "openai":
        extra = {"models": [m.strip() for m in args.models.split(",") if m.strip()], "loading_requests": args.loading}
    api = (FakeChatCompletionsAPI if args.api == "openai" else FakeMessagesAPI)(
        **extra,
        mode=Step(args.mode),
        ttft_s=args.ttft,
        tokens_per_s=args.tps,
        chunk_chars=args.chunk_chars,
        valid_keys=set(args.keys) if args.keys else None,
        seed=args.seed,
        max_open_streams_before_429=args.max_open_streams,
        retry_after_s=args.retry_after,
        fault_rate=args.fault_rate,
        ttfb_s=args.ttfb,
        rate_limits=Limits(*(int(x) for x in args.rate_limits.split(","))),
        batch_seconds=None if args.batch_seconds < 0 else args.batch_seconds,
    )
    for item in args.script:
        component, _, steps = item.partition("=")
        api.script(component.strip(), *(Step(s.strip()) for s in steps.split(",")))
    api.drafts.mode = args.draft_mode
    api.reviews.mode = args.review_mode
    api.reviews.revise(*args.review_revise)
    base_url = await api.start(args.host, args.port)
    print(base_url + ("/v1" if args.api == "openai" else ""), flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await api.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        Step(args.mode)
        for item in args.script:
            for step in item.partition("=")[2].split(","):
                Step(step.strip())
        Limits(*(int(x) for x in args.rate_limits.split(",")))
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
