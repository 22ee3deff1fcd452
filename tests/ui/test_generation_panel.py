"""The generation panel: rows per component, live updates, selection, buttons, the overall line."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from app.engine import events as ev
from app.engine.progress import CardProgress, RunProgress
from app.engine.provider import FaultKind
from app.core.states import CardState
from app.ui.generation_panel import BAR_MAX, GenerationPanel, ProgressRowDelegate
from app.ui.progress_rows import bar_colour

# The offscreen platform plugin warns when a top-level window is shown; harmless, and only there.
SHOWN = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def panel(qtbot: QtBot) -> GenerationPanel:
    widget = GenerationPanel()
    qtbot.addWidget(widget)
    widget.resize(520, 480)
    return widget


def shown(qtbot: QtBot, panel: GenerationPanel) -> GenerationPanel:
    panel.show()
    qtbot.waitExposed(panel)
    return panel


def streaming(name: str, tokens: int) -> CardProgress:
    return CardProgress(name, state=CardState.STREAMING, attempt=1, max_attempts=4, tokens=tokens)


def test_idle_rows_show_the_state_word_and_full_bars_for_usable_cards(panel: GenerationPanel) -> None:
    states = [CardState.DONE, CardState.MISSING, CardState.STALE, CardState.EDITED, CardState.LOCKED]
    rows = [(f"Component {i:04d}", states[i % 5]) for i in range(1000)]
    panel.set_components(rows)

    assert panel.model.rowCount() == 1000
    assert panel.names() == [name for name, _ in rows]
    for name, state in rows[:10]:
        assert panel.state_of(name) == state
        assert panel.label_of(name) == state.value
        usable = state in (CardState.DONE, CardState.EDITED, CardState.LOCKED)
        assert panel.bar_value(name) == (BAR_MAX if usable else 0)
    assert panel.overall_bar.maximum() == 1000 and panel.overall_bar.value() == 600
    assert panel.overall_text.startswith("1000 components")
    assert "200 missing" in panel.overall_text

    panel.set_components([("Only", CardState.MISSING)])
    assert panel.names() == ["Only"] and panel.overall_bar.value() == 0
    assert panel.overall_text == "1 component · 1 missing"


@pytest.mark.parametrize("state", list(CardState))
def test_every_state_shows_its_word_and_a_bar(panel: GenerationPanel, state: CardState) -> None:
    panel.set_components([("A", CardState.MISSING), ("B", CardState.DONE)])
    panel.set_state("A", state)
    assert panel.state_of("A") is state and panel.label_of("A") == state.value
    assert panel.bar_value("A") == (BAR_MAX if state.usable else 0)
    colour = bar_colour(state, panel.palette())
    assert colour.isValid()
    if state in (CardState.DONE, CardState.FAILED):
        return
    assert colour not in (bar_colour(CardState.DONE, panel.palette()),
                          bar_colour(CardState.FAILED, panel.palette()))


def test_overall_bar_shows_zero_not_nothing_before_anything_happened(panel: GenerationPanel) -> None:
    # A QProgressBar starts at -1, which draws no bar and no text at all.
    assert panel.overall_bar.value() == 0
    assert panel.concurrency_spin.minimum() == 1 and panel.concurrency_spin.maximum() == 16


def test_update_card_changes_one_row_only(panel: GenerationPanel) -> None:
    names = [f"C{i}" for i in range(50)]
    panel.set_components([(n, CardState.MISSING) for n in names])
    changed: list[tuple[int, int]] = []
    panel.model.dataChanged.connect(lambda a, b, *_: changed.append((a.row(), b.row())))

    panel.update_card(streaming("C7", 225))
    assert changed == [(7, 7)]
    assert panel.state_of("C7") is CardState.STREAMING
    assert panel.label_of("C7") == "streaming · 225 tok"
    assert panel.bar_value("C7") == 500  # 225 of the expected 450 tokens
    assert panel.state_of("C6") is CardState.MISSING

    panel.update_card(streaming("C7", 225))  # nothing new: no repaint asked for
    assert changed == [(7, 7)]

    panel.update_card(CardProgress("C7", state=CardState.DONE, tokens=400, duration_s=2.25))
    assert panel.bar_value("C7") == BAR_MAX
    assert panel.label_of("C7") == "done · 400 tok · 2.2 s"


def test_retrying_failed_and_cancelled_labels(panel: GenerationPanel) -> None:
    panel.set_components([("A", CardState.MISSING), ("B", CardState.MISSING), ("C", CardState.STALE)])
    panel.update_card(
        CardProgress("A", state=CardState.RETRYING, attempt=1, max_attempts=4, reason="overloaded",
                     wait_s=1.2, tokens=40)
    )
    assert panel.label_of("A") == "retrying 2/4 · overloaded · waiting 1.2 s"
    assert not panel.retry_button.isEnabled()

    panel.update_card(CardProgress("B", state=CardState.FAILED, reason="answer cut off"))
    assert panel.label_of("B") == "failed · answer cut off"
    assert panel.bar_value("B") == BAR_MAX
    assert panel.retry_button.isEnabled()

    panel.update_card(CardProgress("C", state=CardState.CANCELLED, tokens=90))
    assert panel.label_of("C") == "cancelled" and 0 < panel.bar_value("C") < BAR_MAX

    panel.update_card(CardProgress("B", state=CardState.DONE, tokens=10))
    assert not panel.retry_button.isEnabled()


def test_a_card_without_a_row_gets_one(panel: GenerationPanel) -> None:
    panel.set_components([("A", CardState.MISSING)])
    panel.update_card(streaming("New one", 10))
    assert panel.names() == ["A", "New one"]
    assert panel.label_of("New one") == "streaming · 10 tok"


def test_buttons_emit_and_follow_the_running_state(
    panel: GenerationPanel, qtbot: QtBot
) -> None:
    panel.set_components([("A", CardState.MISSING), ("B", CardState.DONE)])
    assert panel.generate_button.isEnabled() and not panel.cancel_button.isEnabled()
    assert not panel.regenerate_button.isEnabled()  # nothing selected

    with qtbot.waitSignal(panel.generate_all_requested, timeout=1000):
        panel.generate_button.click()
    panel.set_running(True)
    assert panel.running
    assert not panel.generate_button.isEnabled() and panel.cancel_button.isEnabled()
    with qtbot.waitSignal(panel.cancel_requested, timeout=1000):
        panel.cancel_button.click()

    panel.update_card(CardProgress("A", state=CardState.FAILED, reason="x"))
    assert not panel.retry_button.isEnabled()  # not while running
    panel.set_running(False)
    assert panel.retry_button.isEnabled()
    with qtbot.waitSignal(panel.retry_failed_requested, timeout=1000):
        panel.retry_button.click()

    panel.select_names(["B"])
    assert panel.regenerate_button.isEnabled()
    with qtbot.waitSignal(panel.regenerate_requested, timeout=1000) as blocker:
        panel.regenerate_button.click()
    assert blocker.args == [["B"]]


@SHOWN
def test_click_selects_and_ctrl_click_adds(
    panel: GenerationPanel, qtbot: QtBot
) -> None:
    names = [f"Component {i}" for i in range(6)]
    panel.set_components([(n, CardState.MISSING) for n in names])
    shown(qtbot, panel)
    view = panel.list_view

    def click(row: int, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        center = view.visualRect(panel.model.index(row)).center()
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, center)

    with qtbot.waitSignal(panel.current_changed, timeout=1000) as blocker:
        click(1)
    assert blocker.args == ["Component 1"]
    assert panel.selected_names() == ["Component 1"]
    click(4, Qt.KeyboardModifier.ControlModifier)
    assert panel.selected_names() == ["Component 1", "Component 4"]
    click(1, Qt.KeyboardModifier.ControlModifier)
    assert panel.selected_names() == ["Component 4"]
    click(2)
    assert panel.selected_names() == ["Component 2"]
    assert panel.regenerate_button.isEnabled()


def test_overall_line_from_run_progress(panel: GenerationPanel) -> None:
    times = iter([100.0, 100.0, 101.0, 102.0, 104.0, 104.0, 104.0, 104.0])
    progress = RunProgress(clock=lambda: next(times, 104.0))
    for name in ("A", "B", "C"):
        progress.apply(ev.Queued(name))
    progress.apply(ev.Started("A", 1, 4))
    progress.apply(ev.Done("A", "text", "end_turn", 1000, 234, "m", 0.0042, 2.0, 1))
    panel.update_overall(progress)
    assert panel.overall_bar.maximum() == 3 and panel.overall_bar.value() == 1
    text = panel.overall_text
    assert text.startswith("1/3 done · 1,234 tokens · ")
    assert "$0.0042" in text and "speed-up" in text
    # A narrow panel wraps the line between its parts, never inside one ("speed-" / "up").
    shown = panel.overall_label.text()
    assert panel.overall_label.wordWrap() and "speed\u2011up" in shown and " done" not in shown
    assert shown.replace("\u00a0", " ").replace("\u2011", "-") == text

    progress.apply(ev.RunStopped(FaultKind.AUTH, "the API refused the key (401)"))
    panel.update_overall(progress)
    assert panel.overall_text.endswith("stopped: the API refused the key (401)")


@SHOWN
def test_rows_paint_done_green_and_failed_red(
    panel: GenerationPanel, qtbot: QtBot
) -> None:
    panel.set_components([("Done", CardState.MISSING), ("Failed", CardState.MISSING), ("Streaming", CardState.MISSING)])
    panel.update_card(CardProgress("Done", state=CardState.DONE, tokens=400, duration_s=1.0))
    panel.update_card(CardProgress("Failed", state=CardState.FAILED, reason="boom"))
    panel.update_card(streaming("Streaming", 225))
    shown(qtbot, panel)
    view = panel.list_view
    image = view.viewport().grab().toImage()
    font_height = view.fontMetrics().height()

    def bar_pixel(row: int, x_fraction: float) -> QColor:
        rect = view.visualRect(panel.model.index(row))
        d = ProgressRowDelegate
        y = rect.top() + d.PAD_Y + font_height + d.GAP + d.BAR_HEIGHT // 2
        inner = rect.width() - 2 * d.PAD_X
        x = rect.left() + d.PAD_X + int(inner * x_fraction)
        # grab() is in device pixels; offscreen uses a device pixel ratio of 1, scale anyway.
        ratio = image.devicePixelRatio()
        return image.pixelColor(QPoint(int(x * ratio), int(y * ratio)))

    done = bar_pixel(0, 0.5)
    failed = bar_pixel(1, 0.5)
    assert done.green() > done.red() + 40, done.name()
    assert failed.red() > failed.green() + 40, failed.name()
    # The streaming bar is half full: filled at 25 %, track (not the fill colour) at 75 %.
    assert bar_pixel(2, 0.25) != bar_pixel(2, 0.75)


def test_the_pointer_on_a_run_button_hints_a_run_and_cancel_does_not(
    qtbot: QtBot, panel: GenerationPanel
) -> None:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    for button in (panel.generate_button, panel.retry_button, panel.regenerate_button):
        with qtbot.waitSignal(panel.run_intended, timeout=1000):
            QApplication.sendEvent(button, QEvent(QEvent.Type.Enter))
    with qtbot.assertNotEmitted(panel.run_intended):
        QApplication.sendEvent(panel.cancel_button, QEvent(QEvent.Type.Enter))
        QApplication.sendEvent(panel.generate_button, QEvent(QEvent.Type.Leave))


def test_a_changed_row_repaints_only_itself(qtbot: QtBot, panel: GenerationPanel) -> None:
    from PySide6.QtCore import QEvent, QObject

    heights: list[int] = []

    class Paints(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
            if event.type() == QEvent.Type.Paint:
                heights.append(event.rect().height())
            return False

    viewport = shown(qtbot, panel).list_view.viewport()
    paints = Paints()
    viewport.installEventFilter(paints)
    try:
        panel.set_components([(f"Component {i:02d}", CardState.MISSING) for i in range(40)])
        row = panel.list_view.visualRect(panel.model.index(3)).height()
        # The reset repaints the whole viewport first.
        qtbot.waitUntil(lambda: bool(heights) and max(heights) > row, timeout=2000)
        heights.clear()
        panel.update_card(streaming("Component 03", 40))
        qtbot.waitUntil(lambda: bool(heights), timeout=2000)
        # Paints come in order: once a one-pixel update asked for now is painted, a whole
        # viewport's repaint asked for by the change would have been painted (or merged) too.
        viewport.update(0, viewport.height() - 1, 1, 1)
        qtbot.waitUntil(lambda: 1 in heights, timeout=2000)
    finally:
        viewport.removeEventFilter(paints)
    assert max(heights) <= row, (heights, row)  # not the whole viewport
