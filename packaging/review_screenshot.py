"""Take a picture of the review in the window's pieces: outline, the run's bars, the Card tab's
notes and the preview, after a real ``generate --review`` of the example plan against the stand-in.

Run under a real X screen: ``xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python
packaging/review_screenshot.py docs/review.png``. The stand-in sends one card back (``revise``, a
note on a code line) and the picture shows that card selected; exits non-zero with one line when
the widgets do not show what they should.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.paths import example_plan  # noqa: E402
from app.ui.qtapp import create_application  # noqa: E402

REVISED = "Session Token"


def reviewed_copy(work: Path, base_url: str) -> Path:
    """The example plan, generated and reviewed through the real command line."""
    import os

    from app.cli import main

    plan = work / example_plan().name
    shutil.copy2(example_plan(), plan)
    os.environ.update(ANTHROPIC_BASE_URL=base_url, ANTHROPIC_API_KEY="demo")
    code = main(["generate", str(plan), "--review"], stdout=sys.stderr, stderr=sys.stderr)
    if code != 1:  # one card comes back with revise
        raise SystemExit(f"review screenshot: generate --review exited {code}, expected 1")
    return plan


def build(plan_path: Path):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QHBoxLayout, QSplitter, QVBoxLayout, QWidget

    from app.core.plan import load_plan
    from app.core.review import review_status
    from app.core.states import CardState
    from app.core.store import CardStore
    from app.ui.card_editor import CardContext, CardEditor
    from app.ui.generation_panel import GenerationPanel
    from app.ui.outline import OutlineRow, OutlineView
    from app.ui.preview import PreviewView
    from app.ui.preview_markup import PreviewCard

    plan = load_plan(plan_path)
    store = CardStore(plan_path)
    snapshot = store.load(plan)
    window = QWidget()
    window.setWindowTitle("Cardsmith: review")
    outline, panel, editor, preview = OutlineView(), GenerationPanel(), CardEditor(), PreviewView()
    rows, cards = [], []
    for c in plan.components:
        card = snapshot.card(c)
        assert card is not None
        status = review_status(card.meta.review, card.body)
        rows.append(OutlineRow(c.key, c.name, c.line, CardState.DONE, status))
        cards.append(PreviewCard(c.key, c.name, card.body, "done", card.meta.findings, card.meta.review))
    outline.set_components(rows)
    panel.set_components([(c.name, CardState.DONE) for c in plan.components])
    component = plan.component(REVISED)
    assert component is not None
    card = snapshot.card(component)
    editor.show_card(CardContext(component.key, component.name, plan.contract_for(component),
                                 CardState.DONE, card, store, CardState.DONE))
    outline.select(component.key)
    preview.set_cards(cards)
    left = QSplitter()
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(outline, 1)
    column.setMinimumWidth(290)
    left.addWidget(column)
    middle = QWidget()
    mid = QVBoxLayout(middle)
    mid.setContentsMargins(0, 0, 0, 0)
    mid.addWidget(panel, 2)
    mid.addWidget(editor, 3)
    left.addWidget(middle)
    left.addWidget(preview)
    left.setSizes([330, 620, 400])
    box = QHBoxLayout(window)
    box.addWidget(left)
    return window, outline, panel, editor, preview, component


async def scenario(plan: Path, out: Path) -> str | None:
    from app.core.review import ReviewStatus
    from app.engine import events as ev
    from app.engine.progress import RunProgress
    from app.engine.provider import StopReason
    from app.engine.review_events import ReviewSaved
    from app.core.store import CardStore
    from app.core.plan import load_plan

    window, outline, panel, editor, preview, component = build(plan)
    window.resize(1400, 860)
    window.show()
    # The bars as the run left them: each card done, then its verdict.
    progress = RunProgress()
    for card in CardStore(plan).load(load_plan(plan)).cards.values():
        name = card.meta.component
        progress.apply(ev.Queued(name))
        progress.apply(ev.Done(name, card.body, StopReason.END, card.meta.input_tokens,
                               card.meta.output_tokens, card.meta.model, card.meta.cost_usd,
                               card.meta.duration_s, 1))
        assert card.meta.review is not None
        progress.apply(ReviewSaved(name, card, card.meta.review))
        panel.update_card(progress.cards[name])
    progress.started_at, progress.finished_at = 0.0, 2.4  # the run's own wall time, as it printed
    panel.update_overall(progress)
    for _ in range(200):
        if preview.is_loaded:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.8)
    preview.scroll_to(component.key)
    await asyncio.sleep(0.8)
    if outline.review_of(component.key) is not ReviewStatus.REVISE:
        return f"the outline shows {outline.review_of(component.key)} for {component.name}"
    if editor.review_list.count() < 3:
        return "the Card tab does not list the reviewer's notes"
    image = window.screen().grabWindow(window.winId())
    if image.isNull() or not image.save(str(out)):
        return f"could not save {out}"
    window.close()
    return None


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs" / "review.png").resolve()
    work = Path(tempfile.mkdtemp(prefix="cardsmith-review-shot-"))
    from tests.helpers.server_thread import StandInThread

    with StandInThread(mode="good") as api:
        api.reviews.revise(REVISED)
        plan = reviewed_copy(work, api.base_url)
    app, loop = create_application(sys.argv[:1])
    result: dict[str, object] = {}

    async def run() -> None:
        try:
            result["error"] = await scenario(plan, out)
        finally:
            app.quit()

    task = loop.create_task(run())
    app.exec()
    shutil.rmtree(work, ignore_errors=True)
    if not task.done() or task.exception() is not None:
        print(f"review screenshot: failed: {task.exception() if task.done() else 'did not finish'}")
        return 1
    if result.get("error"):
        print(f"review screenshot: {result['error']}")
        return 1
    print(f"review screenshot: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
