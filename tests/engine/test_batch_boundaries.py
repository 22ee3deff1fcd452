"""The batch modules keep the architecture's rules: no Qt, and the SDK only inside the provider."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.test_boundaries import BLOCK_QT

BATCH_MODULES = [
    "app.batch_cli",
    "app.core.batch_ids",
    "app.core.planner",
    "app.engine.batch",
    "app.engine.batch_client",
    "app.engine.batch_events",
    "app.engine.batch_progress",
    "app.engine.batch_repairs",
    "app.engine.batch_results",
    "app.engine.batch_state",
    "app.engine.batch_submit",
    "app.engine.providers.anthropic_batches",
]


@pytest.mark.parametrize("module", BATCH_MODULES)
def test_batch_module_imports_without_qt(module: str) -> None:
    result = subprocess.run([sys.executable, "-c", BLOCK_QT + f"\nimport {module}\n"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_engine_sees_batches_without_the_sdk() -> None:
    """Only the provider's batch module imports the SDK, and only when a batch call is made."""
    modules = [m for m in BATCH_MODULES if not m.endswith("anthropic_batches")]
    code = f"import sys, {', '.join(modules)}; print('anthropic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
