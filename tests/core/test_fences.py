"""The one fence scanner: CommonMark's rules for where fenced code starts and ends."""

from __future__ import annotations

import markdown
from hypothesis import given
from hypothesis import strategies as st

from app.core.fences import close_open_fence, closes_fence, fence_opening, fenced_lines, unclosed_fence


def test_opening_fences_and_their_parts() -> None:
    opening = fence_opening("  ````ts title=x")
    assert opening is not None
    assert (opening.char, opening.length, opening.indent, opening.tag) == ("`", 4, 2, "ts")
    assert fence_opening("~~~") is not None
    assert fence_opening("    ```") is None  # four spaces: an indented code block instead
    assert fence_opening("``") is None
    assert fence_opening("``` a`b") is None  # a backtick fence's info string holds no backticks
    assert fence_opening("~~~ a`b") is not None


def test_closing_needs_the_same_char_and_at_least_the_length() -> None:
    assert closes_fence("````", "`", 4)
    assert closes_fence("`````  ", "`", 4)
    assert not closes_fence("```", "`", 4)
    assert not closes_fence("~~~~", "`", 3)
    assert not closes_fence("``` x", "`", 3)  # a closing fence has no info string
    assert not closes_fence("    ```", "`", 3)


def test_fenced_lines_mark_the_fence_lines_and_the_code_between() -> None:
    lines = ["# T", "```ts", "## not a heading", "```", "after"]
    inside = [fence is not None for _, fence in fenced_lines(lines)]
    assert inside == [False, True, True, True, False]


def test_a_fence_still_open_is_closed_for_display_only() -> None:
    streaming = "# Card\n\n```typescript\ninterface A {\n  id: string;"
    assert unclosed_fence(streaming) is not None
    closed = close_open_fence(streaming)
    assert closed.startswith(streaming) and closed.endswith("\n```\n")
    assert unclosed_fence(closed) is None
    assert "<pre>" in markdown.markdown(closed, extensions=["fenced_code"])
    finished = streaming + "\n```\n"
    assert close_open_fence(finished) == finished


@given(st.lists(st.sampled_from(["```", "~~~~", "````", "code", "# h", "", "   ~~~ x"]), max_size=12))
def test_closing_an_open_fence_always_leaves_none_open(lines: list[str]) -> None:
    assert unclosed_fence(close_open_fence("\n".join(lines))) is None
