"""Preview safety, one layer at a time: sanitizer, CSP, interceptor, then the whole PreviewView.

Each layer is tested on its own, in a page where the other layers are absent and JavaScript is on,
so that no layer hides another's failure (docs/architecture.md#preview-safety). A control test shows that the
same payloads, with every layer off, do reach the beacon and do run script, so each 0 means
something. The beacon (tests/fakes/beacon.py) is a local HTTP server counting every request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QUrl

from app.core.card import Finding
from app.core.render import CONTENT_SECURITY_POLICY, render_card, sanitize_html, shell_html
from app.ui.preview_markup import PreviewCard
from app.ui.preview_page import ShellOnlyInterceptor
from tests.fakes.beacon import Beacon
from tests.fakes.cards import good_card, hostile_card
from tests.helpers.hostile import pwn
from tests.helpers.preview_attack import (  # noqa: F401 - fixtures used by name
    MAIN_WORLD,
    PWNED_JS,
    PlainPage,
    assert_javascript_is_on,
    assert_quiet,
    beacon,
    dangerous_markup,
    load,
    page_html,
    plain_view,
)
from tests.helpers.webpage import run_js, shown_preview

pytestmark = pytest.mark.gui

def resource_payloads(b: str) -> dict[str, str]:
    """Raw HTML that loads something from the beacon or runs script, keyed by what it tries."""
    return {
        "script": f"<script>{pwn('script')}</script>",
        "img": f'<img src="{b}/img.png?card=1&amp;x=2">',
        "img-onerror": f'<img src="data:,nope" onerror="{pwn("img-onerror")}">',
        "svg": f'<svg onload="{pwn("svg-onload")}"><image href="{b}/svg-image.png" width="4" height="4"/></svg>',
        "iframe": f'<iframe src="{b}/iframe.html"></iframe>',
        "srcdoc": (
            f"<iframe srcdoc=\"<script>parent.{pwn('srcdoc')}</script><img src='{b}/srcdoc.png'>\">"
            "</iframe>"
        ),
        "object": f'<object data="{b}/object.png" type="image/png"></object><embed src="{b}/embed.png" type="image/png">',
        "style": f"<style>.hx {{ background: url({b}/style.png); }}</style><div class=\"hx\">styled</div>",
        "import": f"<style>@import url({b}/import.css);</style>",
        "inline-style": f'<div style="background-image: url({b}/inline-style.png)">inline</div>',
        "link": f'<link rel="stylesheet" href="{b}/link.css"><link rel="preload" as="image" href="{b}/preload.png">',
        "srcset": f'<img srcset="{b}/srcset.png 1x">',
        "input": f'<input type="image" src="{b}/input.png">',
        "video": f'<video src="{b}/video.mp4" muted autoplay></video><audio src="{b}/audio.mp3" autoplay></audio>',
        "details": f'<details open ontoggle="{pwn("ontoggle")}"><summary>s</summary>d</details>',
        "js-requests": (
            "<script>"
            f"fetch('{b}/fetch').catch(function () {{}});"
            f"new Image().src = '{b}/js-image.png';"
            f"var x = new XMLHttpRequest(); x.open('GET', '{b}/xhr'); x.send();"
            f"navigator.sendBeacon('{b}/sendbeacon', 'x');"
            f"try {{ new WebSocket('{b.replace('http:', 'ws:')}/ws'); }} catch (e) {{}}"
            "</script>"
        ),
    }


def navigation_payloads(b: str) -> dict[str, str]:
    """Raw HTML that tries to take the page elsewhere (a control page would leave itself)."""
    return {
        "base": f'<base href="{b}/base/"><img src="relative.png"><a href="relative.html">rel</a>',
        "form": f'<form action="{b}/form" method="post"><input name="k" value="v"><button>Send</button></form>',
        "links": (
            "<a href=\"javascript:document.title='pwned'\">js</a> <a href=\"data:text/html,x\">data</a> "
            "<a href=\"file:///etc/hostname\">file</a>"
        ),
        "noscript": f'<noscript><img src="{b}/noscript.png"></noscript>',
        "mxss": (
            f'<svg><style><img src="{b}/mxss.png"></style></svg>'
            f"<noscript><p title=\"</noscript><img src='{b}/mxss2.png' onerror={pwn('mxss')}>\"></p></noscript>"
        ),
        "meta-refresh": f'<meta http-equiv="refresh" content="0; url={b}/meta-refresh.html">',
    }


def markdown_tricks(b: str) -> str:
    """Card Markdown whose danger is in Markdown syntax rather than raw HTML."""
    return "\n".join(
        [
            "# Tricks",
            "",
            f"![remote]({b}/md-image.png?token=abc&x=1) ![ref][r] <{b}/autolink>",
            "[js](javascript:document.title='pwned') [data](data:text/html;base64,PHNjcmlwdD4=) "
            "[file](file:///etc/hostname) [vb](vbscript:msgbox) [spaced]( javascript:alert(1))",
            f'[titled]({b}/titled "t\\" onmouseover=\\"{pwn("md-title")}")',
            "",
            f"```html\" onload=\"{pwn('fence-lang')}",
            f'<img src="{b}/fence.png">',
            "```",
            "",
            f"```<img src={b}/fence-info.png>",
            "x",
            "```",
            "",
            f"[r]: {b}/ref.png",
            "",
        ]
    )


def test_control_without_any_layer_the_payloads_reach_the_beacon_and_run(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon
) -> None:
    view, page = plain_view()
    load(qtbot, view, page_html("".join(resource_payloads(beacon.base_url).values())))
    # Every kind of load is live in this engine: a 0 below is the layer's doing, not the engine's.
    expected = {
        "GET /img.png?card=1&x=2", "GET /svg-image.png", "GET /iframe.html", "GET /srcdoc.png",
        "GET /object.png", "GET /embed.png", "GET /style.png", "GET /import.css",
        "GET /inline-style.png", "GET /link.css", "GET /preload.png", "GET /srcset.png",
        "GET /input.png", "GET /video.mp4", "GET /audio.mp3", "GET /fetch", "GET /js-image.png",
        "GET /xhr", "POST /sendbeacon", "GET /ws",
    }  # fmt: skip

    def reached() -> bool:
        return expected <= set(beacon.hits)

    qtbot.waitUntil(reached, timeout=5000)
    assert run_js(qtbot, page, PWNED_JS) == ["img-onerror", "ontoggle", "script", "srcdoc", "svg-onload"]
    assert page.title() == "pwned"

    # And a page may leave for the beacon (the interceptor must stop navigations too).
    load(qtbot, view, page_html(f'<meta http-equiv="refresh" content="0; url={beacon.url("refreshed")}">'))
    qtbot.waitUntil(lambda: "GET /refreshed" in beacon.hits, timeout=5000)


def test_layer_sanitizer_alone_its_output_is_inert_with_javascript_on(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon
) -> None:
    b = beacon.base_url
    raw = {**resource_payloads(b), **navigation_payloads(b)}
    fragments = [sanitize_html(markup) for markup in raw.values()]
    fragments.append(render_card("# Raw HTML\n\n" + "\n\n".join(raw.values())))
    fragments.append(render_card(hostile_card("Hostile", "typescript", b)))
    fragments.append(render_card(markdown_tricks(b)))
    view, page = plain_view()  # no CSP, no interceptor, JavaScript on
    load(qtbot, view, page_html("\n".join(fragments)))
    loaded_url = view.url()
    assert_javascript_is_on(qtbot, page)

    assert_quiet(qtbot, beacon)
    assert run_js(qtbot, page, PWNED_JS) == []
    assert page.title() == "inert"
    assert view.url() == loaded_url
    assert dangerous_markup(qtbot, page, "body *") == []
    # The harmless parts survive: text, https links, data: images.
    assert run_js(qtbot, page, 'document.querySelectorAll("a[href^=\'https:\']").length') >= 1
    assert run_js(qtbot, page, 'document.querySelectorAll("img[src^=\'data:image/png\']").length') >= 1


def test_layer_csp_alone_blocks_unsanitized_script_and_remote_loads(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon
) -> None:
    b = beacon.base_url
    raw = {**resource_payloads(b), "base": navigation_payloads(b)["base"]}
    shell = shell_html()
    assert CONTENT_SECURITY_POLICY in shell
    hostile_shell = shell.replace('<main id="cards"></main>', f'<main id="cards">{"".join(raw.values())}</main>')
    assert hostile_shell != shell
    view, page = plain_view()  # no sanitizer, no interceptor, JavaScript on
    load(qtbot, view, hostile_shell)
    assert_javascript_is_on(qtbot, page)

    assert_quiet(qtbot, beacon)
    assert run_js(qtbot, page, PWNED_JS) == []
    assert page.title() == "Cardsmith preview"
    # It was the policy that stopped them (the payloads are still in the DOM).
    assert any("Content Security Policy" in message for message in page.console)
    assert run_js(qtbot, page, 'document.querySelectorAll("#cards script, #cards iframe").length') >= 3


def test_layer_interceptor_alone_blocks_every_remote_request(
    qtbot: Any, plain_view: Callable[..., Any], beacon: Beacon
) -> None:
    b = beacon.base_url
    navigations = navigation_payloads(b)
    raw = {
        **resource_payloads(b),
        "base": navigations["base"],
        "noscript": navigations["noscript"],
        # Navigations after the load: the page tries to leave for the beacon three ways.
        "after-load": (
            "<script>function after_load(f, ms) {"
            " window.addEventListener('load', function () { setTimeout(f, ms); }); }</script>"
        ),
        "submit": (
            f'<form id="f" action="{b}/form" method="post"><input name="k" value="v"></form>'
            "<script>after_load(function () { document.getElementById('f').submit(); }, 10);</script>"
        ),
        "location": f"<script>after_load(function () {{ location.href = '{b}/location'; }}, 30);</script>",
        "meta-refresh": navigations["meta-refresh"],
    }
    interceptor = ShellOnlyInterceptor()
    view, page = plain_view(interceptor)  # no sanitizer, no CSP, JavaScript on
    titles: list[str] = []
    page.titleChanged.connect(titles.append)
    load(qtbot, view, page_html("".join(raw.values())))

    assert_quiet(qtbot, beacon)
    # One per remote load the control saw, at the least.
    assert interceptor.blocked_count >= 20
    # Scripts did run here (only the request layer is under test): the 0 is not for lack of them.
    assert "pwned" in titles


def test_the_whole_preview_keeps_hostile_cards_inert(qtbot: Any, beacon: Beacon) -> None:
    b = beacon.base_url
    raw = {**resource_payloads(b), **navigation_payloads(b)}
    nasty_key = f'x"]><img src="{b}/key.png">'
    cards = [
        PreviewCard("good", "Good", good_card("Good", "python"), "done"),
        PreviewCard("hostile", "Hostile", hostile_card("Hostile", "typescript", b), "done"),
        PreviewCard("raw", "Raw", "# Raw\n\n" + "\n\n".join(raw.values()), "done"),
        PreviewCard("tricks", "Tricks", markdown_tricks(b), "edited"),
        PreviewCard(
            nasty_key,
            f'<img src="{b}/name.png" onerror="{pwn("name")}">',
            f'# Cut\n\nA card cut mid-tag <img src="{b}/cut.png" onerror="{pwn("cut")}',
            f'done"><img src="{b}/status.png">',
            (Finding("raw-html", "error", f'<img src="{b}/finding.png" onerror="{pwn("finding")}">', 1),),
        ),
    ]
    opened: list[QUrl] = []
    view = shown_preview(qtbot, opened)
    shell_url = view.url()
    navigated: list[str] = []
    view.page().urlChanged.connect(lambda url: navigated.append(url.toString()[:80]))
    view.page().loadStarted.connect(lambda: navigated.append("load started"))

    view.set_cards(cards)
    view.flush()
    hostile = hostile_card("Hostile", "typescript", b)
    for end in range(40, len(hostile), 97):  # streamed: every partial tag goes through too
        view.update_card(PreviewCard("hostile", "Hostile", hostile[:end], "streaming"))
        view.flush()
    view.update_card(cards[1])
    view.scroll_to("raw")
    view.flush()

    assert_quiet(qtbot, beacon)
    page = view.page()
    assert run_js(qtbot, page, "Array.from(document.querySelectorAll('#cards > article.card')).map(a => a.dataset.key)") == [
        card.key for card in cards
    ]
    assert run_js(qtbot, page, "document.body.children.length") == 1  # only <main id="cards">
    assert run_js(qtbot, page, PWNED_JS) == []
    assert page.title() == "Cardsmith preview"
    assert view.url() == shell_url and shell_url.scheme() == "data"
    assert navigated == []
    assert opened == []
    assert dangerous_markup(qtbot, page, "#cards *") == []
    assert view.interceptor.blocked_count == 0  # the sanitizer left nothing for the next layers
