"""Property tests of the plan parser: it never raises, issues point at real lines, components round-trip."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.plan import encode_like, parse_plan
from tests.helpers.plans import check_plan_invariants

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces that steer random input into the parser's interesting corners.
TEXT_PIECES = [
    "---\n", "...\n", "## ", "##", "###", "# ", "\n", "\r\n", "\r", "```", "~~~", "````", "   ",
    "    ", "\t", "title: ", "concurrency: ", "max_tokens: 99999", "[", "]", "{", ": ", "!!python/object ",
    "&a ", "*a", "<<: ", "- ", "'", '"', "\x00", "\ufeff", "\u2028", "#", "A", "a", "Straße", "é", "\\",
]
BYTE_PIECES = [p.encode("utf-8") for p in TEXT_PIECES] + [b"\xff", b"\xc3", b"\xe2\x82", b"\xef\xbb\xbf"]

texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(TEXT_PIECES), st.text(max_size=8)), max_size=60).map("".join),
)
blobs = st.one_of(
    st.binary(max_size=300),
    st.lists(st.one_of(st.sampled_from(BYTE_PIECES), st.binary(max_size=6)), max_size=60).map(b"".join),
)


@FAST
@given(texts)
def test_arbitrary_text_never_raises(text: str) -> None:
    check_plan_invariants(parse_plan(text), text)


@FAST
@given(blobs)
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    check_plan_invariants(parse_plan(data), data)


@FAST
@given(
    st.dictionaries(
        st.text(max_size=12),
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
        max_size=6,
    )
)
def test_random_front_matter_never_raises(values: dict[str, object]) -> None:
    body = "".join(f"{k!r}: {v!r}\n" for k, v in values.items())
    text = f"---\n{body}---\n## A\nx\n"
    plan = parse_plan(text)
    check_plan_invariants(plan, text)


# Names: no line breaks, at least one visible character, and no trailing '#' (a closing sequence).
NAME_ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r")
names = (
    st.text(NAME_ALPHABET, min_size=1, max_size=20)
    .filter(lambda n: n.split() and not n.rstrip().endswith("#"))
)
# Instruction lines never look like a heading or a fence: they start with a letter.
instruction_lines = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from("abcXYZ"),
    st.text(NAME_ALPHABET, max_size=30),
)
instructions = st.lists(st.one_of(instruction_lines, st.just("")), max_size=5).map("\n".join)


def unique_by_key(items: list[tuple[str, str]]) -> bool:
    keys = [" ".join(name.split()).casefold() for name, _ in items]
    return len(keys) == len(set(keys))


@FAST
@given(
    st.lists(st.tuples(names, instructions), min_size=1, max_size=12).filter(unique_by_key),
    st.sampled_from(["\n", "\r\n", "\r"]),
    st.booleans(),
    st.booleans(),
)
def test_components_round_trip(
    components: list[tuple[str, str]], newline: str, bom: bool, front_matter: bool
) -> None:
    parts = ["---", "title: Round trip", "concurrency: 3", "---"] if front_matter else []
    parts += ["Shared context.", ""]
    expected_lines = []
    for name, instruction in components:
        expected_lines.append(len(parts) + 1)
        parts.append(f"## {name}")
        parts.extend(instruction.split("\n"))
    text = "\n".join(parts) + "\n"
    data = encode_like(("\ufeff" if bom else "") + text, None)
    data = data.replace(b"\n", newline.encode())

    plan = parse_plan(data, default_title="default")

    assert [c.name for c in plan.components] == [" ".join(n.split()) for n, _ in components]
    assert [c.line for c in plan.components] == expected_lines
    assert [c.instruction.strip() for c in plan.components] == [i.strip() for _, i in components]
    assert plan.context == "Shared context."
    assert plan.errors == ()
    assert plan.settings.title == ("Round trip" if front_matter else "default")
    assert plan.settings.concurrency == (3 if front_matter else 4)
    # Only empty instructions may warn, each on its heading's line.
    empty = [line for line, (_, i) in zip(expected_lines, components) if not i.strip()]
    assert [w.line for w in plan.warnings] == empty
