"""`cardsmith review` and `generate --review` end to end: the real SDK, over real HTTP, against the
local stand-in's reviewer (tests/fakes/review_api.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.card import body_sha256, parse_card, serialize_card
from app.core.history import list_versions
from app.core.plan import load_plan
from app.core.review import ReviewStatus, Verdict, review_status
from app.core.store import CardStore, StoredCard
from tests.fakes.messages_api import FakeMessagesAPI
from tests.fakes.review_api import FIXED_MARKER, NOTE_TEXT
from tests.helpers.cli import run_cli
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import KEY, StandIn

REVIEWER = "claude-sonnet-5-5"


def reviews_sent(api: FakeMessagesAPI) -> list[str]:
    return [r.component for r in api.reviews.records()]


def cards_of(plan: Path) -> dict[str, StoredCard]:
    snapshot = CardStore(plan).load(load_plan(plan))
    return {card.meta.component: card for card in snapshot.cards.values()}


def generated(api: FakeMessagesAPI, tmp_path: Path, n: int = 6) -> Path:
    plan = write_plan(tmp_path / "docs", n)
    assert run_cli("generate", plan).code == 0
    api.records.clear()
    return plan


def edit_in_another_editor(card: StoredCard, extra: str) -> None:
    """Change the body and nothing else, as a text editor would (the front matter stays)."""
    card.path.write_text(serialize_card(card.meta, card.body + extra), encoding="utf-8")


def test_six_cards_get_six_structured_reviews_bound_to_their_bodies_and_a_rerun_sends_none(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = generated(api, tmp_path)
    result = run_cli("review", plan)
    assert result.code == 0, result.err
    records = api.reviews.records()
    assert sorted(r.component for r in records) == component_names(6)
    assert {(r.model, r.structured, r.status) for r in records} == {(REVIEWER, "format", 200)}
    for name, card in cards_of(plan).items():
        review = card.meta.review
        assert review is not None, name
        assert review.verdict is Verdict.PASS and review.model == REVIEWER
        assert review.body_sha256 == body_sha256(card.body)
        assert review.output_tokens > 0 and review.cost_usd is not None and review.cost_usd > 0
        assert review.reviewed_at.endswith("Z")
        assert [v.kind for v in list_versions(CardStore(plan).folder, card.path.stem)][-1] == "reviewed"
    assert "6 cards reviewed by claude-sonnet-5-5: 6 pass · 6 sent" in result.out

    again = run_cli("review", plan)
    assert again.code == 0 and "nothing to review" in again.err
    assert len(api.reviews.records()) == 6


def test_an_edit_in_another_editor_makes_exactly_that_review_stale_and_only_it_is_sent_again(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = generated(api, tmp_path)
    assert run_cli("review", plan).code == 0
    edit_in_another_editor(cards_of(plan)["Component 04"], "\nA sentence the writer added.\n")

    lint = json.loads(run_cli("lint", plan, "--json").out)
    statuses = {c["component"]: c["review"]["status"] for c in lint["cards"]}
    assert statuses == {**{n: "pass" for n in component_names(6)}, "Component 04": "stale"}

    api.records.clear()
    result = run_cli("review", plan)
    assert result.code == 0, result.err
    assert reviews_sent(api) == ["Component 04"]
    card = cards_of(plan)["Component 04"]
    assert review_status(card.meta.review, card.body) is ReviewStatus.PASS


def test_a_revise_verdict_keeps_its_notes_on_their_lines_and_exits_1(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = generated(api, tmp_path)
    api.reviews.revise("Component 02")
    result = run_cli("review", plan, "--json")
    assert result.code == 1
    report = json.loads(result.out)
    assert report["exit_code"] == 1 and report["totals"]["revise"] == 1 and report["totals"]["pass"] == 5
    card = cards_of(plan)["Component 02"]
    assert card.meta.review is not None and card.meta.review.verdict is Verdict.REVISE
    (note,) = card.meta.review.notes
    assert note.severity == "error" and note.line is not None
    # The note names a code line of the body, as the reviewer saw it numbered.
    assert note.message == NOTE_TEXT.format(component="Component 02", line=note.line)
    lines = card.body.split("\n")
    assert lines[note.line - 2].startswith("```") and not lines[note.line - 1].startswith("```")


def test_a_malformed_answer_is_asked_again_once_then_is_a_failed_review_never_a_pass(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = generated(api, tmp_path, 3)
    api.reviews.script("Component 01", "malformed", "malformed")
    api.reviews.script("Component 02", "malformed", "pass")
    result = run_cli("review", plan)
    assert result.code == 1
    assert "review failed: malformed review: the reviewer's answer is not JSON" in result.out + result.err
    assert reviews_sent(api).count("Component 01") == 2 and reviews_sent(api).count("Component 02") == 2
    cards = cards_of(plan)
    assert cards["Component 01"].meta.review is None
    assert cards["Component 02"].meta.review is not None
    assert cards["Component 02"].meta.review.verdict is Verdict.PASS

    api.records.clear()
    again = run_cli("review", plan)  # the failed one has no review: it is sent again
    assert again.code == 0, again.err
    assert reviews_sent(api) == ["Component 01"]


def test_fix_replaces_a_revise_card_leaves_a_locked_one_and_reviews_the_fix_again(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = generated(api, tmp_path, 4)
    api.reviews.revise("Component 01", "Component 03")
    assert run_cli("review", plan).code == 1
    store = CardStore(plan)
    before = cards_of(plan)
    locked_bytes = store.set_locked(before["Component 03"], True).path.read_bytes()

    api.records.clear()
    result = run_cli("review", plan, "--fix", "--json")
    assert result.code == 1  # the locked card still has its revise verdict
    fix_requests = [r for r in api.records if not r.structured]
    assert [(r.component, r.step, r.messages) for r in fix_requests] == [("Component 01", "fixed", 3)]
    assert reviews_sent(api) == ["Component 01"]  # the fix, reviewed once more

    after = cards_of(plan)
    fixed = after["Component 01"]
    assert FIXED_MARKER in fixed.body and fixed.body != before["Component 01"].body
    assert fixed.meta.review is not None and fixed.meta.review.verdict is Verdict.PASS
    assert fixed.meta.request_sha256 == before["Component 01"].meta.request_sha256
    kinds = [v.kind for v in list_versions(store.folder, fixed.path.stem)]
    assert kinds[-2:] == ["repaired", "reviewed"]
    assert after["Component 03"].path.read_bytes() == locked_bytes
    report = json.loads(result.out)
    assert report["not_fixed"] == [
        {"component": "Component 03", "reason": "locked: approved cards are never replaced"}
    ]


def test_fixes_keep_the_cards_thinking_and_read_the_shared_context_one_of_them_wrote(
    stand_in: StandIn, tmp_path: Path
) -> None:
    # message_start comes 0.2 s after each request: fixes sent together would each write the cache.
    api = stand_in(api_key=KEY, ttfb_s=0.2)
    long_context = "The service keeps every secret out of its logs and compares them in constant time. " * 40
    plan = write_plan(tmp_path / "docs", 3, concurrency=3, context=long_context)
    assert run_cli("generate", plan).code == 0
    api.reviews.revise(*component_names(3))
    assert run_cli("review", plan).code == 1
    api.records.clear()
    api.cache.clear()  # as after the cache's five minutes: the first fix writes it again
    assert run_cli("review", plan, "--fix").code == 0
    fixes = sorted((r for r in api.records if not r.structured), key=lambda r: r.t)
    assert [(r.step, r.status, r.thinking, r.effort) for r in fixes] == [("fixed", 200, "adaptive", "low")] * 3
    assert [bool(r.cache_write) for r in fixes] == [True, False, False]
    assert all(r.cache_read == fixes[0].cache_write for r in fixes[1:])


def test_generate_review_overlaps_reviews_with_generation(stand_in: StandIn, tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "docs", 8, concurrency=2)
    api = stand_in(api_key=KEY, mode="good", ttft_s=0.05, tokens_per_s=400)
    api.reviews.revise("Component 08")
    result = run_cli("generate", plan, "--review")
    assert result.code == 1, result.err  # one card's verdict is revise
    generation = [r for r in api.records if not r.structured]
    reviews = api.reviews.records()
    assert len(generation) == 8 and sorted(r.component for r in reviews) == component_names(8)
    last_generation_end = max(r.ended for r in generation if r.ended is not None)
    assert min(r.t for r in reviews) < last_generation_end, "no review started before generation ended"
    assert "reviews: 7 pass, 1 revise" in result.err
    assert "review: Component 08: revise (1 note)" in result.err
    for card in cards_of(plan).values():
        assert card.meta.review is not None and card.meta.review.body_sha256 == body_sha256(card.body)


def test_exit_codes_for_usage_plan_errors_missing_key_and_a_refused_key(
    api: FakeMessagesAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = generated(api, tmp_path, 2)
    unknown = run_cli("review", plan, "--only", "Nope")
    assert unknown.code == 2 and "unknown component 'Nope'" in unknown.err
    assert run_cli("review", plan, "--concurrency", "99").code == 2
    broken = tmp_path / "broken.md"
    broken.write_text("---\nconcurrency: zero\n---\n## A\nx\n", encoding="utf-8")
    assert run_cli("review", broken).code == 2
    monkeypatch.delenv("ANTHROPIC_API_KEY")  # and the test keyring holds none
    no_key = run_cli("review", plan)
    assert no_key.code == 2 and "no API key" in no_key.err
    assert reviews_sent(api) == []

    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    api.valid_keys = {"another-key"}
    refused = run_cli("review", plan)
    assert refused.code == 2 and "API key refused" in refused.err
    assert all(parse_card(c.path.read_text(encoding="utf-8"))[0].review is None for c in cards_of(plan).values())



def test_the_plans_review_model_is_used_and_a_model_without_structured_output_answers_by_tool(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = write_plan(tmp_path / "docs", 2, extra_front_matter="review_model: claude-sonnet-4")
    assert run_cli("generate", plan).code == 0
    api.records.clear()
    assert run_cli("review", plan).code == 0
    assert {(r.model, r.structured, r.status) for r in api.reviews.records()} == {
        ("claude-sonnet-4", "tool_forced", 200)
    }
    assert all(c.meta.review and c.meta.review.model == "claude-sonnet-4" for c in cards_of(plan).values())
    api.records.clear()
    # A model the table does not know may think: it is offered the tool, never forced to call it
    # (the stand-in, like the API, serves no such model: one line, exit 2, no card changed).
    unknown = run_cli("review", plan, "--force", "--model", "my-own-reviewer")
    assert unknown.code == 2 and "model not found: my-own-reviewer (404)" in unknown.err
    assert {(r.model, r.structured) for r in api.reviews.records()} == {("my-own-reviewer", "tool")}


def test_export_reviewed_only_leaves_out_what_did_not_pass_and_bundle_json_says_why(
    api: FakeMessagesAPI, tmp_path: Path
) -> None:
    plan = generated(api, tmp_path, 4)
    api.reviews.revise("Component 02")
    run_cli("review", plan, "--only", "Component 01", "--only", "Component 02", "--only", "Component 03")
    edit_in_another_editor(cards_of(plan)["Component 03"], "\nEdited.\n")
    everything = run_cli("export", plan, "--out", tmp_path / "all")
    assert everything.code == 0, everything.err
    bundle = json.loads((tmp_path / "all" / "bundle.json").read_text(encoding="utf-8"))
    statuses = {c["component"]: c["review"]["status"] for c in bundle["cards"]}
    assert statuses == {"Component 01": "pass", "Component 02": "revise", "Component 03": "stale",
                        "Component 04": "none"}
    assert bundle["cards"][1]["review"]["notes"][0]["severity"] == "error"
    passed = run_cli("export", plan, "--out", tmp_path / "passed", "--reviewed-only")
    assert passed.code == 0, passed.err
    assert "left out 3 cards whose current review is not a pass" in passed.err
    kept = json.loads((tmp_path / "passed" / "bundle.json").read_text(encoding="utf-8"))
    assert [c["component"] for c in kept["cards"]] == ["Component 01"]
    assert sorted(p.name for p in (tmp_path / "passed").glob("*.md")) == ["component-01.md", "index.md"]
