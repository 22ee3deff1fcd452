"""Hostile cards in the HTML export: every payload kind of issue 7 leaves no active content.

The preview's layers (sanitizer, CSP, interceptor, the whole PreviewView) are tested one at a time
in tests/ui/test_preview_security.py and, with the catalog of tests/helpers/hostile.py, in
tests/ui/test_survival_hostile.py (which also loads the exported file in a browser engine). Here the
exported page is parsed with html.parser, so the check needs no browser and names what is left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.core.render import CONTENT_SECURITY_POLICY, preview_stylesheet
from tests.helpers.hostile import export_html, hostile_kinds

# Not a live server: the parse-only tests only need a recognisable remote origin.
PARSE_BASE = "http://127.0.0.1:9/beacon"

ISSUE_KINDS = {
    "script", "img-onerror", "svg-onload", "iframe", "iframe-srcdoc", "embed-object", "meta-refresh",
    "form", "base", "style", "css-url", "links", "remote-image-query", "fence-language-html",
}  # fmt: skip


# --- the inertness check ------------------------------------------------------------------------

BANNED_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button",
    "base", "link", "svg", "math", "video", "audio", "source", "track", "noscript", "template",
    "details", "portal", "textarea", "select",
}  # fmt: skip
URL_ATTRS = {"href", "src", "action", "formaction", "data", "poster", "background", "xlink:href", "cite"}
BANNED_ATTRS = {"style", "srcdoc", "srcset", "ping", "formaction", "action", "background", "poster"}
HEAD_METAS = [
    {"charset": "utf-8"},
    {"http-equiv": "Content-Security-Policy", "content": CONTENT_SECURITY_POLICY},
    {"name": "referrer", "content": "no-referrer"},
    {"name": "viewport", "content": "width=device-width, initial-scale=1"},
]


@dataclass
class Page:
    elements: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    _in_style: bool = False


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "style":
            self.page.styles.append("")
            self.page._in_style = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.page.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.page._in_style = False

    def handle_data(self, data: str) -> None:
        if self.page._in_style:
            self.page.styles[-1] += data


def parse_page(text: str) -> Page:
    collector = _Collector()
    collector.feed(text)
    collector.close()
    return collector.page


def active_content(text: str, remote: str) -> list[str]:
    """Everything in an HTML page that could run, fetch or navigate; [] for an inert page."""
    page = parse_page(text)
    found: list[str] = []
    for tag, attrs in page.elements:
        if tag in BANNED_TAGS:
            found.append(f"<{tag}>")
        if tag == "meta" and attrs not in HEAD_METAS:
            found.append(f"<meta {attrs}>")
        for name, value in attrs.items():
            probe = "".join(value.split()).lower()
            if name.startswith("on") or name in BANNED_ATTRS:
                found.append(f"<{tag} {name}>")
            if name in URL_ATTRS and probe.startswith(("javascript:", "vbscript:", "data:text", "file:")):
                found.append(f"<{tag} {name}={value[:40]}>")
            if name == "src" and not (probe.startswith("data:image/") and not probe.startswith("data:image/svg")):
                found.append(f"<{tag} src={value[:40]}>")
            if name == "href" and tag != "a":
                found.append(f"<{tag} href>")
            if tag == "a" and name == "href" and not probe.startswith(("http:", "https:", "mailto:")):
                found.append(f"<a href={value[:40]}>")
    # The one stylesheet is the app's own; a card's CSS never reaches the page.
    if [css.strip() for css in page.styles] != [preview_stylesheet("light").strip()]:
        found.append(f"{len(page.styles)} <style> blocks, not the app's stylesheet alone")
    for css in page.styles:
        if remote in css or "@import" in css:
            found.append("remote CSS")
    return found


def test_the_catalog_covers_every_kind_issue_7_names() -> None:
    kinds = hostile_kinds(PARSE_BASE)
    assert ISSUE_KINDS <= set(kinds)
    assert len(kinds) >= 12


def test_the_check_finds_active_content_in_an_unsanitized_page() -> None:
    # The control: the same payloads, not sanitized, are all caught by active_content.
    raw = "".join(hostile_kinds(PARSE_BASE).values())
    found = active_content(f"<html><body>{raw}</body></html>", PARSE_BASE)
    for expected in ("<script>", "<iframe>", "<embed>", "<object>", "<form>", "<base>", "<link>",
                     "<img onerror>", "<svg onload>", "<div style>", "<iframe srcdoc>", "<img srcset>"):
        assert expected in found, expected
    assert any(f.startswith("<meta") for f in found)
    assert any(f.startswith("<a href=javascript:") for f in found)
    assert any(f.startswith("<a href=data:text") for f in found)
    assert any(f.startswith("<a href=file:") for f in found)
    assert any(f.startswith(f"<img src={PARSE_BASE}/img.png?card=1") for f in found)


@pytest.mark.parametrize("kind", sorted(hostile_kinds(PARSE_BASE)))
def test_each_kind_alone_exports_an_inert_page(kind: str, tmp_path: Path) -> None:
    page = export_html(tmp_path, PARSE_BASE, [kind])
    assert active_content(page.read_text(encoding="utf-8"), PARSE_BASE) == []


def test_every_kind_together_exports_an_inert_page_that_still_reads(tmp_path: Path) -> None:
    page = export_html(tmp_path, PARSE_BASE)
    text = page.read_text(encoding="utf-8")
    assert active_content(text, PARSE_BASE) == []
    parsed = parse_page(text)
    # Every card is there, with its code, and the harmless parts survive.
    assert sum(1 for tag, _ in parsed.elements if tag == "article") == len(hostile_kinds(PARSE_BASE)) + 1
    assert text.count("<h2>Why this works</h2>") == len(hostile_kinds(PARSE_BASE)) + 1
    assert "&lt;script&gt;" in text.split("<title>", 1)[1].split("</title>", 1)[0]
    # A hostile fence language is code text now (or, unparsed as a fence, sanitized raw HTML).
    assert "&lt;img src=" in text and "fence-info.png" in text and 'src="http' not in text
