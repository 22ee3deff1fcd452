"""The bundled example with prose that MDX cannot read as written, exported for a docs site."""

from __future__ import annotations

from pathlib import Path

from app.core.export import export_bundle
from app.core.plan import load_plan
from app.core.store import CardStore
from tests.helpers.cli import copy_example

MDX_SENTENCE = "A user maps to a Map<string, User> entry keyed by { id }."
"""The sentence that broke a Docusaurus 3 build of the folder export."""


def hostile_example(dest: Path) -> Path:
    """A copy of the example whose User Model card explains itself with ``MDX_SENTENCE``."""
    plan_path = copy_example(dest)
    card = plan_path.with_name("auth-service.cards") / "user-model.md"
    text = card.read_text(encoding="utf-8")
    title = "# User Model\n\n"
    assert title in text
    card.write_text(text.replace(title, f"{title}{MDX_SENTENCE} ", 1), encoding="utf-8")
    return plan_path


def export_example(plan_path: Path, out_dir: Path, fmt: str, **options: bool) -> Path:
    plan = load_plan(plan_path)
    export_bundle(plan, CardStore(plan_path).load(plan), out_dir, fmt=fmt, **options)
    return out_dir
