"""Folders a documentation site builds as they are: Docusaurus, MkDocs, Hugo and Starlight.

Each card keeps its text, code and shape; only what the site needs is added: front matter with the
card's title and its place in the plan, the section's index or category, and prose whose ``{``,
``}`` and ``<`` are escaped (app.core.mdx). Docusaurus reads Markdown as MDX and fails on them;
the others would take ``Map<string, User>`` or ``<T>`` for an HTML tag and drop it (MkDocs, whose
Python-Markdown reads any ``<word ...>`` as HTML, most often). See docs/site-exports.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.bundle import INDEX_NAME, BundleEntry, index_markdown, json_text, sha256
from app.core.card import FRONT_MATTER_DELIMITER, dump_front_matter, normalize_body
from app.core.card_markdown import scan_markdown
from app.core.fsutil import atomic_write
from app.core.mdx import mdx_safe
from app.core.plan import Plan
from app.core.sentences import first_sentence
from app.errors import ExportError

CATEGORY_NAME = "_category_.json"
"""Docusaurus: the folder's sidebar category (files starting with ``_`` are never pages)."""
HUGO_INDEX_NAME = "_index.md"
"""Hugo: the section's own page."""
MKDOCS_CONFIG_NAME = "mkdocs.yml"

_CONFIG_MARK = re.compile(r"^# Written by cardsmith export \(sha256 ([0-9a-f]{64}) of the lines below\)")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def site_files(plan: Plan, entries: list[BundleEntry], target: str) -> dict[str, bytes]:
    """File name -> exact bytes of ``plan``'s folder for the site ``target``."""
    return _BUILDERS[target](plan, entries)


def _docusaurus(plan: Plan, entries: list[BundleEntry]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for position, entry in enumerate(entries, start=1):
        fields = {
            "id": Path(entry.file).stem,
            "title": entry.component.name.strip(),
            "sidebar_position": position,
            **_description(card_summary(entry.card.body)),
        }
        files[entry.file] = _page(fields, _body(entry.card.body))
    link = {"type": "generated-index", **_description(_summary(plan.context))}
    category = {"label": _title(plan), "position": 1, "link": link}
    files[CATEGORY_NAME] = json_text(category).encode("utf-8")
    return files


def _mkdocs(plan: Plan, entries: list[BundleEntry]) -> dict[str, bytes]:
    files = {
        entry.file: _page(
            {"title": entry.component.name.strip(), **_description(card_summary(entry.card.body))},
            _body(entry.card.body),
        )
        for entry in entries
    }
    index = {"title": _title(plan), **_description(_summary(plan.context))}
    files[INDEX_NAME] = _page(index, mdx_safe(index_markdown(plan, entries)))
    return files


def _hugo(plan: Plan, entries: list[BundleEntry]) -> dict[str, bytes]:
    files = {
        entry.file: _page({"title": entry.component.name.strip(), "weight": weight}, _body(entry.card.body))
        for weight, entry in enumerate(entries, start=1)
    }
    # The section lists its pages itself (by weight), so its own page holds only the context.
    files[HUGO_INDEX_NAME] = _page({"title": _title(plan), "weight": 1}, _body(plan.context.strip()))
    return files


def _starlight(plan: Plan, entries: list[BundleEntry]) -> dict[str, bytes]:
    return {
        entry.file: _page(
            {"title": entry.component.name.strip(), "sidebar": {"order": order}}, _body(entry.card.body)
        )
        for order, entry in enumerate(entries, start=1)
    }


_BUILDERS: dict[str, Callable[[Plan, list[BundleEntry]], dict[str, bytes]]] = {
    "docusaurus": _docusaurus,
    "mkdocs": _mkdocs,
    "hugo": _hugo,
    "starlight": _starlight,
}


def _body(markdown: str) -> str:
    return mdx_safe(normalize_body(markdown))


def _page(fields: dict[str, Any], body: str) -> bytes:
    front = dump_front_matter(fields)
    separator = "\n" if body else ""
    return f"{FRONT_MATTER_DELIMITER}\n{front}{FRONT_MATTER_DELIMITER}\n{separator}{body}".encode("utf-8")


def _title(plan: Plan) -> str:
    return plan.settings.title.strip()


def _description(summary: str) -> dict[str, str]:
    return {"description": summary} if summary else {}


def card_summary(body: str) -> str:
    """The first sentence of the card's explanation, as plain text (a page's description)."""
    doc = scan_markdown(body)
    end = doc.fences[0].open_line if doc.fences else len(doc.lines) + 1
    return _summary(" ".join(text.strip() for n, text in sorted(doc.prose.items()) if n < end))


def _summary(markdown: str) -> str:
    sentence = first_sentence(" ".join(markdown.split()))
    plain = _ESCAPE.sub(r"\1", _CODE_SPAN.sub(lambda m: m.group(2).strip(), sentence))
    return " ".join(plain.split())


# --- MkDocs: the nav, printed or written as the site's mkdocs.yml ------------------------------


def mkdocs_nav(plan: Plan, entries: list[BundleEntry], prefix: str) -> str:
    """The ``nav:`` of ``mkdocs.yml`` listing the pages in plan order; paths start with ``prefix``."""
    pages: list[Any] = [prefix + INDEX_NAME]
    pages.extend({entry.component.name.strip(): prefix + entry.file} for entry in entries)
    return dump_front_matter({"nav": [{_title(plan): pages}]})


def nav_prefix(out_dir: Path) -> str:
    """Where ``out_dir`` lies in the docs folder of the nearest enclosing MkDocs site
    (``examples/``); without one, the folder is taken to sit directly in the docs folder."""
    out_dir = out_dir.resolve()
    for folder in out_dir.parents:
        config = folder / MKDOCS_CONFIG_NAME
        if config.is_file():
            try:
                docs = (folder / _docs_dir(config.read_text(encoding="utf-8"))).resolve()
            except (OSError, UnicodeDecodeError):
                break
            if out_dir == docs:
                return ""
            if out_dir.is_relative_to(docs):
                return out_dir.relative_to(docs).as_posix() + "/"
            break
    return out_dir.name + "/"


def _docs_dir(config_text: str) -> str:
    match = re.search(r"""^docs_dir:[ \t]*['"]?([^'"#\n]+?)['"]?[ \t]*(?:#.*)?$""", config_text, re.MULTILINE)
    return match.group(1) if match else "docs"


@dataclass(frozen=True)
class SiteConfig:
    """A site configuration to write beside the export folder, checked to be ours to write."""

    path: Path
    text: str

    def write(self) -> Path:
        try:
            atomic_write(self.path, self.text)
        except OSError as exc:
            raise ExportError(f"cannot write {self.path}: {exc.strerror or exc}") from exc
        return self.path


def site_config(plan: Plan, entries: list[BundleEntry], out_dir: Path, fmt: str) -> SiteConfig:
    """``mkdocs.yml`` for a site whose docs folder is ``out_dir``; refuses to replace a file
    that an export did not write, or that was changed since."""
    if fmt != "mkdocs":
        raise ExportError(f"only the mkdocs format writes a site configuration, not {fmt}")
    folder = out_dir.resolve()
    if not folder.name:
        raise ExportError(f"cannot write {MKDOCS_CONFIG_NAME} beside {out_dir}: it has no parent folder")
    body = dump_front_matter({"site_name": _title(plan), "docs_dir": folder.name})
    body += mkdocs_nav(plan, entries, prefix="")
    path = folder.parent / MKDOCS_CONFIG_NAME
    _check_ours(path)
    mark = f"# Written by cardsmith export (sha256 {sha256(body.encode())} of the lines below)"
    return SiteConfig(path, f"{mark}\n{body}")


def _check_ours(path: Path) -> None:
    if not path.exists() and not path.is_symlink():
        return
    refusal = f"refusing to overwrite {path.name} in {path.parent}"
    if path.is_symlink() or not path.is_file():
        raise ExportError(f"{refusal}: it is not a regular file")
    try:
        first, _, rest = path.read_text(encoding="utf-8").partition("\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"{refusal}: it cannot be read") from exc
    mark = _CONFIG_MARK.match(first)
    if mark is None:
        raise ExportError(f"{refusal}: it was not written by a Cardsmith export")
    if mark.group(1) != sha256(rest.encode("utf-8")):
        raise ExportError(f"{refusal}: it was changed since the last export")

