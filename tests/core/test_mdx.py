"""MDX-safe Markdown renders as written, and MDX finds nothing in it to read as code."""

from __future__ import annotations

from html.parser import HTMLParser

import markdown
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown_it import MarkdownIt
from markdown_it.token import Token

from app.core.fences import fenced_lines
from app.core.mdx import mdx_safe, unsafe_chars
from app.core.render import render_card, sanitize_html


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def rendered_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())


def as_written(text: str) -> str:
    """The text Python-Markdown renders when every ``<`` the writer typed is a character: no raw
    HTML and no autolinks, which the card contract does not allow anyway. Sanitized like every
    card, so that only the escaping differs between the two sides."""
    md = markdown.Markdown(extensions=[FencedCodeExtension(), SaneListExtension()])
    for name in ("html", "autolink", "automail"):
        md.inlinePatterns.deregister(name)
    md.preprocessors.deregister("html_block")
    return rendered_text(sanitize_html(md.convert(text)))


# CommonMark as MDX reads it: no indented code; escapes and entities kept apart from text.
_MDX_LIKE = MarkdownIt("commonmark").disable(["text_join", "code"])


def reaching_mdx(text: str) -> list[str]:
    """What MDX would read as JSX, a JavaScript expression or an ES module statement."""
    found: list[str] = []

    def walk(tokens: list[Token]) -> None:
        for token in tokens:
            if token.type in ("html_block", "html_inline") or token.markup == "autolink":
                found.append(token.content or token.markup)
            elif token.type == "text" and any(c in token.content for c in "{}<"):
                found.append(token.content)
            walk(token.children or [])

    walk(_MDX_LIKE.parse(text))
    lines = text.split("\n")
    for index, fence in fenced_lines(lines):
        if fence is None and lines[index].lstrip(" ").startswith(("import ", "export ")):
            found.append(lines[index])
    return found


# No digits and no hex letters: after a "&#" they would make a numeric character reference, which
# Python-Markdown reads without its ";" (CommonMark does not) whatever the escaping does.
_WORD = st.text(alphabet="qrstuvwQRS", min_size=1, max_size=6)
_PUNCTUATION = st.sampled_from(
    list("{}<>&;*_#!.,:=/\\'\"()[]")
    + ["Map<string, User>", "{ id }", "a < b", "<T>", "<b>x</b>", "&lt;", "&amp;", "\\{", "\\<",
       "\\\\", "<https://x.org/a>", "<me@x.org>", "<!-- c -->", "x<y", "{{", "}}"]
)  # fmt: skip
# Spaced apart from other backticks: runs like "`a```b``" are read differently by CommonMark (MDX)
# and Python-Markdown, escaped or not.
_CODE_SPAN = st.builds(
    lambda ticks, body: f" {ticks}{body}{ticks} ",
    st.sampled_from(["`", "``"]),
    st.text(alphabet="ab {}<>&\\*_", min_size=1, max_size=8).filter(lambda s: s.strip()),
)
_LINE = st.lists(st.one_of(_WORD, _PUNCTUATION, _CODE_SPAN), min_size=1, max_size=10).flatmap(
    lambda parts: st.lists(st.sampled_from([" ", ""]), min_size=len(parts), max_size=len(parts)).map(
        lambda gaps: "".join(g + p for g, p in zip(gaps, parts)).lstrip(" ")
    )
)
_FENCE = st.text(alphabet="ab {}<>`\n", max_size=20).map(lambda code: f"```ts\n{code.replace('```', '')}\n```")
_BLOCK = st.one_of(
    st.lists(_LINE, min_size=1, max_size=3).map("\n".join),
    _LINE.map(lambda line: "# " + line),
    _LINE.map(lambda line: "- " + line),
    st.sampled_from(["import x from 'y'", "export const a = 1", "text\nexport { a }"]),
    _FENCE,
)
PROSE = st.lists(_BLOCK, min_size=1, max_size=5).map("\n\n".join)


@settings(max_examples=400, deadline=None)
@given(PROSE)
@example("A user maps to a Map<string, User> entry keyed by { id }.")
@example("Escaped \\<div> and \\{ stay text; `code {x}` stays code.")
def test_escaped_prose_renders_as_written_and_nothing_reaches_mdx(text: str) -> None:
    safe = mdx_safe(text)
    assert rendered_text(render_card(safe)) == as_written(text)
    assert reaching_mdx(safe) == []
    assert mdx_safe(safe) == safe  # already safe text is left alone


@settings(max_examples=200, deadline=None)
@given(PROSE)
def test_code_is_unchanged(text: str) -> None:
    before, after = text.split("\n"), mdx_safe(text).split("\n")
    assert len(before) == len(after)
    fenced = [i for i, fence in fenced_lines(before) if fence is not None]
    assert [after[i] for i in fenced] == [before[i] for i in fenced]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a Map<string, User> keyed by { id }.", "a Map&lt;string, User> keyed by \\{ id \\}."),
        ("`Map<K, {V}>` is code", "`Map<K, {V}>` is code"),
        ("``a ` {b}`` and {c}", "``a ` {b}`` and \\{c\\}"),
        ("an `unclosed {span", "an `unclosed \\{span"),
        ("\\{kept\\} and \\<b>", "\\{kept\\} and \\\\&lt;b>"),
        ("export const a = 1", "&#101;xport const a = 1"),
        ("```ts\nconst a = {b: 1} < 2;\n```", "```ts\nconst a = {b: 1} < 2;\n```"),
        # A code span never continues into the next list item.
        ("- `a\n- {b}`", "- `a\n- \\{b\\}`"),
    ],
)
def test_examples(text: str, expected: str) -> None:
    assert mdx_safe(text) == expected


def test_unsafe_chars_point_at_each_character_outside_code() -> None:
    lines = ["# Title <T>", "", "x `{a}` {b}", "c", "```", "{d}", "```", "y <z"]
    hits = unsafe_chars(lines, code_lines={5, 6, 7})
    assert [(h.line, h.column, h.char) for h in hits] == [(1, 8, "<"), (3, 8, "{"), (3, 10, "}"), (8, 2, "<")]


def test_a_code_span_across_lines_of_one_paragraph_is_code() -> None:
    text = "see `Map<K,\nV>` here {x}"
    assert mdx_safe(text) == "see `Map<K,\nV>` here \\{x\\}"
    assert [(h.line, h.char) for h in unsafe_chars(text.split("\n"), set())] == [(2, "{"), (2, "}")]


@pytest.mark.parametrize("text", ["a {b}", "Map<T>", "a < b", "<https://x.org>", "x\n\nexport const a = 1"])
def test_the_mdx_oracle_sees_what_breaks_a_build(text: str) -> None:
    assert reaching_mdx(text) != []
    assert reaching_mdx(mdx_safe(text)) == []
