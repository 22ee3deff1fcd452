"""Site exports: each target's files and front matter (checked against the sites' documented fields),
determinism, the manifest's guard, and MkDocs' nav and mkdocs.yml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.core.card import split_front_matter
from app.core.export import MANIFEST_NAME, build_bundle, export_bundle
from app.core.export_sites import CATEGORY_NAME, HUGO_INDEX_NAME, MKDOCS_CONFIG_NAME, nav_prefix
from app.core.mdx import mdx_safe
from app.core.plan import Plan, load_plan
from app.core.store import CardStore, StoreSnapshot
from app.core.targets import SITE_TARGETS
from app.errors import ExportError
from tests.helpers.sites import MDX_SENTENCE, hostile_example

SLUGS = ["user-model", "password-hashing", "session-token", "login-handler", "refresh-rotation", "rate-limiter"]
NAMES = ["User Model", "Password Hashing", "Session Token", "Login Handler", "Refresh Rotation", "Rate Limiter"]

# Front matter each site documents (Docusaurus docs plugin, MkDocs, Hugo, Starlight's frontmatter
# reference): key -> type; every key an export writes must be one of them, with that type.
DOCUMENTED: dict[str, dict[str, type]] = {
    "docusaurus": {"id": str, "title": str, "sidebar_label": str, "sidebar_position": int, "slug": str,
                   "description": str},
    "mkdocs": {"title": str, "description": str},
    "hugo": {"title": str, "weight": int, "description": str},
    "starlight": {"title": str, "description": str, "sidebar": dict},
}  # fmt: skip
REQUIRED = {"docusaurus": {"title"}, "mkdocs": set(), "hugo": {"title"}, "starlight": {"title"}}
PLACE = {"docusaurus": "sidebar_position", "hugo": "weight"}


@pytest.fixture
def example(tmp_path: Path) -> tuple[Plan, StoreSnapshot]:
    plan_path = hostile_example(tmp_path)
    plan = load_plan(plan_path)
    return plan, CardStore(plan_path).load(plan)


def pages(files: dict[str, bytes]) -> dict[str, tuple[dict[str, Any], str]]:
    """Markdown file -> (front matter, body)."""
    found = {}
    for name, data in files.items():
        if name.endswith(".md"):
            yaml_text, body, _ = split_front_matter(data.decode("utf-8"))
            found[name] = (yaml.safe_load(yaml_text), body)
    return found


@pytest.mark.parametrize("target", SITE_TARGETS)
def test_front_matter_is_documented_and_follows_the_plan(example: Any, target: str) -> None:
    plan, snapshot = example
    cards = {name: page for name, page in pages(build_bundle(plan, snapshot, fmt=target)).items()
             if name[:-3] in SLUGS}  # fmt: skip
    assert list(cards) == [f"{slug}.md" for slug in SLUGS]
    for place, (name, (front, body)) in enumerate(cards.items(), start=1):
        assert set(front) <= set(DOCUMENTED[target]) and REQUIRED[target] <= set(front)
        assert all(isinstance(value, DOCUMENTED[target][key]) for key, value in front.items())
        assert front["title"] == NAMES[place - 1]
        if target in PLACE:
            assert front[PLACE[target]] == place
        if target == "starlight":
            assert front["sidebar"] == {"order": place}
        if target == "docusaurus":
            assert front["id"] == name[:-3]
        original = snapshot.card(plan.components[place - 1]).body  # type: ignore[union-attr]
        # The card itself is unchanged but for the escapes that make { } < show as written.
        assert body == mdx_safe(original)
        assert (body == original) == (place != 1)


def test_docusaurus_escapes_prose_and_describes_pages(example: Any) -> None:
    plan, snapshot = example
    files = build_bundle(plan, snapshot, fmt="docusaurus")
    front, body = pages(files)["user-model.md"]
    assert front["description"] == MDX_SENTENCE
    assert "A user maps to a Map&lt;string, User> entry keyed by \\{ id \\}." in body
    assert "export interface User {" in body  # code as it was
    assert json.loads(files[CATEGORY_NAME]) == {
        "label": "Auth service examples",
        "position": 1,
        "link": {"type": "generated-index",
                 "description": "These cards document the authentication service of a small web product."},
    }  # fmt: skip
    # Nothing but the cards and the category: no index.md or bundle.json for Docusaurus to publish.
    assert sorted(files) == sorted([CATEGORY_NAME, *(f"{slug}.md" for slug in SLUGS)])


def test_mkdocs_hugo_and_starlight_indexes(example: Any) -> None:
    plan, snapshot = example
    mkdocs = pages(build_bundle(plan, snapshot, fmt="mkdocs"))
    assert mkdocs["index.md"][0] == {
        "title": "Auth service examples",
        "description": "These cards document the authentication service of a small web product.",
    }
    assert "1. [User Model](user-model.md)" in mkdocs["index.md"][1]
    hugo = pages(build_bundle(plan, snapshot, fmt="hugo"))
    assert hugo[HUGO_INDEX_NAME][0] == {"title": "Auth service examples", "weight": 1}
    assert hugo[HUGO_INDEX_NAME][1].startswith("These cards document")
    assert sorted(build_bundle(plan, snapshot, fmt="starlight")) == sorted(f"{slug}.md" for slug in SLUGS)


@pytest.mark.parametrize("target", SITE_TARGETS)
def test_deterministic_and_guarded_like_the_other_formats(example: Any, tmp_path: Path, target: str) -> None:
    plan, snapshot = example
    out = tmp_path / "out"
    first = export_bundle(plan, snapshot, out, fmt=target)
    assert {p.name for p in first.written} | {MANIFEST_NAME} == {p.name for p in out.iterdir()}
    again = export_bundle(plan, snapshot, out, fmt=target)
    assert again.written == () and len(again.unchanged) == len(first.written)
    assert build_bundle(plan, snapshot, fmt=target) == build_bundle(plan, snapshot, fmt=target)
    (out / "user-model.md").write_text("my own edit\n", encoding="utf-8")
    with pytest.raises(ExportError, match="it was changed since the last export"):
        export_bundle(plan, snapshot, out, fmt=target)


def test_switching_target_in_one_folder_removes_the_old_targets_files(example: Any, tmp_path: Path) -> None:
    plan, snapshot = example
    out = tmp_path / "out"
    export_bundle(plan, snapshot, out, fmt="docusaurus")
    result = export_bundle(plan, snapshot, out, fmt="hugo")
    assert [p.name for p in result.removed] == [CATEGORY_NAME]
    assert (out / HUGO_INDEX_NAME).is_file()


def test_mkdocs_config_is_written_beside_the_folder_and_never_over_a_foreign_one(
    example: Any, tmp_path: Path
) -> None:
    plan, snapshot = example
    docs = tmp_path / "site" / "docs"
    result = export_bundle(plan, snapshot, docs, fmt="mkdocs", write_config=True)
    config = tmp_path / "site" / MKDOCS_CONFIG_NAME
    assert result.config == config.resolve()
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert data["site_name"] == "Auth service examples" and data["docs_dir"] == "docs"
    assert data["nav"] == [{"Auth service examples": ["index.md", *({n: f"{s}.md"} for n, s in zip(NAMES, SLUGS))]}]
    # Ours and unchanged: written again. Changed by hand, or someone else's: refused, nothing written.
    export_bundle(plan, snapshot, docs, fmt="mkdocs", write_config=True)
    config.write_text(config.read_text(encoding="utf-8") + "theme: material\n", encoding="utf-8")
    with pytest.raises(ExportError, match="refusing to overwrite mkdocs.yml in .*: it was changed since the last export"):
        export_bundle(plan, snapshot, docs, fmt="mkdocs", write_config=True)
    config.write_text("site_name: Mine\n", encoding="utf-8")
    other = tmp_path / "site" / "other"
    with pytest.raises(ExportError, match="it was not written by a Cardsmith export"):
        export_bundle(plan, snapshot, other, fmt="mkdocs", write_config=True)
    assert not other.exists()
    with pytest.raises(ExportError, match="only the mkdocs format writes a site configuration"):
        export_bundle(plan, snapshot, other, fmt="hugo", write_config=True)


def test_nav_paths_follow_the_enclosing_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    assert nav_prefix(site / "docs" / "examples") == "examples/"  # no site: the folder's own name
    (site / "content" / "deep").mkdir(parents=True)
    (site / MKDOCS_CONFIG_NAME).write_text("site_name: x\ndocs_dir: 'content'  # ours\n", encoding="utf-8")
    assert nav_prefix(site / "content" / "deep" / "examples") == "deep/examples/"
    assert nav_prefix(site / "content") == ""
    assert nav_prefix(site / "elsewhere") == "elsewhere/"
