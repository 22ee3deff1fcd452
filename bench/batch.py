"""Benchmark 5: a 10,000-component plan as Message Batches against the stand-in.

`cardsmith generate PLAN --batch --detach` as a process of its own: time from start to exit
(build every request, write the state file, create the batch, write its id) and its peak RSS;
the stand-in's own share of that time (taking the 10,000 requests apart and making their answers)
is shown beside it. Then the batch is ended and `cardsmith generate PLAN --batch` resumes it: time
to fetch, lint and write the 10,000 results (cards and their history), and its peak RSS.
Targets: submit in under 10 s, CLI memory under 300 MB.
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

from bench.common import PY, REPO, bench_env, table, verdict, write_plan  # noqa: E402

TARGET_SUBMIT_S = 10.0
TARGET_MB = 300.0

# The entry point of `python -m app`, reporting the process's own peak RSS (KiB) when it ends.
MEASURED = r"""
import resource, sys
from app.__main__ import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
sys.exit(code)
"""


def measured_cli(work: Path, base_url: str, *args: str) -> tuple[float, float, str]:
    """(wall seconds, peak RSS in MB, stderr) of one `cardsmith` process."""
    peak = work / "peak.txt"
    env = {**bench_env(work, base_url), "CARDSMITH_TEST_BATCH_POLL_S": "0.2"}
    started = time.perf_counter()
    proc = subprocess.run([PY, "-c", MEASURED, str(peak), *args], env=env, cwd=REPO, capture_output=True,
                          text=True, timeout=1800)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"bench: cardsmith {' '.join(args)} failed ({proc.returncode}): {proc.stderr[-800:]}")
    return wall, int(peak.read_text()) * 1024 / 1e6, proc.stderr


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--components", type=int, default=10_000)
    args = p.parse_args(argv)
    from tests.helpers.server_thread import StandInThread

    work = Path(tempfile.mkdtemp(prefix="cardsmith-bench-batch-"))
    try:
        plan = write_plan(work / "plan", args.components)
        with StandInThread(mode="good", batch_seconds=None) as api:
            submit_s, submit_mb, _ = measured_cli(work, api.base_url, "generate", str(plan), "--batch", "--detach")
            stand_in_s = sum(b.handling_s for b in api.batches.created)
            sizes = [len(b.custom_ids) for b in api.batches.created]
            api.batches.finish()
            write_s, write_mb, err = measured_cli(work, api.base_url, "generate", str(plan), "--batch")
        cards = len(list((work / "plan" / "bench.cards").glob("*.md")))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = err.strip().splitlines()[-1] if err.strip() else ""
    rows = [
        [f"build and submit {args.components:,} requests (process start to exit)", f"{submit_s:.2f} s",
         f"< {TARGET_SUBMIT_S:g} s: {verdict(submit_s < TARGET_SUBMIT_S)}"],
        ["  of which the stand-in taking the batch in", f"{stand_in_s:.2f} s", f"batches of {sizes}"],
        ["peak RSS of the submitting CLI", f"{submit_mb:.0f} MB", f"< {TARGET_MB:g} MB: {verdict(submit_mb < TARGET_MB)}"],
        [f"fetch, lint and write {cards:,} results (process start to exit)", f"{write_s:.1f} s",
         f"{cards / write_s:.0f} cards/s"],
        ["peak RSS of the CLI writing the results", f"{write_mb:.0f} MB", f"< {TARGET_MB:g} MB: {verdict(write_mb < TARGET_MB)}"],
        ["its last line", summary, ""],
    ]
    return table(f"7. Batch: {args.components:,} components", ["step", "time / memory", "target"], rows)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
