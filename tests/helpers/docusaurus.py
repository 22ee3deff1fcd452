"""A real Docusaurus 3 site for the tests: its npm packages installed once, outside the repository.

``python -m tests.helpers.docusaurus install`` (run by ``make test``) installs the exact versions of
tests/sites/docusaurus/package.json into ``~/.cache/cardsmith-tests/docusaurus-<version>-<hash>``
(``CARDSMITH_TEST_CACHE`` moves the cache); without npm it says so and does nothing. The tests
themselves never reach the network: they build from that cache, or are skipped with the reason.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers.cli import REPO

SITE = REPO / "tests" / "sites" / "docusaurus"
INSTALL_TIMEOUT_S = 900
BUILD_TIMEOUT_S = 600
_QUIET_NODE = {
    "NO_UPDATE_NOTIFIER": "1",  # no registry look-up from the build
    "BROWSERSLIST_IGNORE_OLD_DATA": "1",
    "NPM_CONFIG_FUND": "false",
    "NPM_CONFIG_AUDIT": "false",
    "NPM_CONFIG_UPDATE_NOTIFIER": "false",
}


def cache_dir() -> Path:
    manifest = (SITE / "package.json").read_bytes()
    version = json.loads(manifest)["dependencies"]["@docusaurus/core"]
    root = os.environ.get("CARDSMITH_TEST_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "cardsmith-tests"
    )
    return Path(root) / f"docusaurus-{version}-{hashlib.sha256(manifest).hexdigest()[:8]}"


def docusaurus_bin() -> Path:
    return cache_dir() / "node_modules" / ".bin" / "docusaurus"


def why_unavailable() -> str | None:
    """None when the site can be built; else the reason the build test is skipped."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        return "npm is not installed: the Docusaurus build needs Node.js and npm"
    if not docusaurus_bin().is_file():
        return (f"the Docusaurus packages are not installed in {cache_dir()}: "
                "run `make test` or `python -m tests.helpers.docusaurus install`")
    return None


def install() -> str:
    """Install the site's packages into the cache once; returns what happened, in one line."""
    if shutil.which("npm") is None:
        return "npm not found: the Docusaurus build test will be skipped"
    target = cache_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f"{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another checkout may be installing the same versions
        if docusaurus_bin().is_file():
            return f"Docusaurus packages already installed in {target}"
        partial = target.with_name(f"{target.name}.partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        shutil.copy2(SITE / "package.json", partial / "package.json")
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
            cwd=partial, env={**os.environ, **_QUIET_NODE}, check=True, timeout=INSTALL_TIMEOUT_S,
        )
        partial.rename(target)  # whole or not at all: a broken install is never taken for one
    return f"Docusaurus packages installed in {target}"


def build(docs: dict[str, Path], out: Path) -> subprocess.CompletedProcess[str]:
    """Build the test site with ``docs`` (folder name in docs/ -> folder to copy there) into
    ``out``; returns the finished process (its output tells why a build failed).

    The site is laid out afresh in one folder beside the packages for every build, so that
    webpack's cache (which keys on absolute paths) serves the next build too.
    """
    site = cache_dir() / "site"
    with open(cache_dir() / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(site / "docs", ignore_errors=True)
        shutil.copytree(SITE, site, dirs_exist_ok=True)
        for name, folder in docs.items():
            shutil.copytree(folder, site / "docs" / name)
        if not (site / "node_modules").exists():
            (site / "node_modules").symlink_to(cache_dir() / "node_modules", target_is_directory=True)
        return subprocess.run(
            [str(docusaurus_bin()), "build", "--out-dir", str(out)],
            cwd=site, env={**os.environ, **_QUIET_NODE}, capture_output=True, text=True,
            timeout=BUILD_TIMEOUT_S,
        )


_COMPILE = (
    "import {compile} from '@mdx-js/mdx';"
    "import {readFileSync} from 'node:fs';"
    "await compile(readFileSync(0, 'utf8'));"
)


def compile_mdx(markdown: str) -> subprocess.CompletedProcess[str]:
    """Compile ``markdown`` with the MDX compiler the site's build uses (about a second)."""
    return subprocess.run(
        ["node", "--input-type=module", "-e", _COMPILE], input=markdown, cwd=cache_dir(),
        env={**os.environ, **_QUIET_NODE}, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )


def main(argv: list[str]) -> int:
    if argv != ["install"]:
        print("usage: python -m tests.helpers.docusaurus install", file=sys.stderr)
        return 2
    try:
        print(install())
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"cannot install the Docusaurus packages: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
