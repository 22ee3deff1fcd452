"""Key hygiene: a canary API key goes through a run, every export, a settings save and failing
``--debug`` runs, and is then found in no file and no output.

The runs use the real SDK over real HTTP against the Messages API stand-in. In-process runs are
checked with every logger at DEBUG (caplog); the ``--debug`` runs are real processes, because
``--debug`` configures logging for the whole process (``logging.basicConfig``), which pytest's own
log handlers would turn into a no-op in-process. The settings dialog's "Use for this session
only" button calls ``app.apikey.set_session_key`` (tests/ui/test_settings_dialog.py checks that);
here the in-process run takes its key from that same session slot.
"""

from __future__ import annotations

import io
import logging
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import apikey
from app.core.export import FORMATS
from app.paths import config_dir, data_dir
from app.settings import Settings, SettingsError, load_settings, save_settings
from tests.helpers.cli import run_cli, run_process
from tests.helpers.plans import write_plan
from tests.helpers.server_thread import StandIn, message_requests


@pytest.fixture
def canary() -> Iterator[str]:
    key = "sk-ant-canary-" + secrets.token_hex(16)
    yield key
    apikey.set_session_key(None)


def needles(key: str) -> list[str]:
    # The whole key, and its random part alone (a key cut or re-prefixed would still leak that).
    return [key, key.removeprefix("sk-ant-canary-")]


def files_with(folder: Path, key: str) -> list[str]:
    """Every file under ``folder`` (and every member of a zip) whose bytes hold the key."""
    found: list[str] = []
    if not folder.exists():
        return found
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        blobs = {str(path): path.read_bytes()}
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                blobs.update({f"{path}!{n}": archive.read(n) for n in archive.namelist()})
        for name, data in blobs.items():
            if any(n.encode() in data for n in needles(key)):
                found.append(name)
    return found


def leaked_in(text: str, key: str) -> bool:
    return any(n in text for n in needles(key))


def everything(tmp_path: Path) -> list[Path]:
    """The config and data folders, and tmp_path: the plan, its cards and .history, the exports."""
    return [config_dir(), data_dir(), tmp_path]


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # root at DEBUG: the SDK's, httpx's and the app's records
    return caplog


def test_a_run_every_export_and_a_settings_save_keep_the_key_out_of_files_and_output(
    tmp_path: Path, canary: str, stand_in: StandIn, debug_logs: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    apikey.set_session_key(canary)  # what "Use for this session only" does
    outputs: list[str] = []
    api = stand_in(valid_keys={canary})
    plan = write_plan(tmp_path / "docs", 3)
    run = run_cli("generate", plan, "--debug")
    outputs += [run.out, run.err]
    assert run.code == 0, run.err
    # The key did reach the API (the stand-in accepts only the canary), so a 0 below means
    # "not written", not "never used".
    assert [r.status for r in message_requests(api)] == [200, 200, 200]
    # A second run after the context changed: the history keeps the replaced cards.
    plan.write_text(plan.read_text(encoding="utf-8").replace("Shared context", "New context"),
                    encoding="utf-8")
    again = run_cli("generate", plan)
    outputs += [again.out, again.err]
    assert again.code == 0, again.err
    assert any(p.is_file() for p in (plan.parent / "guide.cards" / ".history").rglob("*"))

    for fmt in FORMATS:
        exported = run_cli("export", plan, "--out", tmp_path / "exports" / fmt, "--format", fmt, "--debug")
        outputs += [exported.out, exported.err]
        assert exported.code == 0, exported.err
    assert len(list((tmp_path / "exports").rglob("*.*"))) >= 4

    save_settings(Settings(model="claude-haiku-4-5", concurrency=2, recent_files=[str(plan)]))
    assert load_settings().concurrency == 2
    # A key pasted into a field is refused, in one line that does not repeat it.
    with pytest.raises(SettingsError) as refused:
        save_settings(Settings(model=canary))
    outputs.append(refused.value.message)

    captured = capsys.readouterr()
    outputs += [captured.out, captured.err]
    assert any(r.name.startswith("anthropic") for r in debug_logs.records)  # the SDK did log
    outputs.append(debug_logs.text)
    outputs += [repr(r.args) + r.getMessage() for r in debug_logs.records]
    assert [i for i, text in enumerate(outputs) if leaked_in(text, canary)] == []
    for folder in everything(tmp_path):
        assert files_with(folder, canary) == [], folder
    assert (config_dir() / "settings.json").is_file()


def failing_debug_run(plan: Path, canary: str, *extra: str) -> str:
    """A real process (the stand-in and the canary key reach it through the environment)."""
    result = run_process("generate", plan, "--debug", *extra, env={"ANTHROPIC_LOG": "debug"})
    assert result.code != 0
    # The debug logging really was on (the SDK's and the HTTP client's records are there).
    assert "anthropic._base_client DEBUG" in result.err and "Request options" in result.err
    assert not leaked_in(result.out, canary) and not leaked_in(result.err, canary)
    return result.err


def test_a_refused_key_with_debug_logging_is_never_printed(
    tmp_path: Path, canary: str, stand_in: StandIn
) -> None:
    api = stand_in(valid_keys={"sk-ant-some-other-key-000000"}, api_key=canary)
    plan = write_plan(tmp_path / "docs", 2)
    err = failing_debug_run(plan, canary)
    assert [r.status for r in message_requests(api)][:1] == [401]
    assert "cardsmith: error:" in err and "401" in err
    for folder in everything(tmp_path):
        assert files_with(folder, canary) == [], folder


def test_a_500_storm_with_debug_logging_never_prints_the_key(
    tmp_path: Path, canary: str, stand_in: StandIn
) -> None:
    api = stand_in(mode="http_500", api_key=canary)
    plan = write_plan(tmp_path / "docs", 3)
    failing_debug_run(plan, canary, "--max-attempts", "2")
    statuses = [r.status for r in message_requests(api)]
    assert statuses and set(statuses) == {500} and len(statuses) >= 3
    for folder in everything(tmp_path):
        assert files_with(folder, canary) == [], folder


def test_the_check_would_see_a_leak(tmp_path: Path, canary: str) -> None:
    # Control: the scanners find the key in a plain file, inside a zip, and cut to its random part.
    (tmp_path / "plain.log").write_text(f"x-api-key: {canary}\n", encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a/b.md", f"key={canary}" * 50)
    (tmp_path / "bundle.zip").write_bytes(buffer.getvalue())
    found = files_with(tmp_path, canary)
    assert str(tmp_path / "plain.log") in found and f"{tmp_path / 'bundle.zip'}!a/b.md" in found
    assert leaked_in("key ..." + canary.removeprefix("sk-ant-canary-"), canary)
