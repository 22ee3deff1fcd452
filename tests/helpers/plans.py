"""Plans written to disk for tests: N components with a given context and settings."""

from __future__ import annotations

from pathlib import Path


def write_plan(folder: Path, n: int, *, context: str = "Shared context for every card.",
               name: str = "guide.md", language: str = "typescript", concurrency: int = 4,
               extra_front_matter: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    parts = [
        "---",
        "title: Test guide",
        f"language: {language}",
        f"concurrency: {concurrency}",
        *([extra_front_matter] if extra_front_matter else []),
        "---",
        context,
        "",
    ]
    for i in range(1, n + 1):
        parts += [f"## Component {i:02d}", f"Show pattern number {i} in a small example.", ""]
    plan = folder / name
    plan.write_text("\n".join(parts), encoding="utf-8")
    return plan


def component_names(n: int) -> list[str]:
    return [f"Component {i:02d}" for i in range(1, n + 1)]
