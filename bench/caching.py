"""Benchmark 5: the prompt cache. A plan with a ~9,000-token shared context and 12 components at
concurrency 4, generated with caching (the default: the shared context marked, the first request
alone until its response has begun) and without (``--no-cache``), as whole processes against the
stand-in, pairs alternating. Cost is the sum of the cards' ``cost_usd`` (the model table's
prices, cache multipliers included); time is the process's wall time.

Targets: cost with caching at most 30 % of without; wall time at most +10 % (the first-request
wait). Rows for both thinking settings: output (thinking included) is priced as before, so the
share the cache can save depends on it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PY, REPO, bench_env, median, table, verdict  # noqa: E402
from tests.fakes.messages_api import FakeMessagesAPI  # noqa: E402

MODEL = "claude-haiku-5-5"
"""The plans' default model."""
TARGET_COST = 0.30
TARGET_TIME = 1.10
CONTEXT_SENTENCE = (
    "The billing service settles every invoice in integer cents, rounds only at the end of a "
    "calculation, and records each change as an append-only ledger entry with its reason. "
)


def write_plan(folder: Path, components: int, context_tokens: int, thinking: str) -> Path:
    """``components`` components under a shared context of ~``context_tokens`` tokens as the
    stand-in counts them for Claude Haiku 5.5."""
    from tests.fakes.model_rules import chars_within

    folder.mkdir(parents=True, exist_ok=True)
    repeats = max(1, chars_within(MODEL, context_tokens) // len(CONTEXT_SENTENCE))
    parts = ["---", "title: Caching benchmark", "language: typescript", "concurrency: 4",
             f"thinking: {thinking}", "---", CONTEXT_SENTENCE * repeats, ""]
    for i in range(1, components + 1):
        parts += [f"## Component {i:02d}", f"Show pattern number {i} in a small, runnable example.", ""]
    path = folder / "bench.md"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def run_once(
    work: Path, args: argparse.Namespace, api: FakeMessagesAPI, thinking: str, cache: bool
) -> tuple[float, float, int, int]:
    """(wall seconds, cost in USD, cards that wrote the cache, cards that read it). Each run starts
    cold: an empty stand-in cache, and user folders of its own (no rate limits seen before)."""
    from app.core.card import parse_card

    folder = work / f"run-{time.monotonic_ns()}"
    plan = write_plan(folder, args.components, args.context_tokens, thinking)
    env = bench_env(folder, api.base_url)
    api.cache.clear()
    cmd = [PY, "-m", "app", "generate", str(plan), *([] if cache else ["--no-cache"])]
    try:
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"bench: generate failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
        metas = [parse_card(f.read_text(encoding="utf-8"))[0] for f in (folder / "bench.cards").glob("*.md")]
        if len(metas) != args.components:
            raise SystemExit(f"bench: {len(metas)} cards written, not {args.components}")
        cost = sum(m.cost_usd or 0.0 for m in metas)
        return wall, cost, sum(m.cache_write_tokens > 0 for m in metas), sum(m.cache_read_tokens > 0 for m in metas)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--components", type=int, default=12)
    p.add_argument("--context-tokens", type=int, default=9000)
    p.add_argument("--pairs", type=int, default=3)
    p.add_argument("--ttfb", type=float, default=0.4, help="stand-in: seconds before message_start")
    p.add_argument("--ttft", type=float, default=0.1, help="stand-in: then seconds before the first text")
    p.add_argument("--tps", type=float, default=200.0)
    args = p.parse_args(argv)

    from tests.helpers.server_thread import StandInThread

    work = Path(tempfile.mkdtemp(prefix="cardsmith-bench-cache-"))
    rows = []
    try:
        with StandInThread(mode="good", ttfb_s=args.ttfb, ttft_s=args.ttft, tokens_per_s=args.tps) as api:
            for thinking in ("adaptive", "off"):
                got: dict[bool, list[tuple[float, float, int, int]]] = {True: [], False: []}
                for i in range(args.pairs):
                    for cache in ((True, False) if i % 2 == 0 else (False, True)):
                        got[cache].append(run_once(work, args, api, thinking, cache))
                on_wall, off_wall = median([r[0] for r in got[True]]), median([r[0] for r in got[False]])
                on_cost, off_cost = median([r[1] for r in got[True]]), median([r[1] for r in got[False]])
                writes, reads = got[True][-1][2], got[True][-1][3]
                cost_ratio, time_ratio = on_cost / off_cost, on_wall / off_wall
                rows.append([
                    f"thinking {thinking}", args.pairs, f"${off_cost:.5f}", f"${on_cost:.5f}",
                    f"{cost_ratio:.3f}", f"{writes} / {reads}", f"{off_wall:.2f}", f"{on_wall:.2f}",
                    f"{time_ratio:.3f}",
                    f"cost <= {TARGET_COST}: {verdict(cost_ratio <= TARGET_COST)};"
                    f" time <= {TARGET_TIME}: {verdict(time_ratio <= TARGET_TIME)}",
                ])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return table(
        f"5. Prompt caching: {args.components} components, ~{args.context_tokens:,}-token shared context,"
        f" concurrency 4, claude-haiku-5-5 (stand-in ttfb {args.ttfb} s, ttft {args.ttft} s, {args.tps:g} tok/s)",
        ["plan", "pairs", "cost uncached", "cost cached", "ratio", "writes / reads", "wall uncached s",
         "wall cached s", "ratio", "targets"],
        rows,
    )


if __name__ == "__main__":
    print(main(sys.argv[1:]))
