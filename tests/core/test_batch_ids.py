"""Batch request ids for any component name: valid for the API, unique, stable."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.batch_ids import assign_custom_ids, custom_id_for, is_valid_custom_id

HOSTILE = [
    "User Model",
    "Ünïcode / slashes \\ and ../../etc/passwd",
    "名前だけ",
    "🙂🙃",
    "x" * 300,
    "x" * 299 + "y",
    "",
    "   ",
    "CON",
    "a-b",
    "a_b",
    "a b",
    "A B!",
    "tab\there",
    "new\nline",
]


def test_hostile_names_get_valid_unique_ids() -> None:
    ids = assign_custom_ids(HOSTILE)
    assert set(ids) == set(HOSTILE)
    assert all(is_valid_custom_id(cid) for cid in ids.values())
    assert len({cid.casefold() for cid in ids.values()}) == len(HOSTILE)


def test_an_id_is_stable_and_keeps_a_readable_hint() -> None:
    assert custom_id_for("User Model") == custom_id_for("User Model")
    assert custom_id_for("User Model").startswith("user-model-")
    assert custom_id_for("名前だけ") != custom_id_for("名前だけ2")


def test_a_clash_of_ids_gets_a_counter() -> None:
    # Names equal ignoring case cannot both be in a plan; the assigner stays unique anyway.
    ids = assign_custom_ids(["Same", "SAME"])
    assert ids["Same"] != ids["SAME"] and ids["SAME"].endswith("-2")
    assert all(is_valid_custom_id(cid) for cid in ids.values())


@given(st.lists(st.text(max_size=400), max_size=40, unique_by=str.casefold))
@settings(max_examples=200, deadline=None, database=None)
def test_any_names_get_valid_unique_ids(names: list[str]) -> None:
    ids = assign_custom_ids(names)
    assert all(is_valid_custom_id(cid) for cid in ids.values())
    assert len(set(ids.values())) == len(names)
