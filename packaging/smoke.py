"""Smoke test of the packaged program: ``python packaging/smoke.py [dist/cardsmith/cardsmith]``.

Run from the source tree with the project's venv (the Messages API stand-in, ``tests.fakes``, comes
from there). Everything is written under a temporary folder; nothing touches the internet. Exits 0
when every check passes, 1 at the first failure (naming it).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "resources" / "examples" / "auth-service.md"
GRAMMARS = ("bash", "c", "c_sharp", "cpp", "go", "java", "javascript", "json", "python", "rust",
            "sql", "typescript", "yaml")
# Hang guards only: a healthy run takes a fraction of these.
CLI_TIMEOUT_S = 120.0
WINDOW_OPEN_TIMEOUT_S = 90.0
WINDOW_STAYS_UP_S = 4.0
WINDOW_CLOSE_TIMEOUT_S = 60.0


class SmokeFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def step(name: str) -> None:
    print(f"smoke: {name}", flush=True)


def base_env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        CARDSMITH_CONFIG_DIR=str(work / "config"),
        CARDSMITH_DATA_DIR=str(work / "data"),
        CARDSMITH_CACHE_DIR=str(work / "cache"),
        ANTHROPIC_API_KEY="smoke-test-key",
    )
    env.pop("ANTHROPIC_BASE_URL", None)  # only the generate step talks to an API: the stand-in
    # Chromium will not start as root with its sandbox on; everyone else keeps the sandbox.
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    else:
        env.pop("QTWEBENGINE_DISABLE_SANDBOX", None)
    return env


def run(program: Path, args: Sequence[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(program), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S, check=False)


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"


def copy_example(dest: Path, with_cards: bool = True) -> Path:
    dest.mkdir(parents=True)
    shutil.copy2(EXAMPLE, dest / EXAMPLE.name)
    if with_cards:
        shutil.copytree(EXAMPLE.with_suffix(".cards"), dest / EXAMPLE.with_suffix(".cards").name)
    return dest / EXAMPLE.name


def check_bundle_contents(program: Path) -> None:
    step("bundle contents (QtWebEngine process and resources, resources/, grammars)")
    internal = program.parent / "_internal"
    qt = internal / "PySide6" / "Qt"
    expected = [
        qt / "libexec" / "QtWebEngineProcess",
        qt / "resources" / "qtwebengine_resources.pak",
        qt / "resources" / "icudtl.dat",
        qt / "translations" / "qtwebengine_locales" / "en-US.pak",
        internal / "resources" / "examples" / "auth-service.md",
        internal / "resources" / "icons" / "cardsmith.svg",
        internal / "resources" / "preview.css",
    ]
    expected += [internal / f"tree_sitter_{g}" for g in GRAMMARS]
    missing = [str(p.relative_to(program.parent)) for p in expected if not p.exists()]
    check(not missing, f"missing from the bundle: {', '.join(missing)}")


def check_version(program: Path, env: dict[str, str], work: Path) -> None:
    step("--version")
    sys.path.insert(0, str(ROOT))
    from app import __version__

    result = run(program, ["--version"], env, work)
    check(result.returncode == 0, f"--version failed: {describe(result)}")
    check(result.stdout.strip() == f"cardsmith {__version__}",
          f"--version printed {result.stdout.strip()!r}, expected 'cardsmith {__version__}'")


@contextmanager
def stand_in() -> Iterator[str]:
    """The Messages API stand-in from the source tree, on a free port; yields its base URL."""
    # Its stderr goes to ours: a pipe nobody reads could fill up and stall it.
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        check(url.startswith("http://"), f"the stand-in did not start (it printed {url!r})")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def check_generate(program: Path, env: dict[str, str], work: Path) -> Path:
    step("generate against the stand-in")
    plan = copy_example(work / "generate", with_cards=False)
    with stand_in() as url:
        result = run(program, ["generate", str(plan)], {**env, "ANTHROPIC_BASE_URL": url}, work)
    check(result.returncode == 0, f"generate failed: {describe(result)}")
    cards = sorted(plan.with_suffix(".cards").glob("*.md"))
    check(len(cards) == 6, f"generate wrote {len(cards)} cards, expected 6: {describe(result)}")
    for card in cards:
        text = card.read_text(encoding="utf-8")
        check("\nstatus: done\n" in text, f"{card.name} is not done:\n{text[:600]}")
    return plan


def check_lint_syntax(program: Path, env: dict[str, str], work: Path) -> None:
    step("lint finds a syntax error")
    plan = copy_example(work / "lint")
    card = plan.with_suffix(".cards") / "user-model.md"
    text = card.read_text(encoding="utf-8")
    broken = text.replace("export interface User {\n", "export interface User {{ =\n", 1)
    check(broken != text, "the example card changed: cannot plant the syntax error")
    card.write_text(broken, encoding="utf-8")
    result = run(program, ["lint", str(plan), "--json"], env, work)
    check(result.returncode == 1, f"lint should exit 1: {describe(result)}")
    report = json.loads(result.stdout)
    findings = [f for c in report["cards"] if c["component"] == "User Model" for f in c["findings"]]
    check(any(f["rule"] == "syntax" and f["severity"] == "error" for f in findings),
          f"no syntax finding for User Model: {findings}")
    others = [f for c in report["cards"] if c["component"] != "User Model" for f in c["findings"]]
    check(not others, f"unexpected findings on the untouched cards: {others}")


def check_render_ahead(program: Path, env: dict[str, str], work: Path, plan: Path) -> None:
    step("--render-ahead (the window's helper on a plan's first open)")
    result = run(program, ["--render-ahead", str(plan)], env, work)
    check(result.returncode == 0, f"--render-ahead failed: {describe(result)}")
    previews = list((work / "cache" / "previews").glob("*.json"))
    check(len(previews) == 1, f"--render-ahead wrote {[p.name for p in previews]}, expected one render cache")
    check("Password Hashing" in previews[0].read_text(encoding="utf-8"), "the render cache lacks the cards")


def check_export_html(program: Path, env: dict[str, str], work: Path, plan: Path) -> None:
    step("export --format html")
    out = work / "export"
    result = run(program, ["export", str(plan), "--format", "html", "--out", str(out)], env, work)
    check(result.returncode == 0, f"export failed: {describe(result)}")
    pages = list(out.rglob("*.html"))
    check(len(pages) == 1, f"export wrote {[str(p) for p in pages]}, expected one HTML file")
    html = pages[0].read_text(encoding="utf-8")
    check("<html" in html.lower() and "Password Hashing" in html and "<pre" in html,
          f"the HTML export lacks the cards: {html[:400]}")


def lock_file_for(plan: Path, env: dict[str, str]) -> Path:
    os.environ["CARDSMITH_DATA_DIR"] = env["CARDSMITH_DATA_DIR"]
    sys.path.insert(0, str(ROOT))
    from app.ui.instance_lock import lock_file

    return lock_file(plan)


def check_window(program: Path, env: dict[str, str], work: Path) -> None:
    step("window opens the example offscreen, stays up, closes on SIGTERM")
    plan = copy_example(work / "window")
    lock = lock_file_for(plan, env)
    log = (work / "window.log").open("w+", encoding="utf-8")
    proc = subprocess.Popen([str(program), str(plan)], env=env, cwd=work, stdout=log,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + WINDOW_OPEN_TIMEOUT_S
        # The instance lock is written when the window has opened the plan.
        while not (lock.exists() and str(proc.pid) in lock.read_text().split()):
            check(proc.poll() is None, f"the window exited early with {proc.returncode}: {tail(log)}")
            check(time.monotonic() < deadline, f"no instance lock after {WINDOW_OPEN_TIMEOUT_S:.0f} s: {tail(log)}")
            time.sleep(0.2)
        time.sleep(WINDOW_STAYS_UP_S)
        check(proc.poll() is None, f"the window died after opening with {proc.returncode}: {tail(log)}")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=WINDOW_CLOSE_TIMEOUT_S)
        check(code == 0, f"the window exited {code} on SIGTERM: {tail(log)}")
        check(not lock.exists() or str(proc.pid) not in lock.read_text().split(),
              "the window left its PID in the instance lock")
        check("Traceback" not in tail(log), f"the window printed a traceback: {tail(log)}")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def tail(log) -> str:  # type: ignore[no-untyped-def]
    log.flush()
    log.seek(0)
    return log.read()[-3000:]


def main(argv: Sequence[str]) -> int:
    program = Path(argv[0] if argv else ROOT / "dist" / "cardsmith" / "cardsmith").resolve()
    if not os.access(program, os.X_OK):
        print(f"smoke: no program at {program} (run `make package`)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="cardsmith-smoke-") as tmp:
        work = Path(tmp)
        env = base_env(work)
        try:
            check_bundle_contents(program)
            check_version(program, env, work)
            plan = check_generate(program, env, work)
            check_lint_syntax(program, env, work)
            check_export_html(program, env, work, plan)
            check_render_ahead(program, env, work, plan)
            check_window(program, env, work)
        except (SmokeFailure, subprocess.TimeoutExpired) as exc:
            print(f"smoke: FAILED: {exc}", file=sys.stderr)
            return 1
    print("smoke: all checks passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
