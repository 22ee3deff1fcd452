"""Tests for app.core.render: hostile cards never survive, and the stylesheet keeps the contract."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import contract
from app.core.render import (
    MAX_PREVIEW_BYTES,
    card_article,
    preview_stylesheet,
    render_card,
    render_document,
    sanitize_html,
    shell_html,
    too_large,
    too_large_notice,
)
from app.paths import resource

ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "pre", "code", "span", "div",
    "em", "strong", "b", "i", "ul", "ol", "li", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub",
}  # fmt: skip
CLASS_TAGS = {"span", "div", "code", "pre"}
APP_CLASSES = {"card", "notice", "finding", "error", "warning", "findings", "badge", "card-head"}
PNG_1PX = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


# --- helpers: parse HTML output ---------------------------------------------------------------


@dataclass
class Parsed:
    elements: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.elements}

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.elements if t == tag]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = Parsed()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.result.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.result.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.result.comments.append(data)


def parse(html_text: str) -> Parsed:
    collector = _Collector()
    collector.feed(html_text)
    collector.close()
    return collector.result


def assert_safe(html_text: str) -> Parsed:
    """The invariants every render_card output keeps, whatever the input."""
    parsed = parse(html_text)
    assert parsed.tags() <= ALLOWED_TAGS, parsed.tags() - ALLOWED_TAGS
    assert not parsed.comments
    for tag, attrs in parsed.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            assert name not in {"style", "id", "name", "srcdoc", "srcset", "action", "formaction"}
            if name == "class":
                assert tag in CLASS_TAGS
                assert not set((value or "").split()) & APP_CLASSES
        if tag == "a" and "href" in attrs:
            href = (attrs["href"] or "").strip().lower()
            assert href.startswith(("http:", "https:", "mailto:")), href
            assert set((attrs.get("rel") or "").split()) >= {"noopener", "noreferrer", "nofollow"}
        if tag == "img" and "src" in attrs:
            src = (attrs["src"] or "").lower()
            assert src.startswith("data:image/") and not src.startswith("data:image/svg"), src
    return parsed


def attribute_values(parsed: Parsed) -> list[str]:
    return [value or "" for _, attrs in parsed.elements for value in attrs.values()]


# --- hostile input ---------------------------------------------------------------------------

HOSTILE = {
    "script": "Hello <script>alert(1)</script> world",
    "script-block": "<script>\nalert(1)\n</script>\n",
    "img-onerror": "<img src=x onerror=alert(1)>",
    "svg-onload": "<svg onload=alert(1)><circle r=5 /></svg>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "iframe-src": '<iframe src="https://evil.example/"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "form": '<form action="https://evil.example/"><input name="q"><button>go</button></form>',
    "base": '<base href="https://evil.example/">',
    "style-tag": "<style>body { background: url(https://evil.example/x) }</style>",
    "style-attr": '<p style="background:url(https://evil.example/x)">text</p>',
    "link-javascript": "[x](javascript:alert(1))",
    "link-data-html": "[x](data:text/html,<script>alert(1)</script>)",
    "link-data-html-b64": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "link-file": "[x](file:///etc/passwd)",
    "link-vbscript": "[x](vbscript:msgbox)",
    "remote-image": "![](https://evil.example/x.png?q=1)",
    "svg-data-image": "![](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+PC9zdmc+)",
    "svg-data-image-raw": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "fence-lang": '```"><script>alert(1)</script>\ncode\n```\n',
    "fence-lang-attr": '```ts" onmouseover="alert(1)\ncode\n```\n',
    "mixed-case-js": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "entity-js": '<a href="&#106;avascript:alert(1)">x</a>',
    "hex-entity-js": '<a href="&#x6A;avascript&colon;alert(1)">x</a>',
    "tab-js": '<a href="java\tscript:alert(1)">x</a>',
    "space-js": '<a href="  javascript:alert(1)">x</a>',
    "md-entity-js": "[x](&#106;avascript:alert(1))",
    "md-autolink-js": "<javascript:alert(1)>",
    "protocol-relative": '<a href="//evil.example/">x</a>',
    "math-href": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "comment": "<!-- <script>alert(1)</script> -->text",
    "template": "<template><script>alert(1)</script></template>",
    "noscript": "<noscript><p title='</noscript><img src=x onerror=alert(1)>'></noscript>",
    "dom-clobber": '<p id="cards">x</p><img name="body">',
    "app-classes": '<div class="notice finding error card">fake finding</div>',
    "link-tag": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "details": "<details open ontoggle=alert(1)>x</details>",
    "video": '<video src="https://evil.example/v.mp4" poster="https://evil.example/p.png">',
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_markdown_never_survives(body: str) -> None:
    out = render_card(body)
    parsed = assert_safe(out)
    values = " ".join(attribute_values(parsed)).lower()
    assert "javascript" not in values
    assert "evil.example" not in values
    assert "alert" not in values


@pytest.mark.parametrize(
    "body",
    [
        "Hello <script>alert(1)</script> world",
        "<style>body { background: red }</style>ok",
        "<svg><script>alert(1)</script></svg>",
        "<template><script>alert(1)</script></template>",
    ],
)
def test_script_and_style_content_is_dropped(body: str) -> None:
    text = "".join(parse(render_card(body)).text)
    assert "alert" not in text
    assert "background" not in text


def test_event_handler_dropped_but_safe_image_kept() -> None:
    parsed = assert_safe(render_card(f'<img src="{PNG_1PX}" onerror="alert(1)" alt="dot">'))
    (img,) = parsed.all("img")
    assert img["src"] == PNG_1PX
    assert img["alt"] == "dot"
    assert "onerror" not in img


def test_markdown_data_png_image_survives() -> None:
    parsed = assert_safe(render_card(f"![a dot]({PNG_1PX})"))
    (img,) = parsed.all("img")
    assert img["src"] == PNG_1PX


def test_remote_and_svg_images_lose_their_source() -> None:
    for body in (HOSTILE["remote-image"], HOSTILE["svg-data-image"]):
        parsed = assert_safe(render_card(body))
        assert all("src" not in img for img in parsed.all("img"))


@pytest.mark.parametrize(
    "href", ["https://example.com/a?b=1&c=2", "http://example.com/", "mailto:writer@example.com"]
)
def test_safe_links_survive_with_rel(href: str) -> None:
    parsed = assert_safe(render_card(f"See [the docs]({href})."))
    (link,) = parsed.all("a")
    assert link["href"] == href
    assert set((link["rel"] or "").split()) == {"noopener", "noreferrer", "nofollow"}


def test_dangerous_links_keep_their_text_but_lose_href() -> None:
    parsed = assert_safe(render_card("Click [here](javascript:alert(1)) now."))
    (link,) = parsed.all("a")
    assert "href" not in link
    assert "here" in "".join(parsed.text)


def test_relative_links_are_dropped() -> None:
    parsed = assert_safe(render_card("[other card](other.md)"))
    assert all("href" not in a for a in parsed.all("a"))


def test_safe_attribute_keeps_link_title_and_drops_onclick() -> None:
    body = '<a href="https://ok.example/" title="t" onclick="x()">ok</a>'
    parsed = assert_safe(render_card(body))
    (link,) = parsed.all("a")
    assert link["href"] == "https://ok.example/"
    assert link["title"] == "t"


# --- code blocks ------------------------------------------------------------------------------

TS_CARD = """# Session Token

Signs a token. It expires soon.

```typescript
export function issue(userId: string): string {
  return sign({ sub: userId }, "k");
}
```

## Why this works
Short tokens limit damage. The payload stays small.
"""


def test_typescript_block_keeps_pygments_classes() -> None:
    parsed = assert_safe(render_card(TS_CARD))
    divs = [attrs for attrs in parsed.all("div") if "highlight" in (attrs.get("class") or "")]
    assert len(divs) == 1
    span_classes = {attrs.get("class") for attrs in parsed.all("span")}
    assert "kd" in span_classes  # `function` / `export` keyword declarations
    assert {"nx", "s2"} & span_classes
    assert parsed.all("pre") and parsed.all("code")


def test_unknown_language_falls_back_to_plain_text() -> None:
    out = render_card("```nosuchlanguage\nlet x = <b>1</b>\n```\n")
    parsed = assert_safe(out)
    assert "b" not in parsed.tags()
    assert "let x = <b>1</b>" in "".join(parsed.text)
    assert all(not attrs.get("class") for attrs in parsed.all("span"))


def test_html_inside_code_is_text_not_markup() -> None:
    parsed = assert_safe(render_card("```html\n<script>alert(1)</script>\n```\n"))
    assert "script" not in parsed.tags()
    assert "<script>alert(1)</script>" in "".join(parsed.text)


def test_sane_lists_keep_start_number() -> None:
    parsed = assert_safe(render_card("3. three\n4. four\n"))
    (ol,) = parsed.all("ol")
    assert ol["start"] == "3"


def test_render_is_deterministic_and_independent_of_previous_cards() -> None:
    first = render_card(TS_CARD)
    render_card("[^1]: footnote-ish\n\n*[HTML]: abbr\n\n# Other\n\n```py\nx = 1\n```\n")
    assert render_card(TS_CARD) == first


def test_sanitize_html_is_the_same_allowlist() -> None:
    out = sanitize_html('<p onclick="x">a</p><script>alert(1)</script>')
    assert parse(out).tags() == {"p"}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*HOSTILE.values(), "text", "\n\n", "```ts\n", "```\n", "<", ">", '"', "'", "&#", "](",
             "[", "![", "javascript:", "data:image/png;base64,AA", "<a href=", "<img src=", " on",
             "=", "`"]
        ),
        max_size=12,
    ).map("".join)
)
def test_any_mix_of_hostile_pieces_stays_safe(body: str) -> None:
    assert_safe(render_card(body))


# --- size ------------------------------------------------------------------------------------


def test_too_large_boundary_counts_utf8_bytes() -> None:
    assert not too_large("a" * MAX_PREVIEW_BYTES)
    assert too_large("a" * (MAX_PREVIEW_BYTES + 1))
    two_byte = "é" * (MAX_PREVIEW_BYTES // 2)
    assert not too_large(two_byte)
    assert too_large(two_byte + "é")


def test_too_large_notice_is_a_notice() -> None:
    parsed = parse(too_large_notice(1_234_567))
    assert parsed.elements == [("p", {"class": "notice"})]
    assert "1,234,567" in "".join(parsed.text)


# --- stylesheet: the contract's geometry -----------------------------------------------------


@dataclass(frozen=True)
class Rule:
    context: str  # enclosing at-rules, "" at top level
    selectors: tuple[str, ...]
    declarations: tuple[tuple[str, str], ...]

    def get(self, prop: str) -> str | None:
        values = [v for p, v in self.declarations if p == prop]
        return values[-1] if values else None


def parse_css(text: str) -> list[Rule]:
    """A small brace-aware parser: enough for declarations of plain rules inside at-blocks."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rules: list[Rule] = []
    stack: list[str] = []
    buf: list[str] = []
    for ch in text:
        if ch == "{":
            stack.append("".join(buf).strip())
            buf = []
        elif ch == "}":
            header = stack.pop()
            if not header.startswith("@"):
                decls = []
                for part in "".join(buf).split(";"):
                    prop, sep, value = part.partition(":")
                    if sep:
                        decls.append((prop.strip().lower(), " ".join(value.split())))
                selectors = tuple(" ".join(s.split()) for s in header.split(","))
                rules.append(Rule(" ".join(stack), selectors, tuple(decls)))
            buf = []
        else:
            buf.append(ch)
    assert not stack, "unbalanced braces"
    return rules


@pytest.fixture(scope="module")
def css_rules() -> list[Rule]:
    return parse_css(resource("preview.css").read_text(encoding="utf-8"))


def rules_for(rules: list[Rule], selector: str, *, context: str = "") -> list[Rule]:
    return [r for r in rules if selector in r.selectors and r.context == context]


def px(value: int) -> str:
    return f"{value}px"


def test_pre_geometry_matches_contract(css_rules: list[Rule]) -> None:
    (pre,) = [r for r in rules_for(css_rules, "pre") if r.get("font-size")]
    assert pre.get("font-size") == px(contract.CODE_FONT_PX)
    assert pre.get("padding-left") == px(contract.PRE_PADDING_PX)
    assert pre.get("padding-right") == px(contract.PRE_PADDING_PX)
    assert (pre.get("border") or "").split()[0] == px(contract.PRE_BORDER_PX)
    assert pre.get("white-space") == "pre"
    assert pre.get("overflow-x") == "auto"
    assert pre.get("margin-left") == "0" and pre.get("margin-right") == "0"
    families = [r.get("font-family") for r in rules_for(css_rules, "pre") if r.get("font-family")]
    assert len(families) == 1
    assert families[0].split(",")[0].strip() == '"DejaVu Sans Mono"'
    assert families[0].split(",")[-1].strip() == "monospace"


def test_body_and_scrollbar_geometry_match_contract(css_rules: list[Rule]) -> None:
    (body,) = rules_for(css_rules, "body")
    assert body.get("margin") == "0"
    assert body.get("padding-left") == px(contract.BODY_PADDING_PX)
    assert body.get("padding-right") == px(contract.BODY_PADDING_PX)
    (html_rule,) = rules_for(css_rules, "html")
    assert html_rule.get("overflow-y") == "scroll"
    (bar,) = rules_for(css_rules, "::-webkit-scrollbar")
    assert bar.get("width") == px(contract.SCROLLBAR_PX)
    universal = rules_for(css_rules, "*")
    assert universal and universal[0].get("box-sizing") == "border-box"


def test_export_column_equals_preview_content_width(css_rules: list[Rule]) -> None:
    expected = contract.DEFAULT_COLUMN_PX - contract.SCROLLBAR_PX - 2 * contract.BODY_PADDING_PX
    (column,) = rules_for(css_rules, ".document #cards")
    assert column.get("max-width") == px(expected)


HORIZONTAL_BOX = {
    "padding", "padding-left", "padding-right", "padding-inline", "padding-inline-start",
    "padding-inline-end", "margin", "margin-left", "margin-right", "margin-inline",
    "border", "border-left", "border-right", "border-width", "border-inline", "width",
    "max-width", "font-size", "letter-spacing", "word-spacing", "font",
}  # fmt: skip
ZERO = {"0", "0px", "none", "inherit", "auto"}


def _horizontal_parts(prop: str, value: str) -> list[str]:
    """The left/right components of a box shorthand (1 to 4 values), else the value itself."""
    parts = value.split()
    if prop in {"padding", "margin", "border-width"} and 1 <= len(parts) <= 4:
        return [parts[0]] if len(parts) == 1 else [parts[1], parts[3 if len(parts) == 4 else 1]]
    return [value]


def _sets_horizontal_geometry(rule: Rule) -> dict[str, str]:
    return {
        prop: value
        for prop, value in rule.declarations
        if prop in HORIZONTAL_BOX and not set(_horizontal_parts(prop, value)) <= ZERO
    }


def _targets_code_path(selector: str) -> bool:
    """Selectors that reach <main>, the card, div.highlight, <pre> or the code inside it."""
    if selector.startswith((".document", "body.document")):
        return False  # export-only centring, checked separately
    last = selector.split()[-1]
    return bool(
        re.fullmatch(r"(main|#cards|article|\.card|article\.card|div\.highlight|\.highlight)", last)
        or re.search(r"(^|[\s>])pre(\s|$|>|\.|:)", selector + " ")
        or re.search(r"(^|[\s>.])highlight\b.*\s(span|code|\.[a-z0-9]+)$", selector)
    )


def test_nothing_else_changes_the_code_width(css_rules: list[Rule]) -> None:
    stylesheet_rules = parse_css(preview_stylesheet(None))
    (contract_pre,) = [r for r in rules_for(css_rules, "pre") if r.get("font-size")]
    offenders = []
    for rule in stylesheet_rules:
        if rule == contract_pre:
            continue
        for selector in rule.selectors:
            if _targets_code_path(selector) and (bad := _sets_horizontal_geometry(rule)):
                offenders.append((rule.context, selector, bad))
    assert not offenders


def test_scrollbar_width_is_not_disabled_by_standard_properties() -> None:
    css = re.sub(r"/\*.*?\*/", "", preview_stylesheet(None), flags=re.S)
    assert "scrollbar-width" not in css
    assert "scrollbar-color" not in css
    assert "scrollbar-gutter" not in css


def test_geometry_rules_are_not_inside_media_queries(css_rules: list[Rule]) -> None:
    for rule in css_rules:
        if rule.context:
            assert not {"pre", "body", "html", "::-webkit-scrollbar"} & set(rule.selectors)


def test_theme_blocks_define_the_same_custom_properties(css_rules: list[Rule]) -> None:
    (light,) = rules_for(css_rules, ":root")
    (forced_dark,) = rules_for(css_rules, ":root.theme-dark")
    (media_dark,) = rules_for(
        css_rules, ":root:not(.theme-light)", context="@media (prefers-color-scheme: dark)"
    )
    names = {p for p, _ in light.declarations if p.startswith("--")}
    assert len(names) >= 10
    assert {p for p, _ in forced_dark.declarations if p.startswith("--")} == names
    assert forced_dark.declarations == media_dark.declarations


def test_card_classes_are_styled(css_rules: list[Rule]) -> None:
    selectors = {s for r in css_rules for s in r.selectors}
    for needed in (".card", ".findings", ".finding.error", ".finding.warning", ".notice", ".badge"):
        assert needed in selectors


# --- stylesheet: Pygments --------------------------------------------------------------------


def test_light_and_dark_stylesheets_carry_one_pygments_style_each() -> None:
    light = preview_stylesheet("light")
    dark = preview_stylesheet("dark")
    assert ".highlight .kd" in light and ".highlight .kd" in dark
    assert light != dark
    assert "theme-dark .highlight" not in light


def test_auto_stylesheet_scopes_both_styles() -> None:
    css = preview_stylesheet(None)
    assert css == preview_stylesheet("auto")
    rules = parse_css(css)
    kd = [r for r in rules if any(s.endswith(".highlight .kd") for s in r.selectors)]
    scopes = {(r.context, s.split(" .highlight")[0]) for r in kd for s in r.selectors}
    assert scopes == {
        ("", "html.theme-light"),
        ("", "html.theme-dark"),
        ("@media (prefers-color-scheme: light)", "html:not(.theme-dark)"),
        ("@media (prefers-color-scheme: dark)", "html:not(.theme-light)"),
    }


def test_pygments_rules_never_take_horizontal_space() -> None:
    base = resource("preview.css").read_text(encoding="utf-8")
    for theme in ("light", "dark", "auto"):
        pygments_part = preview_stylesheet(theme)[len(base.rstrip()) :]
        for rule in parse_css(pygments_part):
            assert not {p for p, _ in rule.declarations} & {
                "border", "padding", "margin", "font-size", "letter-spacing", "width",
            }  # fmt: skip


def test_unknown_theme_is_rejected() -> None:
    with pytest.raises(ValueError, match="theme"):
        preview_stylesheet("sepia")  # type: ignore[arg-type]


# --- pages -----------------------------------------------------------------------------------


def _csp(page: str) -> dict[str, str]:
    metas = [
        attrs
        for attrs in parse(page).all("meta")
        if (attrs.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    assert len(metas) == 1
    directives = {}
    for part in (metas[0]["content"] or "").split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def _assert_inert_page(page: str) -> Parsed:
    parsed = parse(page)
    assert "script" not in parsed.tags()
    assert not {"link", "iframe", "object", "embed", "base", "form"} & parsed.tags()
    for tag, attrs in parsed.elements:
        assert not any(name.startswith("on") for name in attrs), tag
        if tag == "img":
            assert (attrs.get("src") or "data:image/").startswith("data:image/")
    assert "@import" not in page
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", page)
    csp = _csp(page)
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'none'"
    assert csp["style-src"] == "'unsafe-inline'"
    assert csp["img-src"] == "data:"
    # The CSP must come before anything it governs.
    head = page.split("<head>", 1)[1]
    assert head.index("Content-Security-Policy") < head.index("<style>")
    return parsed


def test_render_document_is_inert_and_wraps_each_card() -> None:
    fragments = [render_card(TS_CARD), render_card(HOSTILE["script"]), too_large_notice(2_000_000)]
    title = "Auth <script>alert(1)</script> & co"
    page = render_document(title, fragments, theme="light")
    assert page.startswith("<!DOCTYPE html>")
    parsed = _assert_inert_page(page)
    assert parsed.all("meta")[0] == {"charset": "utf-8"}
    articles = parsed.all("article")
    assert len(articles) == len(fragments)
    assert all(a == {"class": "card"} for a in articles)
    assert "Auth <script>alert(1)</script> & co" in "".join(parsed.text)
    assert "&lt;script&gt;" in page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert parsed.all("html") == [{"lang": "en", "class": "theme-light"}]
    assert ".highlight .kd" in page


def test_render_document_is_deterministic() -> None:
    fragments = [render_card(TS_CARD), render_card("# B\n\nText.")]
    first = render_document("T", fragments, theme="dark")
    assert render_document("T", list(fragments), theme="dark") == first
    assert render_document("T", fragments, theme="light") != first
    assert parse(render_document("T", [], theme=None)).all("article") == []


def test_shell_is_inert_with_one_empty_cards_container() -> None:
    page = shell_html()
    parsed = _assert_inert_page(page)
    assert parsed.all("main") == [{"id": "cards"}]
    assert re.search(r'<main id="cards">\s*</main>', page)
    assert parsed.all("html") == [{"lang": "en"}]
    assert shell_html() == page


def test_shell_theme_only_sets_the_html_class() -> None:
    dark = shell_html("dark")
    assert parse(dark).all("html") == [{"lang": "en", "class": "theme-dark"}]
    # Both Pygments styles stay in the shell so the app can switch theme by toggling the class.
    assert dark.replace(' class="theme-dark"', "") == shell_html(None)


def test_card_article_wraps_a_fragment() -> None:
    parsed = parse(card_article("<p>x</p>"))
    assert parsed.elements == [("article", {"class": "card"}), ("p", {})]


def test_prose_with_angle_brackets_that_are_no_tag_renders_as_written() -> None:
    # Python-Markdown alone reads "<string, User>" as a tag, and the sanitizer then drops it.
    html = render_card("# T\n\nA user maps to a Map<string, User> entry, and a <b>bold</b> word.\n")
    assert "Map&lt;string, User&gt; entry" in html
    assert "<b>bold</b>" in html  # a real tag is still HTML (and the sanitizer's to judge)
