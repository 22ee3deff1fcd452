"""Card texts the Messages API stand-in writes: good, hostile, contract-breaking, wrapped and cut.

Good cards keep the card contract (heading, 2 sentences, one fenced block of short lines in the
plan's language, a ``## Why this works`` section of 2 sentences), so engine and UI tests can expect
"done" without depending on the lint module's details.
"""

from __future__ import annotations

import json
import re

from app.core.contract import WHY_HEADING, canonical_language
from app.core.prompt import fence_tag

# Identifiers are capped so that every code line stays inside the 43-character width budget of
# the default 400 px column, whatever the component is called.
_MAX_IDENT = 16

EXPLANATION = (
    "This example gives the component one small, clear job. "
    "The code below is the smallest version of it that runs as written."
)
WHY = (
    "A single small type makes the intent obvious at a glance. "
    "Callers rely only on the named fields, so the shape stays easy to change."
)


def _words(name: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9]+", name)


def pascal_ident(name: str) -> str:
    """A PascalCase identifier for the component, valid in every supported language."""
    ident = "".join(w[:1].upper() + w[1:] for w in _words(name))[:_MAX_IDENT] or "Item"
    return ident if not ident[0].isdigit() else ("C" + ident)[:_MAX_IDENT]


def snake_ident(name: str) -> str:
    """A snake_case identifier for the component (shell functions, SQL tables, YAML keys)."""
    ident = "_".join(w.lower() for w in _words(name))[:_MAX_IDENT].strip("_") or "item"
    return ident if not ident[0].isdigit() else ("c_" + ident)[:_MAX_IDENT]


def _code_typescript(name: str) -> list[str]:
    t = pascal_ident(name)
    return [
        f"interface {t} {{",
        "  id: string;",
        "  label: string;",
        "}",
        f"const sample: {t} = {{",
        '  id: "u1",',
        '  label: "demo",',
        "};",
        "console.log(sample.label);",
    ]


def _code_python(name: str) -> list[str]:
    t = pascal_ident(name)
    return [
        "from dataclasses import dataclass",
        "",
        "@dataclass",
        f"class {t}:",
        "    id: str",
        "    label: str",
        "",
        f'item = {t}("u1", "demo")',
        "print(item.label)",
    ]


def _code_javascript(name: str) -> list[str]:
    t = pascal_ident(name)
    return [
        f"class {t} {{",
        "  constructor(id) {",
        "    this.id = id;",
        "  }",
        "}",
        f'const item = new {t}("u1");',
        "console.log(item.id);",
    ]


def _code_go(name: str) -> list[str]:
    t = pascal_ident(name)
    return [
        "package main",
        "",
        'import "fmt"',
        "",
        f"type {t} struct {{",
        "    ID string",
        "}",
        "",
        "func main() {",
        f'    item := {t}{{ID: "u1"}}',
        "    fmt.Println(item.ID)",
        "}",
    ]


def _code_rust(name: str) -> list[str]:
    t = pascal_ident(name)
    return [
        f"struct {t} {{",
        "    id: String,",
        "}",
        "",
        "fn main() {",
        '    let id = String::from("u1");',
        f"    let item = {t} {{ id }};",
        '    println!("{}", item.id);',
        "}",
    ]


def _code_bash(name: str) -> list[str]:
    f = snake_ident(name)
    return [
        "#!/usr/bin/env bash",
        "set -euo pipefail",
        "",
        f"{f}() {{",
        '  echo "id=$1"',
        "}",
        "",
        f'{f} "u1"',
    ]


def _code_sql(name: str) -> list[str]:
    t = snake_ident(name)
    return [
        f"CREATE TABLE {t} (",
        "  id TEXT PRIMARY KEY,",
        "  label TEXT NOT NULL",
        ");",
        f"SELECT id, label FROM {t};",
    ]


def _code_json(name: str) -> list[str]:
    return [
        "{",
        f'  "component": {json.dumps(snake_ident(name))},',
        '  "id": "u1",',
        '  "label": "demo"',
        "}",
    ]


def _code_yaml(name: str) -> list[str]:
    return [f"{snake_ident(name)}:", "  id: u1", "  label: demo"]


def _code_generic(name: str) -> list[str]:
    return [
        f"{snake_ident(name)} = new_item()",
        f'{snake_ident(name)}.id = "u1"',
        f"show({snake_ident(name)})",
    ]


_CODE = {
    "typescript": _code_typescript,
    "tsx": _code_typescript,
    "python": _code_python,
    "javascript": _code_javascript,
    "jsx": _code_javascript,
    "go": _code_go,
    "rust": _code_rust,
    "bash": _code_bash,
    "sql": _code_sql,
    "json": _code_json,
    "yaml": _code_yaml,
}


def good_code(name: str, language: str) -> list[str]:
    """Short, valid code lines for the component in the language (a neutral fallback otherwise)."""
    return _CODE.get(canonical_language(language), _code_generic)(name)


def _fence(language: str) -> str:
    return fence_tag(language or "typescript")


def good_card(name: str, language: str) -> str:
    """A card that keeps the contract."""
    code = "\n".join(good_code(name, language))
    return f"# {name}\n\n{EXPLANATION}\n\n```{_fence(language)}\n{code}\n```\n\n## {WHY_HEADING}\n{WHY}\n"


def wrapped_card(name: str, language: str) -> str:
    """A good card wrapped as a whole in a ```markdown fence, as models sometimes answer."""
    return f"```markdown\n{good_card(name, language)}```\n"


def broken_card(name: str, language: str) -> str:
    """Breaks the contract: 6 explanation sentences, 25 code lines, no Why section."""
    sentences = " ".join(f"This is explanation sentence number {n}." for n in range(1, 7))
    lang = canonical_language(language)
    if lang == "python":
        code = [f"v{i} = {i}" for i in range(1, 26)]
    else:
        code = [f"const v{i} = {i};" for i in range(1, 26)]
    body = "\n".join(code)
    return f"# {name}\n\n{sentences}\n\n```{_fence(language)}\n{body}\n```\n"


def cut_card(name: str, language: str, fraction: float = 0.55) -> str:
    """The first part of a good card, cut mid-way, as a ``max_tokens`` stop leaves it."""
    text = good_card(name, language)
    return text[: max(1, int(len(text) * fraction))]


def refusal_text(name: str) -> str:
    """What streams before a ``refusal`` stop: the heading and a started sentence."""
    return f"# {name}\n\nI can't"


# A 1x1 transparent PNG: the only kind of image the preview allows (data:image/*).
DATA_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def hostile_card(name: str, language: str, beacon_base: str) -> str:
    """Every active-content trick a model could write, with a correct heading.

    Remote URLs point at ``beacon_base`` (the stand-in's ``/_fake/beacon/<what>``), so a test can
    assert that the preview fetched nothing.
    """
    b = beacon_base.rstrip("/") + "/_fake/beacon"
    lines = [
        f"# {name}",
        "",
        '<script>document.title = "pwned"</script>'
        f'Click <a href="javascript:alert(1)">here</a> to continue. '
        f'This card tries every trick <img src="{b}/img-onerror.png" onerror="alert(1)">.',
        "",
        f'<svg onload="alert(2)"><image href="{b}/svg-image.png"/></svg>',
        f'<iframe src="{b}/iframe.html"></iframe>',
        "<style>body { display: none; } * { background: url(" + b + "/css.png); }</style>",
        f'<meta http-equiv="refresh" content="0; url={b}/meta-refresh.html">',
        f'<base href="{b}/base/">',
        f'<form action="{b}/form"><input name="k"><button>Send</button></form>',
        f'<object data="{b}/object.swf"></object><embed src="{b}/embed.swf">',
        f'<link rel="stylesheet" href="{b}/link.css">',
        "[a javascript link](javascript:alert(3)) and "
        "[a data link](data:text/html,<script>alert(4)</script>)",
        f"![remote image]({b}/remote.png) ![inline image]({DATA_PNG})",
        '<a href="https://example.com/" onclick="alert(5)" style="color:red">an https link</a>',
        "",
        f"```{_fence(language)}",
        'const ok = "<script>alert(6)</script>";',
        "```",
        "",
        f"## {WHY_HEADING}",
        '<img src="x" onerror="alert(7)">Sanitizing keeps the page inert. '
        '<b onmouseover="alert(8)">Text</b> stays.',
        "",
    ]
    return "\n".join(lines)
