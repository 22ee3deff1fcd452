"""The preview's web engine pieces: a private, hardened profile and a page that only shows its shell.

See app/ui/preview.py for the layers of preview safety these are part of.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
)
from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

EXTERNAL_SCHEMES = frozenset({"http", "https"})
"""Clicked links with these schemes open in the system browser; any other click is ignored.

(mailto: links are shown but do nothing: Chromium hands such schemes to the unknown-scheme policy,
which is DisallowUnknownUrlSchemes, before any navigation request is made.)"""


_ALLOWED_DATA_RESOURCES = frozenset(
    {
        QWebEngineUrlRequestInfo.ResourceType.ResourceTypeMainFrame,
        QWebEngineUrlRequestInfo.ResourceType.ResourceTypeImage,
    }
)


class ShellOnlyInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not the shell document itself (or a ``data:`` image).

    ``setHtml`` loads the shell as a ``data:`` URL, so that is the only scheme let through; http,
    https, file, ftp, ws, blob and any other scheme are blocked, whatever asks for them.
    """

    def __init__(self, parent: QWebEngineProfile | None = None) -> None:
        super().__init__(parent)
        self.blocked_count = 0
        """How many requests were blocked (diagnostics and tests)."""

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802 - Qt name
        url = info.requestUrl()
        if url.scheme() == "data" and info.resourceType() in _ALLOWED_DATA_RESOURCES:
            return
        self.blocked_count += 1
        log.debug("preview blocked a %s request", url.scheme() or "scheme-less")
        info.block(True)


_SETTINGS_OFF = (
    "JavascriptEnabled",
    "JavascriptCanOpenWindows",
    "JavascriptCanAccessClipboard",
    "JavascriptCanPaste",
    "LocalContentCanAccessFileUrls",
    "LocalContentCanAccessRemoteUrls",
    "PluginsEnabled",
    "LocalStorageEnabled",
    "WebGLEnabled",
    "Accelerated2dCanvasEnabled",
    "ScreenCaptureEnabled",
    "PdfViewerEnabled",
    "FullScreenSupportEnabled",
    "HyperlinkAuditingEnabled",
    "DnsPrefetchEnabled",
    "AutoLoadIconsForPage",
    "TouchIconsEnabled",
    "AllowRunningInsecureContent",
    "AllowGeolocationOnInsecureOrigins",
    "AllowWindowActivationFromJavaScript",
    "NavigateOnDropEnabled",
    "ReadingFromCanvasEnabled",
    "SpatialNavigationEnabled",
    "ErrorPageEnabled",
)
_SETTINGS_ON = ("AutoLoadImages", "WebRTCPublicInterfacesOnly", "ShowScrollBars")


def harden_settings(settings: QWebEngineSettings) -> None:
    """Switch off all the preview does not need (attributes missing in a Qt build are skipped)."""
    attrs = QWebEngineSettings.WebAttribute
    for name in _SETTINGS_OFF:
        attr = getattr(attrs, name, None)
        if attr is not None:
            settings.setAttribute(attr, False)
    for name in _SETTINGS_ON:
        attr = getattr(attrs, name, None)
        if attr is not None:
            settings.setAttribute(attr, True)
    settings.setUnknownUrlSchemePolicy(
        QWebEngineSettings.UnknownUrlSchemePolicy.DisallowUnknownUrlSchemes
    )


def private_profile() -> QWebEngineProfile:
    """A fresh off-the-record profile (no disk cache, cookies or permissions kept)."""
    profile = QWebEngineProfile()  # no storage name: off the record
    profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
    profile.setPersistentCookiesPolicy(
        QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies
    )
    policy = getattr(QWebEngineProfile, "PersistentPermissionsPolicy", None)
    if policy is not None:
        profile.setPersistentPermissionsPolicy(policy.AskEveryTime)
    profile.setSpellCheckEnabled(False)
    harden_settings(profile.settings())
    return profile


class PreviewPage(QWebEnginePage):
    """A page that only ever shows the shell the view loaded into it.

    ``open_url`` receives clicked http/https links (``QDesktopServices.openUrl`` by default;
    tests inject a recorder).
    """

    def __init__(
        self,
        profile: QWebEngineProfile,
        parent: QWidget | None = None,
        *,
        open_url: Callable[[QUrl], object] | None = None,
    ) -> None:
        super().__init__(profile, parent)
        self.open_url: Callable[[QUrl], object] = open_url or QDesktopServices.openUrl
        self._expected_shell_loads = 0
        harden_settings(self.settings())
        self.permissionRequested.connect(lambda permission: permission.deny())

    def expect_shell_load(self) -> None:
        """Called right before the view's own ``setHtml``: that one navigation is accepted."""
        self._expected_shell_loads += 1

    def acceptNavigationRequest(  # noqa: N802 - Qt name
        self, url: QUrl | str, nav_type: QWebEnginePage.NavigationType, is_main_frame: bool
    ) -> bool:
        url = QUrl(url)
        types = QWebEnginePage.NavigationType
        if (
            self._expected_shell_loads > 0
            and is_main_frame
            and nav_type == types.NavigationTypeTyped
            and url.scheme() == "data"
        ):
            # setHtml arrives as a typed data: navigation; refusing it would blank the preview.
            self._expected_shell_loads -= 1
            return True
        if nav_type == types.NavigationTypeLinkClicked and url.scheme() in EXTERNAL_SCHEMES:
            self.open_url(url)
        else:
            log.debug("preview refused a navigation (%s, %s)", nav_type.name, url.scheme())
        return False

    def createWindow(self, _type: QWebEnginePage.WebWindowType) -> None:  # noqa: N802 - Qt name
        return None

    def javaScriptConsoleMessage(  # noqa: N802 - Qt name
        self,
        level: QWebEnginePage.JavaScriptConsoleMessageLevel,
        message: str,
        line: int,
        source: str,
    ) -> None:
        # Page content (and the CSP reporting on it) must not write to the app's log as warnings.
        log.debug("preview console (%s): %s", level.name, message[:300])
