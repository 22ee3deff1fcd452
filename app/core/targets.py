"""The documentation sites an export can target, and which of them read Markdown as MDX."""

from __future__ import annotations

SITE_TARGETS: tuple[str, ...] = ("docusaurus", "mkdocs", "hugo", "starlight")
"""The plan setting ``target:`` and the site formats of ``cardsmith export``."""

MDX_TARGETS = frozenset({"docusaurus"})
"""Sites that parse ``.md`` as MDX, where ``{``, ``}`` and ``<`` outside code break the build
(Docusaurus 3 does by default; Starlight's ``.md`` pages are plain Markdown)."""


def is_mdx(target: str | None) -> bool:
    return target in MDX_TARGETS
