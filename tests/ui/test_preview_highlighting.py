"""Cards are highlighted without a <span> for tokens drawn like plain text; in a real QtWebEngine
every character of the code keeps the look Pygments' stock output gives it, in both themes.

(Pixels are not compared: splitting text into fewer runs moves a few glyph edges by a subpixel.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import markdown
import pytest
from PySide6.QtWebEngineCore import QWebEngineScript
from PySide6.QtWebEngineWidgets import QWebEngineView

from app.core.render import render_card, render_document, sanitize_html

SAMPLES = {
    "python": '@dataclass\nclass User:\n    """A user."""\n    id: int = 0  # none yet\n\n'
              'def find(users: list[User], key: int) -> User | None:\n'
              '    return next((u for u in users if u.id == key), None)',
    "typescript": "// A user record.\nexport interface User { id: string; age?: number }\n"
                  "const find = (xs: User[], id: string): User | undefined =>\n"
                  "  xs.find((x) => x.id === id && (x.age ?? 0) > 17);",
    "go": "package main\n\nimport \"fmt\"\n\n// Sum adds.\nfunc Sum(xs []int) (n int) {\n"
          "\tfor _, x := range xs {\n\t\tn += x * 2\n\t}\n\treturn\n}\n\n"
          "func main() { fmt.Println(Sum([]int{1, 2})) }",
    "sql": "-- newest first\nSELECT id, name FROM users\nWHERE age > 17 AND name LIKE 'a%'\n"
           "ORDER BY created_at DESC LIMIT 10;",
    "bash": 'set -euo pipefail\nfor f in "$@"; do\n  echo "${f%.md}" >> out.txt  # log\ndone',
}


def body(lang: str) -> str:
    return f"# {lang}\n\nA sample.\n\n```{lang}\n{SAMPLES[lang]}\n```\n\n## Why this works\n\nIt does."


def stock_render(text: str) -> str:
    """What Python-Markdown + Pygments emit on their own: a span for every token."""
    md = markdown.Markdown(
        extensions=["fenced_code", "codehilite", "sane_lists"],
        extension_configs={"codehilite": {"css_class": "highlight", "guess_lang": False}},
    )
    return sanitize_html(md.convert(text))


@pytest.fixture
def views(qapp: Any) -> Iterator[list[QWebEngineView]]:
    made: list[QWebEngineView] = []
    yield made
    import shiboken6

    for view in made:
        view.close()
        shiboken6.delete(view)


# Every visible character of the code blocks with what decides its look; blanks only with what
# would make them visible.
STYLES_OF_CODE = """
(() => {
  const out = [];
  for (const pre of document.querySelectorAll("pre")) {
    const walk = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let node = walk.nextNode(); node; node = walk.nextNode()) {
      const cs = getComputedStyle(node.parentElement);
      const box = [cs.backgroundColor, cs.textDecorationLine, cs.outlineStyle].join("|");
      const ink = [cs.color, cs.fontWeight, cs.fontStyle, cs.fontFamily, cs.fontSize, box].join("|");
      for (const ch of node.data) out.push(ch.trim() ? ch + " " + ink : "blank " + box);
    }
  }
  return JSON.stringify(out);
})()
"""


def code_styles(qtbot: Any, views: list[QWebEngineView], page: str) -> list[str]:
    """The computed style of every character of the page's code, in a real QtWebEngine."""
    view = QWebEngineView()
    views.append(view)
    view.resize(400, 800)
    view.show()
    with qtbot.waitSignal(view.loadFinished, timeout=20000):
        view.setHtml(page)
    result: list[str] = []
    view.page().runJavaScript(STYLES_OF_CODE, QWebEngineScript.ScriptWorldId.ApplicationWorld,
                              lambda value: result.append(value))
    qtbot.waitUntil(lambda: bool(result), timeout=20000)
    return json.loads(result[0])


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_fewer_spans_and_every_character_looks_the_same(
    qtbot: Any, views: list[QWebEngineView], theme: str
) -> None:
    ours = [render_card(body(lang)) for lang in SAMPLES]
    stock = [stock_render(body(lang)) for lang in SAMPLES]
    spans_ours, spans_stock = sum(f.count("<span") for f in ours), sum(f.count("<span") for f in stock)
    assert spans_ours < 0.6 * spans_stock, (spans_ours, spans_stock)
    styles_ours = code_styles(qtbot, views, render_document("Sample", ours, theme=theme))  # type: ignore[arg-type]
    styles_stock = code_styles(qtbot, views, render_document("Sample", stock, theme=theme))  # type: ignore[arg-type]
    colours = {entry.split(" ", 1)[1].split("|")[0] for entry in styles_stock if not entry.startswith("blank ")}
    assert len(colours) >= 5  # a highlighted page, not plain text on both sides
    assert styles_ours == styles_stock
