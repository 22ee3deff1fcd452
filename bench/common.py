"""Shared pieces of the benchmarks: a private environment, plans on disk, tables and the machine line."""

from __future__ import annotations

import datetime as _dt
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PY = sys.executable
BENCH_KEY = "sk-ant-bench-key"


def bytecode_cache() -> Path:
    """Where benchmarked processes keep the application's compiled bytecode, filled here first.

    An installed Cardsmith starts from bytecode (a wheel's or a bundle's .pyc files; an editable
    install writes them on its first run). Where ``PYTHONDONTWRITEBYTECODE`` is set (CI boxes,
    containers) every process would compile ~80 modules from source instead (~60 ms of start-up
    that no writer pays), so benchmarks read bytecode from a cache outside the repository."""
    import compileall

    prefix = Path(tempfile.gettempdir()) / f"cardsmith-bench-pycache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    saved = sys.pycache_prefix
    sys.pycache_prefix = str(prefix)
    try:
        for folder in ("app", "bench", "tests"):
            compileall.compile_dir(REPO / folder, quiet=1, workers=1)
    finally:
        sys.pycache_prefix = saved
    return prefix


def bench_env(work: Path, base_url: str | None = None) -> dict[str, str]:
    """The environment of a benchmarked process: offscreen Qt, no keyring, private user folders,
    bytecode as an installed app has it (``bytecode_cache``)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(
        PYTHONPYCACHEPREFIX=str(bytecode_cache()),
        QT_QPA_PLATFORM="offscreen",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        CARDSMITH_CONFIG_DIR=str(work / "config"),
        CARDSMITH_DATA_DIR=str(work / "data"),
        CARDSMITH_CACHE_DIR=str(work / "cache"),
        ANTHROPIC_API_KEY=BENCH_KEY,
    )
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    env.pop("ANTHROPIC_AUTH_TOKEN", None)
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    else:
        env.pop("ANTHROPIC_BASE_URL", None)
    return env


def use_bench_env(work: Path) -> None:
    """The same environment for this process (in-process benchmarks), set before Qt is imported."""
    for key, value in bench_env(work).items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    os.environ.pop("ANTHROPIC_BASE_URL", None)


def write_plan(folder: Path, n: int, *, concurrency: int = 4, name: str = "bench.md") -> Path:
    """A TypeScript plan with ``n`` components named ``Component 0001`` ..."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = [
        "---",
        "title: Benchmark plan",
        "language: typescript",
        f"concurrency: {concurrency}",
        "---",
        "Cards for a benchmark. Every component shows one small pattern in TypeScript.",
        "",
    ]
    for i in range(1, n + 1):
        parts += [f"## Component {i:04d}", f"Show pattern number {i} in a small, runnable example.", ""]
    path = folder / name
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def machine_line() -> str:
    """Date, cores, CPU model and load: printed above every table (the machine is shared)."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    return f"{now} · {os.cpu_count()} cores ({model or 'unknown CPU'}) · load {load}"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table (right-aligned numbers), titled, with the machine line."""
    cells = [[str(h) for h in header]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [f"## {title}", f"({machine_line()})"]
    for n, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if n and _numeric(c) else c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or text[0] in "-+.") 


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def pss_kib(pid: int) -> int:
    """Proportional set size of one process, from /proc/<pid>/smaps_rollup (0 if gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (WebEngine's zygote and renderers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def tree_pss_mib(pid: int) -> tuple[float, float]:
    """(main process PSS, its descendants' PSS) in MiB."""
    main = pss_kib(pid)
    kids = sum(pss_kib(p) for p in descendants(pid))
    return main / 1024, kids / 1024
