"""The review role's side of a window run: a reviewer of the session's plan on the provider the plan
and the Settings choose for reviews, and the pipeline that reviews each card a run writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.engine.provider import Provider
from app.engine.provider_config import ProviderConfig
from app.engine.roles import Role
from app.ui.session import Session

# The review machinery loads on first use, not before the window's first frame.
if TYPE_CHECKING:
    from app.engine.review import Reviewer
    from app.engine.review_events import Sink
    from app.engine.review_pipeline import ReviewPipeline

ProviderFactory = Callable[[ProviderConfig], Provider]


def reviewer_for(session: Session, provider_factory: ProviderFactory, sink: Sink, *, force: bool = False) -> Reviewer:
    """A reviewer of the session's plan on the review role's provider (the plan's ``provider`` and
    ``review_model``, the Settings' review model); its key is read now (KeyMissingError)."""
    from app.engine.review import ReviewOptions, Reviewer

    config = session.provider_config(Role.REVIEW)
    settings = session.settings
    options = ReviewOptions(
        force=force,
        model=config.model,
        concurrency=settings.concurrency or config.concurrency,
        stall_timeout_s=settings.stall_timeout_s or config.stall_timeout_s,
        max_attempts=settings.max_attempts,
    )
    assert session.path is not None
    return Reviewer(session.path, session.plan, provider_factory(config), options, sink)


def reviews_after_run(session: Session, provider_factory: ProviderFactory) -> Callable[[Sink], ReviewPipeline] | None:
    """With "Review after every run" on: what makes the pipeline that reviews each card a run
    writes, as it is written; None when it is off."""
    if not session.settings.review_after_run:
        return None
    from app.engine.review_pipeline import ReviewPipeline

    return lambda sink: ReviewPipeline(reviewer_for(session, provider_factory, sink), sink)
