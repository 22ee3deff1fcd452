"""Slugs: portable, confined and distinct file stems for hostile component names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.slug import (
    MAX_SLUG_LENGTH,
    WINDOWS_RESERVED,
    is_reserved_name,
    is_safe_slug,
    slugify,
    unique_slug,
)

SAFE = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")


def assert_safe(slug: str) -> None:
    assert SAFE.match(slug), slug
    assert len(slug) <= MAX_SLUG_LENGTH
    assert not is_reserved_name(slug)
    assert not is_reserved_name(slug + ".md")
    assert slug not in (".", "..")
    assert not slug.startswith(".")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("User Model", "user-model"),
        ("  Session   Token!! ", "session-token"),
        ("Crème Brûlée", "creme-brulee"),
        ("ﬁle ① Ｔｅｓｔ", "file-1-test"),
        ("../x", "x"),
        ("/etc/passwd", "etc-passwd"),
        ("C:\\x", "c-x"),
        ("a/../../b", "a-b"),
        ("CON", "con-card"),
        ("con", "con-card"),
        ("Lpt9", "lpt9-card"),
        ("nul.txt", "nul-txt"),
        ("COM1 ", "com1-card"),
        ("evil\u202egnp.exe", "evilgnp-exe"),
    ],
)
def test_slugify_examples(name: str, expected: str) -> None:
    slug = slugify(name)
    assert slug == expected
    assert_safe(slug)


@pytest.mark.parametrize("name", ["", ".", "..", "...", "   ", "/", "\\", "-", "\u202e", "\u200b\u200f"])
def test_names_without_letters_fall_back_to_card(name: str) -> None:
    assert slugify(name) == "card"


def test_reserved_names_are_recognised_with_extensions() -> None:
    for stem in WINDOWS_RESERVED:
        assert is_reserved_name(stem.upper() + ".txt")
        assert_safe(slugify(stem))
        assert slugify(stem) != stem
    assert not is_reserved_name("console")
    assert not is_reserved_name("nul-txt")


def test_emoji_and_cjk_names_get_stable_distinct_hashes() -> None:
    names = ["🚀", "🔥", "用户模型", "会话令牌", "Ключ"]
    slugs = [slugify(n) for n in names]
    for slug in slugs[:4]:
        assert re.fullmatch(r"card-[0-9a-f]{8}", slug), slug
    assert slugify("Ключ") == "klyuch" or re.fullmatch(r"card-[0-9a-f]{8}", slugify("Ключ"))
    assert len(set(slugs)) == len(slugs)
    assert [slugify(n) for n in names] == slugs  # stable across calls


def test_hash_ignores_case_like_component_matching() -> None:
    assert slugify("ΣΊΣΥΦΟΣ") == slugify("σίσυφος")


def test_long_names_are_cut_without_trailing_dash() -> None:
    slug = slugify("word " * 60)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert_safe(slug)
    assert slugify("x" * 300) == "x" * MAX_SLUG_LENGTH
    assert_safe(slugify("a" * 59 + "-" + "b" * 10))


def test_unique_slug_appends_numbers_case_insensitively() -> None:
    assert unique_slug("user-model", set()) == "user-model"
    assert unique_slug("user-model", {"User-Model"}) == "user-model-2"
    assert unique_slug("user-model", {"user-model", "USER-MODEL-2"}) == "user-model-3"


def test_unique_slug_stays_within_length() -> None:
    base = "y" * MAX_SLUG_LENGTH
    slug = unique_slug(base, {base})
    assert slug == "y" * (MAX_SLUG_LENGTH - 2) + "-2"
    assert_safe(slug)


def test_unique_slug_sanitizes_an_unsafe_base() -> None:
    assert unique_slug("../CON", set()) == "con-card"


def test_names_that_slug_alike_get_distinct_files(tmp_path: Path) -> None:
    taken: set[str] = set()
    for name in ["User Model", "user-model", "USER  MODEL!", "User_Model"]:
        slug = unique_slug(slugify(name), taken)
        taken.add(slug)
        (tmp_path / f"{slug}.md").write_text(name, encoding="utf-8")
    assert len(list(tmp_path.iterdir())) == 4


@given(st.text(max_size=400))
def test_any_name_gives_a_safe_slug_that_stays_in_its_folder(name: str) -> None:
    slug = slugify(name)
    assert_safe(slug)
    assert is_safe_slug(slug)
    folder = (Path.cwd() / "cards").resolve()
    assert (folder / f"{slug}.md").resolve().parent == folder
