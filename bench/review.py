"""Benchmark 5: ``generate --review`` (reviews pipelined behind generation) against generate alone
and against generate then review, whole processes on the stand-in's pacing.

Each round runs the three in a rotating order on fresh card folders; the reviewer's answers are
paced like the cards (same time to first token and tokens per second). Target: the pipelined run
takes at most 1.15x generate alone.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PY, bench_env, median, table, verdict, write_plan  # noqa: E402
from bench.parallel import timed  # noqa: E402

TARGET = 1.15


def run(work: Path, n: int, level: int, env: dict[str, str], timeout: float, how: str) -> float:
    """Wall seconds of one way of getting ``n`` reviewed (or just generated) cards."""
    folder = work / f"{how}-{time.monotonic_ns()}"
    plan = write_plan(folder, n, concurrency=level)
    generate = [PY, "-m", "app", "generate", str(plan), "--concurrency", str(level)]
    try:
        if how == "generate":
            return timed(generate, env, timeout)
        if how == "pipelined":
            return timed([*generate, "--review"], env, timeout)
        return timed(generate, env, timeout) + timed(
            [PY, "-m", "app", "review", str(plan), "--concurrency", str(level)], env, timeout
        )
    finally:
        reviewed = sum("review:" in p.read_text(encoding="utf-8") for p in (folder / "bench.cards").glob("*.md"))
        shutil.rmtree(folder, ignore_errors=True)
        if how != "generate" and reviewed != n:
            raise SystemExit(f"bench: {how} left {reviewed} reviewed cards, not {n}")


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--components", type=int, default=64)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--ttft", type=float, default=0.3)
    p.add_argument("--tps", type=float, default=200.0)
    args = p.parse_args(argv)

    from tests.helpers.server_thread import StandInThread

    work = Path(tempfile.mkdtemp(prefix="cardsmith-bench-review-"))
    ways = ("generate", "pipelined", "sequential")
    times: dict[str, list[float]] = {way: [] for way in ways}
    try:
        with StandInThread(mode="good", ttft_s=args.ttft, tokens_per_s=args.tps) as api:
            env = bench_env(work, api.base_url)
            timeout = 120 + 10 * args.components / args.concurrency
            for i in range(args.rounds):
                for way in ways[i % 3:] + ways[: i % 3]:
                    times[way].append(run(work, args.components, args.concurrency, env, timeout, way))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = []
    for way in ways:
        ratio = median([t / g for t, g in zip(times[way], times["generate"])])
        target = f"<= {TARGET}: {verdict(ratio <= TARGET)}" if way == "pipelined" else ""
        rows.append([way, f"{median(times[way]):.2f}", " ".join(f"{t:.2f}" for t in times[way]),
                     f"{ratio:.3f}", target])
    return table(
        f"6. Review pipeline: {args.components} cards at concurrency {args.concurrency}, stand-in ttft "
        f"{args.ttft} s, {args.tps:g} tok/s (wall seconds, whole processes, {args.rounds} rounds)",
        ["run", "median", "each round", "x generate alone", "target"],
        rows,
    )


if __name__ == "__main__":
    print(main(sys.argv[1:]))
