"""The application icon: every committed PNG size and the SVG reach the window's icon."""

from __future__ import annotations

from typing import Any

import pytest

from app.paths import resource

pytestmark = pytest.mark.gui

SIZES = (16, 32, 48, 64, 128, 256, 512)


def test_committed_pngs_have_the_size_their_name_says(qapp: Any) -> None:
    from PySide6.QtGui import QImage

    for size in SIZES:
        image = QImage(str(resource("icons", f"cardsmith-{size}.png")))
        assert not image.isNull(), size
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()


def test_application_icon_offers_every_size(qapp: Any) -> None:
    from PySide6.QtCore import QSize

    from app.ui.qtapp import application_icon

    icon = application_icon()
    assert not icon.isNull()
    available = {(s.width(), s.height()) for s in icon.availableSizes()}
    assert {(n, n) for n in SIZES} <= available
    # Any other size still comes out (scaled from the SVG or the nearest PNG).
    assert not icon.pixmap(QSize(100, 100)).isNull()
