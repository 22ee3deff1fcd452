"""Counting sentences in card prose, so that "e.g.", versions and `a.b()` do not split one."""

from __future__ import annotations

import re

# A sentence ends at . ! or ? followed by whitespace or the end of the text, optionally after
# closing quotes, brackets or emphasis markers ("done." and **done.** both end a sentence).
_SENTENCE_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]*_]*(?=\s|$)")
# Inline code spans (CommonMark: a run of N backticks closed by a run of exactly N backticks).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
# A word made of single letters with dots ("e.g.", "i.e.", "U.S.") is an abbreviation.
_DOTTED_LETTERS = re.compile(r"^(?:[A-Za-z]\.){2,}$")
_WORD_CHAR = re.compile(r"\w")

# Words whose trailing dot is not the end of a sentence (compared case-insensitively).
ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "vs", "cf", "approx", "esp", "incl", "viz", "al", "dr", "mr", "mrs",
     "ms", "prof", "jr", "sr", "fig"}
)  # fmt: skip
# Deliberately short: words like "max", "no" or "Inc" end real sentences too often.

CODE_SPAN_PLACEHOLDER = "CODE"
"""What a code span becomes before counting: one neutral word that ends no sentence."""


def strip_code_spans(text: str) -> str:
    return _CODE_SPAN.sub(CODE_SPAN_PLACEHOLDER, text)


def _is_abbreviation(text: str, end_start: int) -> bool:
    """Is the word just before the punctuation at ``end_start`` an abbreviation?"""
    if text[end_start] != ".":
        return False
    start = end_start
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    word = text[start : end_start + 1].lstrip("([\"'\u201c\u2018*_")
    if _DOTTED_LETTERS.match(word):
        return True
    return word[:-1].lower() in ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Sentences of Markdown prose (code spans count as one word); each holds a word character."""
    text = strip_code_spans(text)
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if _is_abbreviation(text, match.start()):
            continue
        sentences.append(text[start : match.end()])
        start = match.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if _WORD_CHAR.search(s)]


def count_sentences(text: str) -> int:
    """Number of sentences in Markdown prose; a trailing fragment without a full stop counts too."""
    return len(split_sentences(text))


def first_sentence(text: str) -> str:
    """The first sentence of Markdown prose as written, code spans included."""
    # Code spans masked (same length), so that "`a.b()`" ends no sentence and offsets still match.
    masked = _CODE_SPAN.sub(lambda m: "x" * len(m.group()), text)
    for match in _SENTENCE_END.finditer(masked):
        if not _is_abbreviation(masked, match.start()):
            return text[: match.end()].strip()
    return text.strip()
