"""Plans for tests: written to disk, built in memory, and the invariants every parsed plan keeps."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from app.core.plan import Component, Plan, PlanSettings, split_lines


def component_names(n: int) -> list[str]:
    return [f"Component {i:02d}" for i in range(1, n + 1)]


def write_plan(folder: Path, components: int | Sequence[str], *,
               context: str = "Shared context for every card.", name: str = "guide.md",
               title: str = "Test guide", language: str = "typescript", concurrency: int = 4,
               extra_front_matter: str = "") -> Path:
    """A plan file of ``components`` (a count, named ``component_names``, or the names)."""
    names = component_names(components) if isinstance(components, int) else list(components)
    folder.mkdir(parents=True, exist_ok=True)
    parts = [
        "---",
        f"title: {title}",
        f"language: {language}",
        f"concurrency: {concurrency}",
        *([extra_front_matter] if extra_front_matter else []),
        "---",
        context,
        "",
    ]
    for i, component in enumerate(names, 1):
        parts += [f"## {component}", f"Show pattern number {i} in a small example.", ""]
    plan = folder / name
    plan.write_text("\n".join(parts), encoding="utf-8")
    return plan


def make_plan(*names: str, title: str = "Guide", context: str = "Context.",
              instruction: str = "Explain {name}.", **settings: object) -> Plan:
    """A parsed plan of the components ``names``, built in memory (``settings``: PlanSettings')."""
    components = tuple(
        Component(name=n, instruction=instruction.format(name=n), line=i + 5) for i, n in enumerate(names)
    )
    return Plan(settings=PlanSettings(title=title, **settings),  # type: ignore[arg-type]
                context=context, components=components)


def line_count(source: str | bytes) -> int:
    text = source.decode("utf-8", errors="replace") if isinstance(source, bytes) else source
    return len(split_lines(text.removeprefix("\ufeff")))


def check_plan_invariants(plan: Plan, source: str | bytes) -> None:
    """What any plan parsed from ``source`` keeps, however hostile the source."""
    lines = line_count(source)
    for issue in plan.issues:
        assert 1 <= issue.line <= lines, (issue, lines)
        assert issue.severity in ("error", "warning")
        assert "\n" not in issue.message and issue.message
        assert "internal error" not in issue.message
    assert [i.line for i in plan.issues] == sorted(i.line for i in plan.issues)
    keys = [c.key for c in plan.components]
    assert len(keys) == len(set(keys))
    assert all(c.name and c.name == " ".join(c.name.split()) for c in plan.components)
    assert all(1 <= c.line <= lines for c in plan.components)
    assert [c.line for c in plan.components] == sorted(c.line for c in plan.components)
    if not plan.components:
        assert not plan.ok
    s = plan.settings
    assert 1 <= s.concurrency <= 16 and 1 <= s.max_code_lines <= 100
    assert 200 <= s.column_px <= 2000 and 64 <= s.max_tokens <= 64000
    assert s.language.strip() and s.model.strip()
