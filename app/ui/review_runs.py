"""The window's reviews (docs/architecture.md#reviews): Run → Review all, Card → Fix with notes, and
the review of each card as soon as a run writes it (Settings → "Review after every run").

Each is a run of the one ``RunController`` on the qasync loop, like a generation: its events fill
the same progress rows (a card reads ``reviewing``, then shows its verdict), and each stored
review reaches the session as the card it was written into.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction

from app.core.store import CardStore, StoreSnapshot
from app.engine.provider import is_local
from app.ui.actions import window_action
from app.ui.banner import Banner
from app.ui.reviewers import ProviderFactory, reviewer_for
from app.ui.run_actions import RunActions
from app.ui.run_controller import RunController
from app.ui.session import Session

# The review and fix machinery loads on first use, not before the window's first frame.
if TYPE_CHECKING:
    from app.engine.fix import FixPlan

class ReviewActions(QObject):
    """Review all (Run menu) and Fix with notes (Card menu: the selected cards, else the one shown).

    ``selected()`` names the cards the writer chose; the checks before a run and its one-line
    errors are the run actions' (``runs.ready``, ``runs.guarded``); skipped fixes are listed in
    the ``banner`` when the run ends."""

    def __init__(self, session: Session, controller: RunController, runs: RunActions, *,
                 provider_factory: ProviderFactory, selected: Callable[[], list[str]], banner: Banner,
                 status: Callable[[str, int], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._session, self._controller, self._runs = session, controller, runs
        self._provider_factory, self._selected = provider_factory, selected
        self._banner, self._status = banner, status
        self._not_fixed: list[str] = []
        self.act_review = window_action(self, "Re&view all", self.review_all)
        self.act_review.setToolTip("Have the review model read every card without a current review")
        self.act_fix = window_action(self, "&Fix with notes", lambda: self.fix(self._selected()))
        self.act_fix.setToolTip("Send cards the reviewer sent back to their model with its notes")
        self.actions: tuple[QAction, ...] = (self.act_review, self.act_fix)
        controller.fix_skipped.connect(lambda name, why: self._not_fixed.append(f"{name} ({why})"))
        controller.run_finished.connect(self._say_not_fixed)

    def review_all(self, *, force: bool = False) -> bool:
        """Review every card without a current review (``force``: every card); False when
        nothing started (the reason said)."""
        path = self._runs.ready()
        if path is None:
            return False
        from app.engine.review import ReviewOptions, plan_reviews

        plan = self._session.plan
        planned = plan_reviews(plan, self._snapshot(), ReviewOptions(force=force))
        cards = [p.card for p in planned if p.send and p.card is not None]
        if not cards:
            self._status("Nothing to review: every card has a current review", 6000)
            return False
        controller = self._controller

        def start() -> bool:
            reviewer = reviewer_for(self._session, self._provider_factory, controller.on_event, force=force)
            names = [card.meta.component for card in cards]
            controller.launch(names, lambda: reviewer.run(cards), reviewer.cancel, [reviewer.provider],
                              local=is_local(reviewer.provider))
            return True

        return bool(self._runs.guarded("review", start))

    def fix(self, names: list[str]) -> bool:
        """Send these cards back with their review's notes (revise or fail only; never a locked
        or an edited card), and review each fix as it is written."""
        path = self._runs.ready()
        if path is None:
            return False
        components = [c for c in (self._session.component(n.casefold()) for n in names) if c is not None]
        if not components:
            self._status("Select the cards to fix first", 4000)
            return False
        from app.engine.fix import plan_fixes

        fixes = plan_fixes(self._session.plan, self._snapshot(), components)
        if not fixes.to_fix:
            skipped = "; ".join(f"{name}: {why}" for name, why in fixes.skipped)
            self._status(f"Nothing to fix: {skipped or 'no card selected has a revise or fail verdict'}", 8000)
            return False
        self._not_fixed = []
        return bool(self._runs.guarded("fix", lambda: self._start_fix(fixes)))

    def _start_fix(self, fixes: FixPlan) -> bool:
        from app.engine.fix import Fixer
        from app.engine.review_pipeline import ReviewPipeline
        from app.engine.runner import RunOptions

        session, controller = self._session, self._controller
        config = session.provider_config()
        options = session.generate_options()
        pipeline = ReviewPipeline(reviewer_for(session, self._provider_factory, controller.on_event),
                                  controller.on_event)
        executor = self._provider_factory(config)
        assert session.path is not None
        fixer = Fixer(session.path, session.plan, executor, fixes,
                      RunOptions(concurrency=options.concurrency or session.plan.settings.concurrency,
                                 max_attempts=options.max_attempts, stall_timeout_s=options.stall_timeout_s),
                      pipeline.on_writer_event, model=config.model)
        names = [component.name for component, _card in fixes.to_fix]
        controller.launch(names, lambda: pipeline.run(fixer), pipeline.cancel,
                          [executor, pipeline.reviewer.provider], local=is_local(executor))
        return True

    def _snapshot(self) -> StoreSnapshot:
        assert self._session.path is not None
        return self._session.snapshot or CardStore(self._session.path).load(self._session.plan)

    def _say_not_fixed(self, _totals: object) -> None:
        if self._not_fixed:
            self._banner.show_message("Not fixed: " + "; ".join(self._not_fixed))
            self._not_fixed = []
