"""Take the README's screenshot: the window mid-run against the local Messages API stand-in.

Run under a real X screen (``make screenshot`` uses xvfb-run). Generates the example plan's six
cards, pauses the stand-in once three are done, checks the bars, and saves the window as a PNG.
Exits non-zero, with one line, if the window does not show what it should.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.paths import example_plan  # noqa: E402
from app.ui.qtapp import create_application  # noqa: E402


async def scenario(window, api, out: Path) -> str | None:  # type: ignore[no-untyped-def]
    from app.core.states import CardState
    from app.ui.generation_panel import BAR_MAX

    window.generate_all()
    for _ in range(600):
        if window.controller.progress.done >= 3:  # a new progress model per run
            break
        await asyncio.sleep(0.01)
    api.pause()
    await asyncio.sleep(1.0)  # let throttled updates reach the widgets and the preview paint
    names = [c.name for c in window.session.plan.components]
    bars = {n: window.panel.bar_value(n) for n in names}
    full = [n for n, v in bars.items() if v == BAR_MAX]
    if len(full) != 3:
        return f"expected 3 full bars when paused, got {len(full)}: {bars}"
    # The default model thinks before it writes: a card mid-run is thinking or streaming.
    busy = [n for n in names if window.session.state(n.casefold()) in (CardState.THINKING, CardState.STREAMING)]
    if not busy:
        return f"expected a card thinking or streaming when paused: {bars}"
    window.preview.scroll_to(names[2].casefold())
    await asyncio.sleep(0.8)
    screen = window.screen()
    image = screen.grabWindow(window.winId())
    if image.isNull() or not image.save(str(out)):
        return f"could not save {out}"
    api.resume()
    for _ in range(600):
        if not window.controller.running:
            break
        await asyncio.sleep(0.05)
    return None


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "docs" / "screenshot.png").resolve()
    work = Path(tempfile.mkdtemp(prefix="cardsmith-shot-"))
    plan = work / example_plan().name
    shutil.copy2(example_plan(), plan)  # the plan only: its six cards are generated live

    app, loop = create_application(sys.argv[:1])
    from app.engine.providers.anthropic import AnthropicProvider
    from app.ui.main_window import MainWindow
    from tests.fakes.messages_api import FakeMessagesAPI

    from tests.fakes.messages_api import Step

    api = FakeMessagesAPI(mode="good", ttft_s=0.4, tokens_per_s=25.0)
    # Three quick cards and slower ones, so that the pause catches three done and others mid-run.
    for name in ("User Model", "Password Hashing", "Session Token"):
        api.script(name, Step("good", tokens_per_s=120.0))
    result: dict[str, object] = {}

    async def run() -> None:
        await api.start()
        window = MainWindow(
            plan, provider_factory=lambda _config: AnthropicProvider(api_key="demo", base_url=api.base_url)
        )
        window.resize(1500, 900)
        window.show()
        for _ in range(200):
            if window.preview.is_loaded:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        try:
            result["error"] = await scenario(window, api, out)
        finally:
            await api.stop()
            window.close()
            app.quit()

    task = loop.create_task(run())
    app.exec()
    shutil.rmtree(work, ignore_errors=True)
    if not task.done() or task.exception() is not None:
        print(f"screenshot: failed: {task.exception() if task.done() else 'did not finish'}")
        return 1
    if result.get("error"):
        print(f"screenshot: {result['error']}")
        return 1
    print(f"screenshot: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
