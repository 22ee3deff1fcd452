"""Card files: body normalization, deterministic front matter, round trips and malformed files."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.card import (
    UNKNOWN_COST,
    CardMeta,
    Finding,
    body_sha256,
    normalize_body,
    parse_card,
    serialize_card,
)
from app.errors import StoreError

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

BODY = "# User Model\n\nStores identity. Keeps secrets apart.\n\n```ts\nconst a = 1;\n```\n"

FULL_META = CardMeta(
    component="User Model",
    status="done",
    model="claude-haiku-4-5",
    input_tokens=812,
    output_tokens=298,
    cost_usd=0.002302,
    duration_s=2.5,
    request_sha256="a" * 64,
    body_sha256="b" * 64,
    generated_at="2026-11-25T12:00:00Z",
    locked=True,
    findings=(
        Finding("line-width", "error", "too wide", 7),
        Finding("why-section", "error", "missing"),
    ),
)


def front_matter(text: str) -> dict[str, object]:
    _, yaml_text, _ = text.split("---\n", 2)
    return yaml.safe_load(yaml_text)


def card_text(yaml_text: str, body: str = "# X\n") -> str:
    return f"---\n{yaml_text}---\n\n{body}"


# --- normalize_body ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\r\nb\r\n", "a\nb\n"),
        ("a\rb", "a\nb\n"),
        ("a\r\n\r\n\r\n", "a\n"),
        ("a\n  \n\t\n", "a\n"),
        ("a", "a\n"),
        ("a\n\n\nb\n", "a\n\n\nb\n"),
        ("line with hard break  \nnext", "line with hard break  \nnext\n"),
        ("\n\nleading kept\n", "\n\nleading kept\n"),
        ("", ""),
        (" \n\r\n\t", ""),
    ],
)
def test_normalize_body(raw: str, expected: str) -> None:
    assert normalize_body(raw) == expected


@given(st.lists(st.sampled_from(["a", " ", "\t", "\n", "\r", "\r\n", "é"]), max_size=40).map("".join))
@FAST
def test_normalize_body_is_idempotent_and_lf_only(raw: str) -> None:
    once = normalize_body(raw)
    assert normalize_body(once) == once
    assert "\r" not in once
    assert once == "" or (once.endswith("\n") and not once.endswith("\n\n") and once.strip())


def test_body_sha256_ignores_line_endings_and_trailing_blank_lines() -> None:
    expected = hashlib.sha256(b"a\nb\n").hexdigest()
    assert body_sha256("a\nb") == expected
    assert body_sha256("a\r\nb\r\n\r\n") == expected
    assert body_sha256("a\nc") != expected


# --- serialize_card ------------------------------------------------------------------------------


def test_serialize_layout_and_field_order() -> None:
    text = serialize_card(FULL_META, BODY)
    assert text.startswith("---\ncomponent: User Model\nstatus: done\n")
    assert text.endswith("---\n\n" + BODY)
    keys = list(front_matter(text))
    assert keys == [
        "component", "status", "model", "input_tokens", "output_tokens", "cache_read_tokens",
        "cache_write_tokens", "cost_usd", "duration_s",
        "request_sha256", "body_sha256", "generated_at", "locked", "findings",
    ]  # fmt: skip


def test_a_batch_card_says_so_last_and_a_live_card_keeps_its_bytes() -> None:
    live = serialize_card(FULL_META, BODY)
    assert "batch" not in front_matter(live)
    # The bytes a live card had before the batch key existed: the same keys, in the same order.
    data = {k: v for k, v in front_matter(live).items()}
    assert live == "---\n" + yaml.dump(data, sort_keys=False, allow_unicode=True, width=1 << 30) + "---\n\n" + BODY
    batched = serialize_card(replace(FULL_META, batch=True), BODY)
    assert list(front_matter(batched))[-1] == "batch" and front_matter(batched)["batch"] is True
    assert batched.replace("batch: true\n", "") == live
    assert parse_card(batched)[0].batch is True and parse_card(live)[0].batch is False


def test_serialize_values() -> None:
    data = front_matter(serialize_card(FULL_META, BODY))
    assert data["cost_usd"] == 0.002302
    assert data["generated_at"] == "2026-11-25T12:00:00Z"
    assert data["locked"] is True
    assert data["findings"] == [
        {"rule": "line-width", "severity": "error", "message": "too wide", "line": 7},
        {"rule": "why-section", "severity": "error", "message": "missing"},
    ]


def test_unknown_cost_is_written_as_unknown() -> None:
    text = serialize_card(CardMeta(component="X", cost_usd=None), BODY)
    assert f"cost_usd: {UNKNOWN_COST}\n" in text
    assert parse_card(text)[0].cost_usd is None


def test_serialize_is_deterministic_and_normalizes_the_body() -> None:
    first = serialize_card(FULL_META, BODY.replace("\n", "\r\n") + "\r\n\r\n")
    assert first == serialize_card(FULL_META, BODY)
    assert "\r" not in first


def test_serialize_keeps_unicode_and_long_names_on_one_line() -> None:
    name = "Überprüfung der Sitzung — " + "très long " * 20
    text = serialize_card(CardMeta(component=name), BODY)
    assert "Überprüfung" in text and "\\u" not in text
    component_lines = [line for line in text.splitlines() if line.startswith("component:")]
    assert len(component_lines) == 1
    assert parse_card(text)[0].component == name


def test_serialize_quotes_names_that_yaml_would_misread() -> None:
    for name in ("yes", "123", "null", "a: b", "- item", "# not a comment", "'quoted'", "2026-01-01"):
        meta = CardMeta(component=name)
        assert parse_card(serialize_card(meta, BODY))[0].component == name


# --- round trips ---------------------------------------------------------------------------------


def test_round_trip_full_meta() -> None:
    assert parse_card(serialize_card(FULL_META, BODY)) == (FULL_META, BODY)


def test_round_trip_defaults_and_empty_body() -> None:
    meta = CardMeta(component="Rate Limiter")
    assert parse_card(serialize_card(meta, "")) == (meta, "")


def test_round_trip_body_with_leading_blank_lines_and_front_matter_lookalikes() -> None:
    body = "\n\n---\nnot: front matter\n---\n# Title\n"
    assert parse_card(serialize_card(FULL_META, body)) == (FULL_META, body)


names = st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30).filter(
    lambda s: s.strip() != ""
)
metas = st.builds(
    CardMeta,
    component=names,
    model=st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), max_size=20),
    input_tokens=st.integers(0, 10**9),
    output_tokens=st.integers(0, 10**9),
    cost_usd=st.one_of(st.none(), st.floats(0, 1e6, allow_nan=False, allow_infinity=False)),
    duration_s=st.floats(0, 1e6, allow_nan=False, allow_infinity=False),
    request_sha256=st.text("0123456789abcdef", max_size=64),
    body_sha256=st.text("0123456789abcdef", max_size=64),
    generated_at=st.sampled_from(["", "2026-11-25T12:00:00Z", "2026-01-02T03:04:05Z"]),
    locked=st.booleans(),
    batch=st.booleans(),
    findings=st.lists(
        st.builds(
            Finding,
            rule=st.sampled_from(["heading", "line-width", "syntax"]),
            severity=st.sampled_from(["error", "warning"]),
            message=st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
            line=st.one_of(st.none(), st.integers(1, 500)),
        ),
        max_size=4,
    ).map(tuple),
)
bodies = st.lists(
    st.sampled_from(["# T", "", "---", "text", "  ", "\t", "```ts", "é", "\r\n", "\r", "\n", "..."]),
    max_size=20,
).map("".join)


@given(metas, bodies)
@FAST
def test_round_trip_property(meta: CardMeta, body: str) -> None:
    assert parse_card(serialize_card(meta, body)) == (meta, normalize_body(body))


# --- parse_card: tolerated variations ------------------------------------------------------------


def test_parse_tolerates_bom_crlf_unknown_keys_and_missing_optional_keys() -> None:
    text = (
        "\ufeff---\r\ncomponent: Login Handler\r\nfuture_key: 1\r\nlocked: true\r\n"
        "---\r\n\r\n# Login Handler\r\n"
    )
    meta, body = parse_card(text)
    assert meta == CardMeta(component="Login Handler", locked=True)
    assert body == "# Login Handler\n"


def test_parse_without_blank_line_after_front_matter() -> None:
    meta, body = parse_card("---\ncomponent: A\n---\n# A\n")
    assert (meta.component, body) == ("A", "# A\n")


def test_parse_accepts_yaml_document_end_marker() -> None:
    meta, body = parse_card("---\ncomponent: A\n...\n\n# A\n")
    assert (meta.component, body) == ("A", "# A\n")


def test_parse_keeps_an_unquoted_timestamp_as_text() -> None:
    meta, _ = parse_card(card_text("component: A\ngenerated_at: 2026-11-25T12:00:00Z\n"))
    assert meta.generated_at == "2026-11-25T12:00:00Z"


def test_parse_accepts_integer_cost_and_duration() -> None:
    meta, _ = parse_card(card_text("component: A\ncost_usd: 0\nduration_s: 3\n"))
    assert meta.cost_usd == 0.0 and isinstance(meta.cost_usd, float)
    assert meta.duration_s == 3.0 and isinstance(meta.duration_s, float)


def test_parse_null_values_take_defaults() -> None:
    meta, _ = parse_card(card_text("component: A\nmodel:\nfindings:\ncost_usd:\nlocked:\n"))
    assert meta == CardMeta(component="A")


# --- parse_card: malformed files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("# Just a card\n", "no front matter"),
        ("", "no front matter"),
        ("\n---\ncomponent: A\n---\n", "no front matter"),
        ("---\ncomponent: A\n# body\n", "not closed"),
        ("---\n---\n# A\n", "empty"),
        ("---\ncomponent: [A\n---\n", "not valid YAML"),
        ("---\n- a\n- b\n---\n", "mapping"),
        ("---\njust text\n---\n", "mapping"),
        ("---\nmodel: x\n---\n", "no 'component'"),
        ("---\ncomponent: ''\n---\n", "'component'"),
        ("---\ncomponent: 12\n---\n", "'component'"),
        ("---\ncomponent: A\nstatus: failed\n---\n", "'status'"),
        ("---\ncomponent: A\nmodel: 4\n---\n", "'model'"),
        ("---\ncomponent: A\ninput_tokens: many\n---\n", "'input_tokens'"),
        ("---\ncomponent: A\noutput_tokens: -1\n---\n", "'output_tokens'"),
        ("---\ncomponent: A\ninput_tokens: true\n---\n", "'input_tokens'"),
        ("---\ncomponent: A\ninput_tokens: 1.5\n---\n", "'input_tokens'"),
        ("---\ncomponent: A\ncost_usd: free\n---\n", "'cost_usd'"),
        ("---\ncomponent: A\ncost_usd: -0.5\n---\n", "'cost_usd'"),
        ("---\ncomponent: A\ncost_usd: .nan\n---\n", "'cost_usd'"),
        ("---\ncomponent: A\nduration_s: slow\n---\n", "'duration_s'"),
        ("---\ncomponent: A\nrequest_sha256: [1]\n---\n", "'request_sha256'"),
        ("---\ncomponent: A\nlocked: 'yes'\n---\n", "'locked'"),
        ("---\ncomponent: A\ngenerated_at: 5\n---\n", "'generated_at'"),
        ("---\ncomponent: A\nfindings: none\n---\n", "'findings'"),
        ("---\ncomponent: A\nfindings: [1]\n---\n", "finding must be a mapping"),
        ("---\ncomponent: A\nfindings: [{severity: error, message: m}]\n---\n", "'rule'"),
        ("---\ncomponent: A\nfindings: [{rule: r, severity: fatal, message: m}]\n---\n", "severity"),
        ("---\ncomponent: A\nfindings: [{rule: r, severity: error, message: m, line: 0}]\n---\n", "line"),
    ],
)
def test_malformed_card_files_raise_one_clear_line(text: str, fragment: str) -> None:
    with pytest.raises(StoreError) as info:
        parse_card(text)
    message = info.value.message
    assert fragment in message
    assert "\n" not in message
    assert "Traceback" not in message


def test_yaml_error_names_the_file_line() -> None:
    text = "---\ncomponent: A\nmodel: x\nlocked: [true\n---\n# A\n"
    with pytest.raises(StoreError) as info:
        parse_card(text)
    assert "line " in info.value.message
    line = int(info.value.message.split("line ")[1].split(":")[0])
    assert 4 <= line <= 5  # the unclosed list starts on file line 4; PyYAML notices at its end


def test_source_is_named_in_the_message() -> None:
    with pytest.raises(StoreError, match=r"^user-model\.md: .*no front matter"):
        parse_card("# nope\n", source="user-model.md")


# --- Finding -------------------------------------------------------------------------------------


def test_finding_round_trip() -> None:
    for finding in FULL_META.findings:
        assert Finding.from_dict(finding.to_dict()) == finding


def test_finding_from_dict_without_message_or_line() -> None:
    assert Finding.from_dict({"rule": "heading", "severity": "warning"}) == Finding("heading", "warning", "")


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"severity": "error", "message": "m"},
        {"rule": "r", "severity": "info", "message": "m"},
        {"rule": "r", "severity": "error", "message": 3},
        {"rule": "r", "severity": "error", "message": "m", "line": "7"},
        {"rule": "r", "severity": "error", "message": "m", "line": True},
    ],
)
def test_finding_from_dict_rejects_bad_data(data: object) -> None:
    with pytest.raises(StoreError):
        Finding.from_dict(data)  # type: ignore[arg-type]
