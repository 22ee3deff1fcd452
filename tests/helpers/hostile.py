"""The hostile-card catalog: card bodies keyed by payload kind (script, event handlers, frames,
forms, CSS, links, remote loads...), and a plan whose stored cards, title and names carry them.

Remote URLs point at a base the caller gives (a beacon, or an address nothing serves), so a test
can count what reached it. The stand-in's own hostile answer is ``tests.fakes.cards.hostile_card``.
"""

from __future__ import annotations

from pathlib import Path

from app.core.card import Finding
from app.core.export import export_bundle
from app.core.plan import Plan
from app.core.store import CardStore
from tests.helpers.card_files import MODEL, store_card
from tests.helpers.plans import make_plan


def pwn(name: str) -> str:
    """Script that marks the page's DOM when it runs (the GUI tests read the mark)."""
    return f"document.documentElement.setAttribute('data-pwned-{name}','1');document.title='pwned'"


def hostile_kinds(b: str) -> dict[str, str]:
    """Payloads keyed by kind (those of issue 7 item 8 and more); remote URLs point at ``b``."""
    return {
        "script": f"<script>{pwn('script')}</script>\n\n<script src=\"{b}/script.js\"></script>",
        "img-onerror": f'<img src="data:,nope" onerror="{pwn("img-onerror")}">',
        "svg-onload": f'<svg onload="{pwn("svg-onload")}"><image href="{b}/svg-image.png" width="4" height="4"/></svg>',
        "iframe": f'<iframe src="{b}/iframe.html"></iframe>',
        "iframe-srcdoc": (
            f"<iframe srcdoc=\"<script>parent.{pwn('srcdoc')}</script><img src='{b}/srcdoc.png'>\"></iframe>"
        ),
        "embed-object": (
            f'<embed src="{b}/embed.png" type="image/png">'
            f'<object data="{b}/object.png" type="image/png"></object>'
        ),
        "meta-refresh": f'<meta http-equiv="refresh" content="0; url={b}/meta-refresh.html">',
        "form": (
            f'<form action="{b}/form" method="post"><input name="k" value="v">'
            f'<button formaction="{b}/formaction">Send</button></form>'
        ),
        "base": f'<base href="{b}/base/">\n\n<img src="relative.png"> [relative](relative.html)',
        "style": f"<style>* {{ background: url({b}/style.png); }} body {{ display: none; }}</style>",
        "css-url": (
            f'<div style="background-image: url({b}/inline-style.png)">inline</div>'
            f"<style>@import url({b}/import.css);</style>"
            f'<link rel="stylesheet" href="{b}/link.css">'
        ),
        "links": (
            "[js](javascript:document.title='pwned') [data](data:text/html;base64,PHNjcmlwdD4=) "
            "[file](file:///etc/hostname) "
            "<a href=\"javascript:document.title='pwned'\">js</a> <a href=\"data:text/html,x\">data</a> "
            "<a href=\"file:///etc/hostname\">file</a> <a href=\"&#106;avascript:x()\">entity</a>"
        ),
        "remote-image-query": (
            f"![remote]({b}/md-image.png?token=abc&x=1) "
            f'<img src="{b}/img.png?card=1&amp;x=2"> <img srcset="{b}/srcset.png?q=1 1x">'
        ),
        "fence-language-html": "\n".join(
            [
                f"```html\" onload=\"{pwn('fence-lang')}",
                f'<img src="{b}/fence.png">',
                "```",
                "",
                f"```<img src={b}/fence-info.png onerror={pwn('fence-info')}>",
                "x",
                "```",
            ]
        ),
        "media": f'<video src="{b}/video.mp4" poster="{b}/poster.png" autoplay muted></video>',
        "details-ontoggle": f'<details open ontoggle="{pwn("ontoggle")}"><summary>s</summary>d</details>',
    }


def payload_card(kind: str, payload: str) -> str:
    """A card that otherwise keeps the contract's shape, with the payload in its explanation."""
    return (
        f"# {kind}\n\nThis card carries a payload. It must stay inert.\n\n{payload}\n\n"
        "```python\nprint('ok')\n```\n\n## Why this works\nIt is sanitized. Nothing runs.\n"
    )


def hostile_plan(folder: Path, b: str, kinds: list[str] | None = None) -> tuple[Plan, Path]:
    """A plan (hostile title and component name too) with one stored card per payload kind."""
    bodies = hostile_kinds(b)
    chosen = list(bodies) if kinds is None else kinds
    names = [*chosen, f'<img src="{b}/name.png" onerror="{pwn("name")}">']
    bodies[names[-1]] = bodies["script"]
    plan = make_plan(*names, title=f'Hostile <script>{pwn("title")}</script> guide', instruction="x",
                     model=MODEL)
    plan_path = folder / "guide.md"
    store = CardStore(plan_path)
    finding = Finding("raw-html", "error", f'<img src="{b}/finding.png" onerror="{pwn("f")}">', 3)
    for name in names:
        store_card(store, plan, name, payload_card(name, bodies[name]), input_tokens=1, output_tokens=1,
                   cost_usd=0.0, findings=(finding,))
    return plan, plan_path


def export_html(folder: Path, b: str, kinds: list[str] | None = None) -> Path:
    """The HTML export of ``hostile_plan``: the page's path."""
    plan, plan_path = hostile_plan(folder, b, kinds)
    result = export_bundle(plan, CardStore(plan_path).load(plan), folder / "out", fmt="html")
    (page,) = [p for p in result.written if p.suffix == ".html"]
    return page
