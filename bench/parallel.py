"""Benchmark 1: parallel efficiency of ``cardsmith generate`` against the bare-SDK reference script.

Both are whole processes (Python, SDK import, the run) against the same paced stand-in; each pair
runs alternately (reference first on even pairs, cardsmith first on odd ones) and is reported as
reference/cardsmith wall time. Target: >= 0.97 at concurrency 8, for 16 and for 64 components.
``--api openai`` measures the OpenAI-compatible provider against the chat-completions stand-in and
a bare-httpx2 reference (target >= 0.95 at concurrency 4).

The same runs give the time to the first request (table 1c): from the spawn of the process (the
bench's wall clock just before it starts it) to the stand-in receiving its first request (the
stand-in's wall clock, ``RequestRecord.received``). Target: cardsmith/reference <= 1.3.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PY, REPO, bench_env, median, table, verdict, write_plan  # noqa: E402
from tests.fakes.messages_api import RequestRecord  # noqa: E402

TARGET_RATIO = 0.97
TARGET_LEVEL = 8
FIRST_REQUEST_TARGET = 1.3
"""cardsmith's time to its first request at most this many times the reference's."""
API_PATHS = ("/v1/messages", "/v1/chat/completions")


def anthropic_bodies(plan_path: Path) -> list[dict]:
    """Exactly what cardsmith sends for each component (model, system, messages, max_tokens,
    thinking and effort), built by the provider's own parameter builder."""
    from app.core.plan import load_plan
    from app.core.prompt import build_request
    from app.engine.providers.anthropic_params import request_params

    plan = load_plan(plan_path)
    return [request_params(build_request(plan, component)) for component in plan.components]


@dataclass(frozen=True)
class Timed:
    elapsed: float
    """Wall seconds from spawn to exit."""
    spawned: float
    """``time.time()`` just before the process was started."""


def timed(cmd: list[str], env: dict[str, str], timeout: float) -> float:
    """Wall seconds of one process, from spawn to exit (it must succeed)."""
    return timed_run(cmd, env, timeout).elapsed


def timed_run(cmd: list[str], env: dict[str, str], timeout: float) -> Timed:
    spawned = time.time()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:4])} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return Timed(elapsed, spawned)


def first_request_s(records: Sequence[RequestRecord], since: int, run: Timed) -> float:
    """Seconds from a process's spawn to the stand-in receiving its first request (records from
    the ``since``-th on: the ones this process caused)."""
    arrivals = [r.received for r in records[since:] if r.path in API_PATHS]
    if not arrivals:
        raise SystemExit("bench: the stand-in received no request from the process")
    return min(arrivals) - run.spawned


def run_cardsmith(work: Path, n: int, level: int, env: dict[str, str], timeout: float) -> Timed:
    folder = work / f"cs-{time.monotonic_ns()}"
    plan = write_plan(folder, n, concurrency=level)
    try:
        run = timed_run([PY, "-m", "app", "generate", str(plan), "--concurrency", str(level)], env, timeout)
        cards = list((folder / "bench.cards").glob("*.md"))
        if len(cards) != n:
            raise SystemExit(f"bench: cardsmith wrote {len(cards)} cards, not {n}")
        return run
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_reference(requests: Path, level: int, env: dict[str, str], timeout: float,
                  local_url: str | None = None) -> Timed:
    if local_url is not None:
        from bench.parallel_local import reference_command

        return timed_run(reference_command(requests, local_url, level), env, timeout)
    return timed_run([PY, str(REPO / "bench" / "reference_sdk.py"), str(requests), "--concurrency", str(level)],
                     env, timeout)


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--components", default="16,64", help="plan sizes, comma-separated")
    p.add_argument("--levels", default="1,4,8,16")
    p.add_argument("--pairs", type=int, default=1, help="pairs per level (the target level gets 3x)")
    p.add_argument("--ttft", type=float, default=0.3)
    p.add_argument("--tps", type=float, default=200.0)
    p.add_argument("--api", choices=("messages", "openai"), default="messages",
                   help="openai: the OpenAI-compatible provider on the chat-completions stand-in")
    args = p.parse_args(argv)
    sizes = [int(x) for x in args.components.split(",")]
    levels = [int(x) for x in args.levels.split(",")]
    local = args.api == "openai"
    target_ratio, target_level = (0.95, 4) if local else (TARGET_RATIO, TARGET_LEVEL)

    from tests.helpers.server_thread import StandInThread
    from bench.parallel_local import chat_bodies, chat_stand_in, local_env

    work = Path(tempfile.mkdtemp(prefix="cardsmith-bench-par-"))
    rows, first_rows = [], []
    try:
        server = chat_stand_in if local else StandInThread
        with server(mode="good", ttft_s=args.ttft, tokens_per_s=args.tps) as api:
            local_url = api.base_url + "/v1" if local else None
            env = local_env(bench_env(work), api.base_url + "/v1") if local else bench_env(work, api.base_url)
            from tests.fakes import cards
            from tests.fakes.model_rules import THINKING_TOKENS

            # The plan's default model thinks first (effort low), then writes the card.
            out_tokens = THINKING_TOKENS["low"] + len(cards.good_card("Component 0001", "typescript")) / 4
            card_s = args.ttft + out_tokens / args.tps
            for n in sizes:
                requests = work / f"requests-{n}.json"
                bodies = chat_bodies if local else anthropic_bodies
                requests.write_text(json.dumps(bodies(write_plan(work / f"ref-{n}", n))))
                for level in levels:
                    pairs = args.pairs * (3 if level == target_level else 1)
                    timeout = 60 + 3 * card_s * n / level
                    runs: dict[str, list[Timed]] = {"ref": [], "cs": []}
                    firsts: dict[str, list[float]] = {"ref": [], "cs": []}
                    peaks = []
                    for i in range(pairs):
                        api.peak_open_streams = 0
                        for who in ("ref", "cs") if i % 2 == 0 else ("cs", "ref"):
                            since = len(api.records)
                            run = (run_reference(requests, level, env, timeout, local_url) if who == "ref"
                                   else run_cardsmith(work, n, level, env, timeout))
                            runs[who].append(run)
                            firsts[who].append(first_request_s(api.records, since, run))
                        peaks.append(api.peak_open_streams)
                    refs = [r.elapsed for r in runs["ref"]]
                    mine = [r.elapsed for r in runs["cs"]]
                    ratios = [r / c for r, c in zip(refs, mine)]
                    ideal = card_s * -(-n // level)
                    ratio = median(ratios)
                    target = f">= {target_ratio}: {verdict(ratio >= target_ratio)}" if level == target_level else ""
                    rows.append([n, level, pairs, f"{ideal:.2f}", f"{median(refs):.2f}", f"{median(mine):.2f}",
                                 f"{ratio:.3f}", " ".join(f"{r:.3f}" for r in ratios), max(peaks), target])
                    first_rows.append(first_request_row(n, level, pairs, firsts, level == target_level))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    what = ", OpenAI-compatible (local) provider" if local else ""
    parallel = table(
        f"1{'b' if local else ''}. Parallel efficiency{what}: stand-in ttft {args.ttft} s, "
        f"{args.tps:g} tok/s (wall seconds, whole processes)",
        ["components", "concurrency", "pairs", "streaming only", "reference", "cardsmith", "ref/cardsmith",
         "each pair", "peak open", "target"],
        rows,
    )
    first = table(
        f"1{'d' if local else 'c'}. Time to the first request{what}: process spawn to the stand-in"
        " receiving its first request (wall seconds, the same runs)",
        ["components", "concurrency", "pairs", "reference", "cardsmith", "cardsmith/ref", "each pair", "target"],
        first_rows,
    )
    return f"{parallel}\n\n{first}"


def first_request_row(n: int, level: int, pairs: int, firsts: dict[str, list[float]],
                      judged: bool) -> list[object]:
    """One row of the first-request table: medians, their ratio and each pair's, the verdict."""
    ratios = [c / r for r, c in zip(firsts["ref"], firsts["cs"])]
    ratio = median(ratios)
    target = f"<= {FIRST_REQUEST_TARGET}: {verdict(ratio <= FIRST_REQUEST_TARGET)}" if judged else ""
    return [n, level, pairs, f"{median(firsts['ref']):.3f}", f"{median(firsts['cs']):.3f}", f"{ratio:.3f}",
            " ".join(f"{r:.3f}" for r in ratios), target]


if __name__ == "__main__":
    print(main(sys.argv[1:]))
