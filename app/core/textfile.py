"""Plan text files as editors see them: UTF-8 with or without a BOM, and any line ending."""

from __future__ import annotations

from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class BadByte:
    """The first byte that is not valid UTF-8 and its 1-based line."""

    line: int
    value: int


def split_lines(text: str) -> list[str]:
    """Split on CRLF, CR or LF only, so line numbers match what any text editor shows.

    ``str.splitlines`` would also split on form feeds and U+2028, which editors do not count.
    A trailing newline gives a last empty line (the line the cursor can reach after it).
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def decode_text(source: bytes | str) -> tuple[str, BadByte | None]:
    """Bytes to text without a BOM; bad UTF-8 becomes U+FFFD and the first bad byte is returned."""
    if isinstance(source, str):
        return source.removeprefix("\ufeff"), None
    data = bytes(source).removeprefix(UTF8_BOM)
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8")  # valid: it ends before the first bad byte
        bad = BadByte(line=len(split_lines(before)), value=data[exc.start])
        return data.decode("utf-8", errors="replace"), bad


def detect_newline(data: bytes) -> str:
    """The dominant line ending of a file ("\\n" when it has none or on a tie)."""
    crlf = data.count(b"\r\n")
    counts = (
        (data.count(b"\n") - crlf, "\n"),
        (crlf, "\r\n"),
        (data.count(b"\r") - crlf, "\r"),
    )
    return max(counts, key=lambda pair: pair[0])[1]


def encode_like(text: str, original: bytes | None) -> bytes:
    """Editor text as bytes with the original file's BOM and dominant line ending.

    Without an original (a new plan) the text is saved as UTF-8 with LF, keeping a BOM only if the
    text itself starts with one.
    """
    if original is None:
        has_bom, newline = text.startswith("\ufeff"), "\n"
    else:
        has_bom, newline = original.startswith(UTF8_BOM), detect_newline(original)
    body = "\n".join(split_lines(text.removeprefix("\ufeff")))
    if newline != "\n":
        body = body.replace("\n", newline)
    # A lone surrogate cannot be UTF-8; replacing it beats failing the writer's Save.
    encoded = body.encode("utf-8", errors="replace")
    return (UTF8_BOM + encoded) if has_bom else encoded
