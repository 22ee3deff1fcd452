"""The plan being edited: its file, the bytes it was read from, and an atomic Save that keeps them."""

from __future__ import annotations

from pathlib import Path

from app.core.fsutil import atomic_write
from app.core.plan import Plan, encode_like, parse_plan, plan_title_from_path
from app.errors import PlanError


class PlanDocument:
    """Plain Python (no Qt): the window keeps one, the editor holds its text."""

    def __init__(self, path: Path | None = None, text: str = "", original: bytes | None = None) -> None:
        self.path = path
        self.text = text
        self.original = original

    @classmethod
    def open(cls, path: Path) -> "PlanDocument":
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise PlanError(f"cannot open '{path}': {exc.strerror or exc}") from exc
        text = data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")
        return cls(Path(path), text, data)

    @property
    def is_new(self) -> bool:
        """A plan with a file name whose file Cardsmith has not read or written yet (Save makes it)."""
        return self.path is not None and self.original is None

    @property
    def name(self) -> str:
        return self.path.name if self.path else "Untitled plan"

    def parse(self, text: str | None = None) -> Plan:
        title = plan_title_from_path(self.path) if self.path else "Untitled plan"
        return parse_plan(self.text if text is None else text, default_title=title)

    def save(self, text: str, path: Path | None = None) -> Path:
        """Write atomically, keeping the file's BOM and line endings; only the writer's Save calls this."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise PlanError("the plan has no file yet: use Save As")
        data = encode_like(text, self.original if target == self.path else None)
        try:
            atomic_write(target, data)
        except OSError as exc:
            raise PlanError(f"cannot save '{target}': {exc.strerror or exc}") from exc
        self.path, self.text, self.original = target, text, data
        return target

    def differs_on_disk(self) -> bool:
        """The file changed under us (a git pull, another editor) since we read or wrote it."""
        if self.path is None:
            return False
        try:
            return self.path.read_bytes() != self.original
        except OSError:
            return True
