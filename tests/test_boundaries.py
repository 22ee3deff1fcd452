"""The dependency rules of the architecture, checked by running imports in a clean interpreter."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

# Qt-free packages must import with PySide6, qasync and the window package made unimportable.
BLOCK_QT = textwrap.dedent(
    """
    import importlib.abc, sys

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "qasync", "shiboken6") or name.startswith("app.ui"):
                raise ImportError(f"blocked import of {name}")
            return None

    sys.meta_path.insert(0, Block())
    """
)

QT_FREE_MODULES = [
    "app.cli",
    "app.terminal",
    "app.apikey",
    "app.core.plan",
    "app.core.plan_model",
    "app.core.plan_settings",
    "app.core.textfile",
    "app.core.card",
    "app.core.lint",
    "app.core.card_markdown",
    "app.core.lint_report",
    "app.core.syntax",
    "app.core.history",
    "app.core.history_report",
    "app.settings",
    "app.core.prompt",
    "app.core.render",
    "app.core.store",
    "app.core.export",
    "app.core.estimate",
    "app.core.pricing",
    "app.engine.events",
    "app.engine.retry",
    "app.engine.runner",
    "app.engine.generate",
    "app.engine.progress",
    "app.engine.providers.anthropic",
]


@pytest.mark.parametrize("module", QT_FREE_MODULES)
def test_module_imports_without_qt(module: str) -> None:
    code = BLOCK_QT + f"\nimport {module}\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_preview_markup_needs_no_qt() -> None:
    """The window package's one Qt-free module: the preview's markup and update script."""
    qt_only = BLOCK_QT.replace(' or name.startswith("app.ui")', "")
    assert qt_only != BLOCK_QT
    result = subprocess.run([sys.executable, "-c", qt_only + "\nimport app.ui.preview_markup\n"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_blocker_really_blocks() -> None:
    code = BLOCK_QT + "\nimport PySide6.QtCore\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode != 0 and "blocked import" in result.stderr


def test_command_line_start_does_not_import_the_sdk() -> None:
    """`import anthropic` costs ~1.6 s: the CLI's start and the offline commands must not pay it."""
    code = "import sys, app.cli, app.terminal, app.engine.generate; print('anthropic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
