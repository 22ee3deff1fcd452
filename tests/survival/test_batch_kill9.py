"""Kill -9 of `cardsmith generate --batch`: right after submission, and in the one window where a
batch can be orphaned (after the create call, before its id is written). Either way the next
`generate --batch` pays for one batch in total and writes every card."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from app.core.fsutil import is_tmp_leftover
from app.core.store import cards_folder
from app.engine.batch_state import load_state, state_path
from app.errors import StoreError
from tests.fakes.messages_api import FakeMessagesAPI
from tests.helpers.cli import REPO, run_cli
from tests.helpers.plans import component_names, write_plan
from tests.helpers.server_thread import StandInThread

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

KEY = "sk-ant-batch-kill9-key"
N = 8
HANG_GUARD_S = 60.0


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    with StandInThread(mode="good", batch_seconds=None) as fake:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("CARDSMITH_TEST_BATCH_POLL_S", "0.05")
        monkeypatch.delenv("CARDSMITH_TEST_PAUSE_AFTER_BATCH_CREATE", raising=False)
        yield fake


def start(plan: Path, **extra_env: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, **extra_env}
    return subprocess.Popen([sys.executable, "-m", "app", "generate", str(plan), "--batch"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until(predicate: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while time.monotonic() < deadline:
        if predicate():
            return
        if proc.poll() is not None:
            raise AssertionError(f"generate --batch ended first ({proc.returncode}): {proc.stderr.read()!r}")  # type: ignore[union-attr]
        time.sleep(0.01)
    raise AssertionError("hang guard: the moment to kill never came")


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=HANG_GUARD_S)
    assert proc.returncode == -signal.SIGKILL
    assert proc.stderr is not None
    proc.stderr.close()


def state_has_id(plan: Path) -> bool:
    try:
        state = load_state(plan)
    except StoreError:
        return False
    return state is not None and bool(state.ids)


def check_all_written_once(api: FakeMessagesAPI, plan: Path, err: str) -> None:
    assert len(api.batches.created) == 1, [b.id for b in api.batches.created]
    assert [r for r in api.records if r.path == "/v1/messages"] == []
    names = sorted(p.stem for p in cards_folder(plan).glob("*.md"))
    assert names == [n.lower().replace(" ", "-") for n in component_names(N)], err
    assert not state_path(plan).exists()
    assert not [p for p in cards_folder(plan).rglob("*") if is_tmp_leftover(p)]


def test_kill_9_right_after_submission_then_resume_pays_for_one_batch(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, N)
    proc = start(plan)
    try:
        wait_until(lambda: state_has_id(plan), proc)  # submitted: the id is on disk
    finally:
        kill(proc)
    assert len(api.batches.created) == 1 and api.batches.created[0].ended is None

    api.batches.finish()
    result = run_cli("generate", plan, "--batch")
    assert result.code == 0, result.err
    assert "resumed" in result.err
    check_all_written_once(api, plan, result.err)


def test_kill_9_between_create_and_the_id_write_adopts_the_orphan(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, N)
    proc = start(plan, CARDSMITH_TEST_PAUSE_AFTER_BATCH_CREATE="60")
    try:
        wait_until(lambda: len(api.batches.created) == 1, proc)
        state = load_state(plan)
        # The batch exists on the API's side; the state says a create was under way, without an id.
        assert state is not None and state.ids == [] and state.batches[0].create_started_at
        assert len(state.batches[0].requests) == N
    finally:
        kill(proc)

    api.batches.finish()
    result = run_cli("generate", plan, "--batch")
    assert result.code == 0, result.err
    assert f"batch {api.batches.created[0].id} adopted: {N} cards" in result.err
    check_all_written_once(api, plan, result.err)


def test_ctrl_c_detaches_and_the_batch_goes_on(api: FakeMessagesAPI, tmp_path: Path) -> None:
    plan = write_plan(tmp_path, N)
    proc = start(plan)
    wait_until(lambda: state_has_id(plan), proc)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=HANG_GUARD_S)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    proc.stderr.close()
    batch = api.batches.created[0]
    assert proc.returncode == 130, err
    assert f"detached: batch {batch.id} goes on" in err and "Traceback" not in err
    assert batch.cancel_requested is None and batch.ended is None and state_has_id(plan)

    api.batches.finish()
    result = run_cli("generate", plan, "--batch")
    assert result.code == 0, result.err
    check_all_written_once(api, plan, result.err)
