"""Benchmark 1: parallel efficiency of ``cardsmith generate`` against the bare-SDK reference script.

Both are whole processes (Python, SDK import, the run) against the same paced stand-in; each pair
runs alternately (reference first on even pairs, cardsmith first on odd ones) and is reported as
reference/cardsmith wall time. Target: >= 0.97 at concurrency 8. ``--api openai`` measures the
OpenAI-compatible provider against the chat-completions stand-in and a bare-httpx2 reference
(target >= 0.95 at concurrency 4).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PY, REPO, bench_env, median, table, verdict, write_plan  # noqa: E402

TARGET_RATIO = 0.97
TARGET_LEVEL = 8


def anthropic_bodies(plan_path: Path) -> list[dict]:
    """Exactly what cardsmith sends for each component (model, system, messages, max_tokens,
    thinking and effort), built by the provider's own parameter builder."""
    from app.core.plan import load_plan
    from app.core.prompt import build_request
    from app.engine.providers.anthropic_params import request_params

    plan = load_plan(plan_path)
    return [request_params(build_request(plan, component)) for component in plan.components]


def timed(cmd: list[str], env: dict[str, str], timeout: float) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[:4])} failed ({proc.returncode}): {proc.stderr.strip()[-400:]}")
    return elapsed


def run_cardsmith(work: Path, n: int, level: int, env: dict[str, str], timeout: float) -> float:
    folder = work / f"cs-{time.monotonic_ns()}"
    plan = write_plan(folder, n, concurrency=level)
    try:
        elapsed = timed([PY, "-m", "app", "generate", str(plan), "--concurrency", str(level)], env, timeout)
        cards = list((folder / "bench.cards").glob("*.md"))
        if len(cards) != n:
            raise SystemExit(f"bench: cardsmith wrote {len(cards)} cards, not {n}")
        return elapsed
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_reference(requests: Path, level: int, env: dict[str, str], timeout: float,
                  local_url: str | None = None) -> float:
    if local_url is not None:
        from bench.parallel_local import reference_command

        return timed(reference_command(requests, local_url, level), env, timeout)
    return timed([PY, str(REPO / "bench" / "reference_sdk.py"), str(requests), "--concurrency", str(level)],
                 env, timeout)


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--components", type=int, default=64)
    p.add_argument("--levels", default="1,4,8,16")
    p.add_argument("--pairs", type=int, default=1, help="pairs per level (the target level gets 3x)")
    p.add_argument("--ttft", type=float, default=0.3)
    p.add_argument("--tps", type=float, default=200.0)
    p.add_argument("--api", choices=("messages", "openai"), default="messages",
                   help="openai: the OpenAI-compatible provider on the chat-completions stand-in")
    args = p.parse_args(argv)
    levels = [int(x) for x in args.levels.split(",")]
    local = args.api == "openai"
    target_ratio, target_level = (0.95, 4) if local else (TARGET_RATIO, TARGET_LEVEL)

    from tests.helpers.server_thread import StandInThread
    from bench.parallel_local import chat_bodies, chat_stand_in, local_env

    work = Path(tempfile.mkdtemp(prefix="cardsmith-bench-par-"))
    rows = []
    try:
        server = chat_stand_in if local else StandInThread
        with server(mode="good", ttft_s=args.ttft, tokens_per_s=args.tps) as api:
            local_url = api.base_url + "/v1" if local else None
            env = local_env(bench_env(work), api.base_url + "/v1") if local else bench_env(work, api.base_url)
            requests = work / "requests.json"
            bodies = chat_bodies if local else anthropic_bodies
            requests.write_text(json.dumps(bodies(write_plan(work / "ref", args.components))))
            from tests.fakes import cards
            from tests.fakes.model_rules import THINKING_TOKENS

            # The plan's default model thinks first (effort low), then writes the card.
            out_tokens = THINKING_TOKENS["low"] + len(cards.good_card("Component 0001", "typescript")) / 4
            card_s = args.ttft + out_tokens / args.tps
            for level in levels:
                pairs = args.pairs * (3 if level == target_level else 1)
                timeout = 60 + 3 * card_s * args.components / level
                refs, mine, ratios, peaks = [], [], [], []
                for i in range(pairs):
                    api.peak_open_streams = 0
                    order = ("ref", "cs") if i % 2 == 0 else ("cs", "ref")
                    got = {}
                    for who in order:
                        if who == "ref":
                            got[who] = run_reference(requests, level, env, timeout, local_url)
                        else:
                            got[who] = run_cardsmith(work, args.components, level, env, timeout)
                    refs.append(got["ref"])
                    mine.append(got["cs"])
                    ratios.append(got["ref"] / got["cs"])
                    peaks.append(api.peak_open_streams)
                ideal = card_s * -(-args.components // level)
                ratio = median(ratios)
                target = f">= {target_ratio}: {verdict(ratio >= target_ratio)}" if level == target_level else ""
                rows.append([level, pairs, f"{ideal:.2f}", f"{median(refs):.2f}", f"{median(mine):.2f}",
                             f"{ratio:.3f}", " ".join(f"{r:.3f}" for r in ratios), max(peaks), target])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return table(
        f"1{'b' if local else ''}. Parallel efficiency{', OpenAI-compatible (local) provider' if local else ''}:"
        f" {args.components} components, stand-in ttft {args.ttft} s, "
        f"{args.tps:g} tok/s (wall seconds, whole processes)",
        ["concurrency", "pairs", "streaming only", "reference", "cardsmith", "ref/cardsmith",
         "each pair", "peak open", "target"],
        rows,
    )


if __name__ == "__main__":
    print(main(sys.argv[1:]))
