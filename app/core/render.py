"""Card Markdown -> sanitized HTML (Python-Markdown + Pygments, then an explicit nh3 allowlist)."""

from __future__ import annotations

import functools
import html
import re
import threading
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Literal

import nh3
from pygments.token import STANDARD_TYPES, Text, _TokenType

from app.paths import resource

if TYPE_CHECKING:
    import markdown

Theme = Literal["light", "dark", "auto"]
"""``"auto"`` (or ``None``) follows the system's ``prefers-color-scheme``."""

MAX_PREVIEW_BYTES = 1_000_000
"""A card whose HTML is larger than this shows a notice instead (setHtml's data: URL limit is 2 MB)."""

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)
"""CSP of the preview shell and the HTML export. base-uri and form-action do not fall back to
default-src, hence listed; the page never needs script (the app writes cards from its own world)."""

LIGHT_PYGMENTS_STYLE = "friendly"
DARK_PYGMENTS_STYLE = "github-dark"

# --- Markdown -------------------------------------------------------------------------------

_INKLESS = frozenset({"bgcolor", "underline", "border"})
"""What would make a run of spaces visible."""


@functools.lru_cache(maxsize=512)
def _drawn_as_text(ttype: _TokenType, blank: bool) -> bool:
    """True when both preview styles draw this token exactly like plain text (or it is blank
    and nothing would show its spaces): it can go without a ``<span>``."""
    from pygments.styles import get_style_by_name

    for name in (LIGHT_PYGMENTS_STYLE, DARK_PYGMENTS_STYLE):
        style = get_style_by_name(name)
        own = style.style_for_token(ttype)
        if blank:
            if any(own[k] for k in _INKLESS):
                return False
        elif own != style.style_for_token(Text):
            return False
    return True


@functools.cache
def _card_formatter() -> type:
    """Pygments' HTML formatter, without a ``<span>`` for tokens drawn like plain text (names,
    punctuation, spaces): a third of the elements of a highlighted card, so a 1,000-card preview
    holds ~20 MB less in WebEngine. What shows is the same in both themes. Made on first use:
    Markdown and Pygments' formatters load only when a card is rendered (a window whose cards
    are all in the render cache shows its first frame without them)."""
    from pygments.formatters import HtmlFormatter

    class CardFormatter(HtmlFormatter):
        def format_unencoded(
            self, tokensource: Iterable[tuple[_TokenType, str]], outfile: IO[str]
        ) -> None:
            plain = (
                (Text if ttype is not Text and _drawn_as_text(ttype, value.isspace()) else ttype, value)
                for ttype, value in tokensource
            )
            super().format_unencoded(plain, outfile)

    return CardFormatter


_CODEHILITE = {
    "css_class": "highlight",
    "guess_lang": False,
    "use_pygments": True,
}

_INLINE_HTML = (
    r"(<(\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s+[^\s\"'=<>`/]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*\s*/?"
    r"|!--(?:(?!<!--|-->).)*--|[?](?:(?!<[?]|[?]>).)*[?]|!\[CDATA\[(?:(?!<!\[CDATA\[|\]\]>).)*\]\])>)"
)
"""Inline raw HTML as CommonMark reads it: a tag name of letters, digits and "-" (Python-Markdown's
own pattern, otherwise)."""

# Markdown instances are stateful (reset() between documents) and not thread-safe: one per thread.
_local = threading.local()


def _markdown() -> markdown.Markdown:
    md: markdown.Markdown | None = getattr(_local, "md", None)
    if md is None:
        import markdown
        from markdown.extensions.codehilite import CodeHiliteExtension
        from markdown.extensions.fenced_code import FencedCodeExtension
        from markdown.extensions.sane_lists import SaneListExtension
        from markdown.inlinepatterns import HtmlInlineProcessor

        # Extension objects, not names: names are looked up among every installed package's
        # entry points, ~20 ms on the event loop the first time a card is shown.
        md = markdown.Markdown(
            extensions=[
                FencedCodeExtension(),
                CodeHiliteExtension(**_CODEHILITE, pygments_formatter=_card_formatter()),
                SaneListExtension(),
            ]
        )
        # Python-Markdown takes "<string, User>" for a tag (its tag names run to any character but
        # space, quote, "<", ">" or "@"), and the sanitizer then drops it with the writer's words.
        # CommonMark's tag names are letters, digits and "-": prose like Map<string, User> stays
        # text, as lint's raw-html rule reads it too.
        md.inlinePatterns.register(HtmlInlineProcessor(_INLINE_HTML, md), "html", 90)
        _local.md = md
    return md


def prime_highlighting(language: str) -> None:
    """Import and compile what rendering a ``language`` card needs (Pygments' lexer and styles,
    ~25 ms the first time) now, e.g. in a worker thread before such cards stream into the
    preview. The imports and compiled patterns are process-wide."""
    render_card(f"```{language}\nx\n```\n")


# --- Sanitizer ------------------------------------------------------------------------------

_ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "pre", "code", "span", "div",
    "em", "strong", "b", "i", "ul", "ol", "li", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "del", "sup", "sub",
}  # fmt: skip

# Dropped together with their content: their text is never meant to be read as prose.
_CLEAN_CONTENT_TAGS = {
    "script", "style", "template", "iframe", "noscript", "noembed", "noframes", "object",
    "embed", "svg", "math", "textarea", "select", "title", "xmp",
}  # fmt: skip

_ALLOWED_ATTRIBUTES = {
    "span": {"class"},
    "div": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}

# Only Pygments/codehilite class names survive, so a card cannot borrow the app's own classes
# (.notice, .finding, .badge, .card) to fake findings or hide text.
_PYGMENTS_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name) | {
    "highlight", "hll", "linenos", "filename",
}  # fmt: skip
_LANGUAGE_CLASS = re.compile(r"language-[A-Za-z0-9_+#.-]{1,40}")

_LINK_PREFIXES = ("http:", "https:", "mailto:")
# Raster formats only: data:image/svg+xml can carry script.
_IMAGE_PREFIX = re.compile(r"data:image/(png|jpeg|jpg|gif|webp|avif|bmp|x-icon)[;,]", re.IGNORECASE)


def _keep_class(value: str) -> str | None:
    kept = [c for c in value.split() if c in _PYGMENTS_CLASSES or _LANGUAGE_CLASS.fullmatch(c)]
    return " ".join(kept) or None


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """Second line behind nh3's scheme check: positive allowlists per URL attribute."""
    if attr == "class":
        return _keep_class(value)
    if tag == "a" and attr == "href":
        # Values arrive entity-decoded; leading whitespace/control chars are ignored by browsers.
        probe = value.lstrip("\x00\t\n\f\r ").lower()
        return value if probe.startswith(_LINK_PREFIXES) else None
    if tag == "img" and attr == "src":
        return value if _IMAGE_PREFIX.match(value) else None
    if tag == "ol" and attr == "start":
        return value if value.isdigit() and len(value) <= 9 else None
    return value


_cleaner = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    clean_content_tags=_CLEAN_CONTENT_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_attribute_filter,
    strip_comments=True,
    link_rel="noopener noreferrer nofollow",
    generic_attribute_prefixes=set(),
    # "data" is needed for img src; the attribute filter keeps it out of links.
    url_schemes={"http", "https", "mailto", "data"},
    url_relative="deny",
)


def sanitize_html(fragment: str) -> str:
    """Run the preview allowlist over any HTML fragment (what ``render_card`` applies last)."""
    return _cleaner.clean(fragment)


def render_card(body: str) -> str:
    """Sanitized HTML fragment for one card body; safe to insert into the preview shell."""
    md = _markdown()
    try:
        raw = md.convert(body)
    finally:
        md.reset()
    return sanitize_html(raw)


def too_large(fragment_html: str) -> bool:
    """True when a card's HTML is over ``MAX_PREVIEW_BYTES`` (UTF-8) and should show a notice."""
    # Cheap exit first: a UTF-8 character is at most 4 bytes.
    if len(fragment_html) * 4 <= MAX_PREVIEW_BYTES:
        return False
    return len(fragment_html.encode("utf-8")) > MAX_PREVIEW_BYTES


def too_large_notice(size_bytes: int) -> str:
    """The ``.notice`` shown in place of a card too large to preview."""
    return (
        f'<p class="notice">This card is too large to preview ({size_bytes:,} bytes of HTML; '
        f"the limit is {MAX_PREVIEW_BYTES:,}). Open the card file to read it.</p>"
    )


# --- Stylesheet -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _base_css() -> str:
    return resource("preview.css").read_text(encoding="utf-8")


_BORDER_DECL = re.compile(r"\bborder:")


def _pygments_rules(style: str, prefixes: list[str]) -> list[str]:
    from pygments.formatters import HtmlFormatter

    formatter = HtmlFormatter(style=style)
    selectors = [f"{p} .highlight".strip() for p in prefixes]
    rules = formatter.get_background_style_defs(selectors)
    rules += formatter.get_token_style_defs(selectors)
    # An error token's border would widen its line and break the width budget; an outline takes
    # no space.
    return [_BORDER_DECL.sub("outline:", rule) for rule in rules]


def _indent(rules: list[str]) -> str:
    return "\n".join("  " + rule for rule in rules)


@functools.lru_cache(maxsize=4)
def _highlight_css(theme: Theme) -> str:
    if theme == "light":
        return "\n".join(_pygments_rules(LIGHT_PYGMENTS_STYLE, [""]))
    if theme == "dark":
        return "\n".join(_pygments_rules(DARK_PYGMENTS_STYLE, [""]))
    # Auto: both styles, each under mutually exclusive selectors so no token rule of one leaks
    # into the other; the .theme-* classes on <html> override the system preference.
    return "\n".join(
        [
            "\n".join(_pygments_rules(LIGHT_PYGMENTS_STYLE, ["html.theme-light"])),
            "\n".join(_pygments_rules(DARK_PYGMENTS_STYLE, ["html.theme-dark"])),
            "@media (prefers-color-scheme: light) {",
            _indent(_pygments_rules(LIGHT_PYGMENTS_STYLE, ["html:not(.theme-dark)"])),
            "}",
            "@media (prefers-color-scheme: dark) {",
            _indent(_pygments_rules(DARK_PYGMENTS_STYLE, ["html:not(.theme-light)"])),
            "}",
        ]
    )


def _normalize_theme(theme: Theme | None) -> Theme:
    if theme in (None, "auto"):
        return "auto"
    if theme in ("light", "dark"):
        return theme
    raise ValueError(f"unknown preview theme {theme!r} (expected light, dark or auto)")


def highlight_css() -> str:
    """The Pygments colours of the preview shell (both styles: theme ``"auto"``)."""
    return _highlight_css("auto")


def preview_stylesheet(theme: Theme | None = "light", *, highlight: str | None = None) -> str:
    """The preview CSS (resources/preview.css) plus the Pygments colours for ``theme``.

    ``"light"``/``"dark"`` carry one Pygments style; ``"auto"``/``None`` carry both, chosen by
    ``prefers-color-scheme`` unless ``<html>`` has class ``theme-light`` or ``theme-dark``.
    ``highlight``: those colours when already known (``highlight_css()`` kept in the render
    cache), so that Pygments need not load.
    """
    key = _normalize_theme(theme)
    colours = highlight if highlight is not None else _highlight_css(key)
    return f"{_base_css().rstrip()}\n\n/* Pygments: {key} */\n{colours}\n"


# --- Pages ----------------------------------------------------------------------------------


def _html_class(theme: Theme) -> str:
    return f' class="theme-{theme}"' if theme in ("light", "dark") else ""


def _page(title: str, stylesheet: str, theme: Theme, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"{_html_class(theme)}>\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{stylesheet}</style>\n"
        "</head>\n"
        f"{body}"
        "</html>\n"
    )


def card_article(fragment: str) -> str:
    """One card's fragment in the ``<article class="card">`` wrapper the stylesheet expects."""
    return f'<article class="card">\n{fragment.strip()}\n</article>\n'


def render_document(title: str, fragments: list[str], *, theme: Theme | None = "light") -> str:
    """A self-contained, script-free HTML page (the HTML export), styled like the preview.

    ``fragments`` must already be sanitized (``render_card`` output, or app-built markup such as
    ``too_large_notice``); the page's CSP is the second line of defence.
    """
    key = _normalize_theme(theme)
    cards = "".join(card_article(fragment) for fragment in fragments)
    body = (
        '<body class="document">\n'
        f'<header class="document-head"><h1>{html.escape(title)}</h1></header>\n'
        f'<main id="cards">\n{cards}</main>\n'
        "</body>\n"
    )
    return _page(title, preview_stylesheet(key), key, body)


def shell_html(theme: Theme | None = None, *, highlight: str | None = None) -> str:
    """The fixed preview page, loaded once; the app fills ``<main id="cards">`` from its own world.

    It always carries both Pygments styles, so switching theme is only a matter of setting
    ``theme-light``/``theme-dark`` on ``<html>`` (``theme`` sets the initial class); ``highlight``
    is ``highlight_css()`` when already known.
    """
    key = _normalize_theme(theme)
    body = '<body class="preview">\n<main id="cards"></main>\n</body>\n'
    return _page("Cardsmith preview", preview_stylesheet("auto", highlight=highlight), key, body)
