"""Real Docusaurus 3 and Starlight sites for the tests: their npm packages installed once, outside
the repository.

``python -m tests.helpers.npm_sites install`` (run by ``make test``) installs the exact versions of
tests/sites/<site>/package.json into ``~/.cache/cardsmith-tests/<site>-<version>-<hash>``
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
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.cli import REPO

INSTALL_TIMEOUT_S = 900
BUILD_TIMEOUT_S = 600
_QUIET_NODE = {
    "NO_UPDATE_NOTIFIER": "1",  # no registry look-up from a build
    "ASTRO_TELEMETRY_DISABLED": "1",
    "BROWSERSLIST_IGNORE_OLD_DATA": "1",
    "NPM_CONFIG_FUND": "false",
    "NPM_CONFIG_AUDIT": "false",
    "NPM_CONFIG_UPDATE_NOTIFIER": "false",
}


@dataclass(frozen=True)
class NpmSite:
    name: str
    package: str
    """The package whose version names the cache folder."""
    command: str
    """The site's build command in node_modules/.bin."""
    out_option: str
    docs: str
    """Where the site's Markdown pages live, inside the site."""

    @property
    def source(self) -> Path:
        return REPO / "tests" / "sites" / self.name

    def cache_dir(self) -> Path:
        manifest = (self.source / "package.json").read_bytes()
        version = json.loads(manifest)["dependencies"][self.package]
        root = os.environ.get("CARDSMITH_TEST_CACHE") or Path(
            os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "cardsmith-tests"
        )
        return Path(root) / f"{self.name}-{version}-{hashlib.sha256(manifest).hexdigest()[:8]}"

    def executable(self) -> Path:
        return self.cache_dir() / "node_modules" / ".bin" / self.command

    def why_unavailable(self) -> str | None:
        """None when the site can be built; else the reason its build test is skipped."""
        if shutil.which("npm") is None or shutil.which("node") is None:
            return f"npm is not installed: the {self.name} build needs Node.js and npm"
        if not self.executable().is_file():
            return (f"the {self.name} packages are not installed in {self.cache_dir()}: "
                    "run `make test` or `python -m tests.helpers.npm_sites install`")
        return None

    def install(self) -> str:
        """Install the site's packages into the cache once; returns what happened, in one line."""
        target = self.cache_dir()
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target.parent / f"{target.name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another checkout may be installing the same versions
            if self.executable().is_file():
                return f"{self.name} packages already installed in {target}"
            partial = target.with_name(f"{target.name}.partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir()
            shutil.copy2(self.source / "package.json", partial / "package.json")
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"],
                cwd=partial, env={**os.environ, **_QUIET_NODE}, check=True, timeout=INSTALL_TIMEOUT_S,
            )
            partial.rename(target)  # whole or not at all: a broken install is never taken for one
        return f"{self.name} packages installed in {target}"

    def build(self, pages: dict[str, Path], out: Path) -> subprocess.CompletedProcess[str]:
        """Build the test site with ``pages`` (folder name in the docs -> folder to copy there)
        into ``out``; returns the finished process (its output tells why a build failed).

        The site is laid out afresh in one folder beside the packages for every build, so that
        the bundler's cache (which keys on absolute paths) serves the next build too.
        """
        site = self.cache_dir() / "site"
        with open(self.cache_dir() / "site.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            shutil.rmtree(site / self.docs, ignore_errors=True)
            shutil.copytree(self.source, site, dirs_exist_ok=True)
            for name, folder in pages.items():
                shutil.copytree(folder, site / self.docs / name)
            if not (site / "node_modules").exists():
                (site / "node_modules").symlink_to(self.cache_dir() / "node_modules", target_is_directory=True)
            return subprocess.run(
                [str(self.executable()), "build", self.out_option, str(out)],
                cwd=site, env={**os.environ, **_QUIET_NODE}, capture_output=True, text=True,
                timeout=BUILD_TIMEOUT_S,
            )

    def node(self, script: str, stdin: str) -> subprocess.CompletedProcess[str]:
        """Run an ES module ``script`` with the site's packages, ``stdin`` as its input."""
        return subprocess.run(
            ["node", "--input-type=module", "-e", script], input=stdin, cwd=self.cache_dir(),
            env={**os.environ, **_QUIET_NODE}, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
        )


DOCUSAURUS = NpmSite("docusaurus", "@docusaurus/core", "docusaurus", "--out-dir", "docs")
STARLIGHT = NpmSite("starlight", "@astrojs/starlight", "astro", "--outDir", "src/content/docs")
SITES = (DOCUSAURUS, STARLIGHT)

_COMPILE_MDX = (
    "import {compile} from '@mdx-js/mdx';"
    "import {readFileSync} from 'node:fs';"
    "await compile(readFileSync(0, 'utf8'));"
)


def compile_mdx(markdown: str) -> subprocess.CompletedProcess[str]:
    """Compile ``markdown`` with the MDX compiler Docusaurus' build uses (about a second)."""
    return DOCUSAURUS.node(_COMPILE_MDX, markdown)


def failure(result: subprocess.CompletedProcess[str]) -> str:
    """A failed build's output without its stack frames, for an assertion message."""
    out = f"{result.stdout}\n{result.stderr}"
    return "\n".join(line for line in out.splitlines() if not line.lstrip().startswith("at "))[-4000:]


def main(argv: list[str]) -> int:
    if argv != ["install"]:
        print("usage: python -m tests.helpers.npm_sites install", file=sys.stderr)
        return 2
    if shutil.which("npm") is None:
        print("npm not found: the Docusaurus and Starlight build tests will be skipped")
        return 0
    for site in SITES:
        try:
            print(site.install())
        except (OSError, subprocess.SubprocessError) as exc:
            print(f"cannot install the {site.name} packages: {exc}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
