"""``make bench``: all the benchmarks, one table each (see bench/README.md for what they measure)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import batch, caching, first_click, parallel, review, scale, startup, window_load  # noqa: E402


def main() -> int:
    quick = "--quick" in sys.argv
    runs = [
        (parallel.main, ["--components", "16,64", "--levels", "8"] if quick else []),
        (parallel.main, ["--api", "openai", "--levels", "1,4", "--components", "16" if quick else "64"]),
        (window_load.main, ["--components", "16"] if quick else []),
        (startup.main, ["--runs", "1"] if quick else []),
        (first_click.main, ["--runs", "1"] if quick else []),
        (scale.main, ["--components", "100"] if quick else []),
        (caching.main, ["--pairs", "1"] if quick else []),
        (review.main, ["--components", "16", "--rounds", "1"] if quick else []),
        (batch.main, ["--components", "1000"] if quick else []),
    ]
    for fn, args in runs:
        print(fn(args), flush=True)
        print(flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
