"""Docusaurus 3 and Starlight build their exports of cards whose prose holds <, { and }, and show
them as written.

Needs Node.js and npm, and the sites' packages in the cache that ``make test`` fills
(tests/helpers/npm_sites.py); each site is skipped with the reason otherwise. See the README for
the time this adds.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.core.card import normalize_body, parse_card
from tests.helpers.npm_sites import DOCUSAURUS, STARLIGHT, NpmSite, compile_mdx, failure
from tests.helpers.sites import MDX_SENTENCE, export_example, hostile_example

pytestmark = pytest.mark.slow


def needs(site: NpmSite) -> pytest.MarkDecorator:
    reason = site.why_unavailable()
    return pytest.mark.skipif(reason is not None, reason=str(reason))


SLUGS = ["user-model", "password-hashing", "session-token", "login-handler", "refresh-rotation", "rate-limiter"]
PLAN_ORDER = ["User Model", "Password Hashing", "Session Token", "Login Handler", "Refresh Rotation", "Rate Limiter"]


class _Page(HTMLParser):
    """The text of a built page's article, and the labels of its sidebar links in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.article: list[str] = []
        self.sidebar: list[str] = []
        self._in_article = 0
        self._in_link = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "article":
            self._in_article += 1
        if tag == "a" and "menu__link" in classes:
            self._in_link = True
            self.sidebar.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "article" and self._in_article:
            self._in_article -= 1
        if tag == "a":
            self._in_link = False

    def handle_data(self, data: str) -> None:
        if self._in_article:
            self.article.append(data)
        if self._in_link:
            self.sidebar[-1] += data


def read_page(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def built(site: NpmSite, tmp_path: Path) -> Path:
    """The site built with the example's export (its User Model card holding <, { and })."""
    exported = export_example(hostile_example(tmp_path), tmp_path / "export", site.name)
    result = site.build({"examples": exported}, tmp_path / "build")
    assert result.returncode == 0, failure(result)
    return tmp_path / "build"


@needs(DOCUSAURUS)
def test_docusaurus_builds_the_export_and_shows_the_characters_as_written(tmp_path: Path) -> None:
    build = built(DOCUSAURUS, tmp_path)
    page = read_page(build / "examples" / "user-model" / "index.html")
    text = " ".join("".join(page.article).split())
    assert MDX_SENTENCE in text
    assert "export interface User {" in text  # the code, untouched
    # The sidebar follows the plan, under the plan's title; the category has its generated index.
    assert [label for label in page.sidebar if label in PLAN_ORDER] == PLAN_ORDER
    assert "Auth service examples" in page.sidebar
    index = build / "category" / "auth-service-examples" / "index.html"
    assert "<p>These cards document the authentication service of a small web product.</p>" in index.read_text(
        encoding="utf-8"
    )
    assert MDX_SENTENCE in " ".join("".join(read_page(index).article).split())  # the card's description


@needs(DOCUSAURUS)
def test_only_the_escaped_card_compiles_as_mdx(tmp_path: Path) -> None:
    """The control, with the MDX compiler of that build: the card as written fails, as it made
    the folder export's build fail ("MDX compilation failed"); the exported card compiles."""
    plan_path = hostile_example(tmp_path)
    _meta, body = parse_card((plan_path.with_name("auth-service.cards") / "user-model.md").read_text(encoding="utf-8"))
    assert MDX_SENTENCE in body
    exported = export_example(plan_path, tmp_path / "export", "docusaurus") / "user-model.md"

    as_written = compile_mdx(normalize_body(body))
    assert as_written.returncode != 0
    assert "3:28: Unexpected character `,` (U+002C) in name" in as_written.stderr, failure(as_written)
    escaped = compile_mdx(exported.read_text(encoding="utf-8").split("\n---\n", 1)[1])
    assert escaped.returncode == 0, failure(escaped)


@needs(STARLIGHT)
def test_starlight_builds_the_export_in_plan_order(tmp_path: Path) -> None:
    html = (built(STARLIGHT, tmp_path) / "examples" / "user-model" / "index.html").read_text(encoding="utf-8")
    sidebar = list(dict.fromkeys(re.findall(r'href="/examples/([a-z-]+)/"', html)))
    assert sidebar == SLUGS
    assert re.search(r"<p>A user maps to a Map(&lt;|&#x3C;)string, User> entry keyed by \{ id \}\. ", html)
    assert re.search(r"<title>User Model \| Cardsmith export check</title>", html)
