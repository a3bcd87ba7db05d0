"""A plain-text or Markdown document, and what the top of its text says about it.

Front matter (``---`` … ``---``), ``Key: value`` header lines, or a title line
(a Markdown or Setext heading, perhaps after or led by a date) give the title,
date, author and URL; they stay in the text, and ``body_start`` skips them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from knowledge.dates import given_date, normalize_date
from knowledge.decode import clean_text
from knowledge.errors import EmptyDocument, InputError
from knowledge.extract import fallback_title
from knowledge.types import Document


def document_from_text(
    text: str,
    *,
    name: str | None = None,
    title: str | None = None,
    url: str | None = None,
    date: str | None = None,
    author: str | None = None,
    source_kind: str = "text",
    source_ref: str | None = None,
) -> Document:
    """A plain-text or Markdown document, with metadata from the top of the text.

    Explicit arguments win over what the text says. Front matter or ``Key: value``
    header lines and a title line stay in ``text`` but ``body_start`` skips them.

    Args:
        name: The input as errors name it; by default ``source_ref``, else "The text".

    Raises:
        EmptyDocument: no text, only whitespace, or only a header.
        InputError: ``date`` or ``url`` given but unusable.
    """
    name = name or source_ref or "The text"
    text = clean_text(text)
    if not text.strip():
        raise EmptyDocument(f"{name} is empty")
    date = given_date(date)
    url = (url or "").strip() or None
    if url is not None and not re.match(r"https?://[^\s/]+", url, re.I):
        raise InputError(f"{url} is not a web address (http:// or https://)")
    found = header_metadata(text)
    if not text[found.body_start :].strip():
        raise EmptyDocument(f"{name} has a header but no text")
    title = " ".join((title or "").split()) or found.title
    if title is None:
        # Markdown marks and rules make poor title words.
        body = _MD_HEADING_MARK.sub("", text[found.body_start :])
        title = fallback_title(" ".join(ln for ln in body.split("\n") if _has_word(ln)))
    return Document(
        text=text,
        title=title,
        url=url or found.url,
        date=date or found.date,
        author=" ".join((author or "").split()) or found.author,
        source_kind=source_kind,
        source_ref=source_ref,
        body_start=found.body_start,
    )


@dataclass(frozen=True)
class TextHeader:
    """What the top of a text says about it, and where its body starts."""

    title: str | None = None
    date: str | None = None
    author: str | None = None
    url: str | None = None
    body_start: int = 0


_KEYS = {
    "title": "title",
    "headline": "title",
    "date": "date",
    "published": "date",
    "author": "author",
    "by": "author",
    "url": "url",
    "link": "url",
    "source": "url",
    # Read so the line counts as header, not body; the language is decided per passage.
    "language": "language",
    "lang": "language",
}
_KEY_VALUE = re.compile(r"^([A-Za-z_][\w .-]{0,40}?)\s*:(?:\s+(.*?))?\s*$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)(?:\s+#+)?\s*$")
_MD_HEADING_MARK = re.compile(r"(?m)^#{1,6}\s+")
_SETEXT = re.compile(r"^(?:=+|-+)\s*$")
_DATE_TOKEN = r"(\d{4}-\d{2}(?:-\d{2})?)(?!-?\d)"
_DATE_ONLY = re.compile(rf"^(?:date\s*:?\s*)?{_DATE_TOKEN}\s*$", re.I)
_DATE_PREFIX = re.compile(
    rf"^(?:date\s*:?\s*)?{_DATE_TOKEN}(?:\s*[:|\u2013\u2014-]\s*|\s+)(\S.*)$", re.I
)
_MAX_TITLE = 200
_FRONT_MATTER_LINES = 100


def header_metadata(text: str) -> TextHeader:
    """Read front matter, ``Key: value`` lines or a title line from the top of ``text``."""
    fields: dict[str, str] = {}
    pos = _front_matter(text, fields)
    if pos is None:
        pos = _header_lines(text, fields)
    title = _clean_title(fields.get("title", "")) or None
    date = normalize_date(fields.get("date", ""))
    if title is None:
        title, line_date, pos = _title_line(text, pos)
        date = date or line_date
    else:
        pos = _skip_repeated_title(text, pos, title)
    url = fields.get("url", "")
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return TextHeader(
        title=title,
        date=date,
        author=" ".join(fields.get("author", "").split()) or None,
        url=url if re.match(r"https?://\S+$", url, re.I) else None,
        body_start=pos,
    )


def _lines(text: str, start: int) -> Iterator[tuple[int, int, int]]:
    """(start, end without newline, start of the next line) for each line from ``start``."""
    pos = start
    while pos < len(text):
        end = text.find("\n", pos)
        if end == -1:
            yield pos, len(text), len(text)
            return
        yield pos, end, end + 1
        pos = end + 1


def _front_matter(text: str, fields: dict[str, str]) -> int | None:
    """YAML-style front matter between ``---`` lines: where it ends, or None."""
    lines = _lines(text, 0)
    first = next(lines, None)
    if first is None or text[first[0] : first[1]].rstrip() != "---":
        return None
    found: dict[str, str] = {}
    for count, (start, end, following) in enumerate(lines):
        line = text[start:end]
        if count > _FRONT_MATTER_LINES:
            return None
        if line.rstrip() in ("---", "..."):
            if not found and count == 0:
                return None  # a bare rule, not front matter
            for key, value in found.items():
                fields.setdefault(key, value)
            return following
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or line[0] in " \t" or stripped[0] == "-":
            continue  # blank, comment, nested value or list item
        match = _KEY_VALUE.match(line)
        if match is None:
            return None
        key = _KEYS.get(match.group(1).strip().lower())
        if key:
            found.setdefault(key, _unquote(match.group(2) or ""))
        found.setdefault("", "")  # remember that there was a key at all
    return None


def _header_lines(text: str, fields: dict[str, str]) -> int:
    """``Title: …`` / ``Date: …`` lines opening the text: where they end (0 if none)."""
    pos = 0
    consumed = False
    for start, end, following in _lines(text, 0):
        line = text[start:end].strip()
        if not line:
            if consumed:
                break
            continue
        match = _KEY_VALUE.match(line)
        key = _KEYS.get(match.group(1).strip().lower()) if match else None
        if key is None or not match.group(2):
            break
        fields.setdefault(key, match.group(2))
        consumed = True
        pos = following
    return pos


def _title_line(text: str, pos: int) -> tuple[str | None, str | None, int]:
    """A title from the first line at ``pos``: (title, date from it, where the body starts)."""
    lines = ((s, e, n) for s, e, n in _lines(text, pos) if text[s:e].strip())
    first = next(lines, None)
    if first is None:
        return None, None, pos
    start, end, following = first
    line = text[start:end].strip()
    after = next(lines, None)
    dated = _DATE_ONLY.match(line)
    line_date = normalize_date(dated.group(1)) if dated else None
    if line_date is not None:
        # "2025-07-12" alone on the first line: the date, then perhaps a title.
        if after is None:
            return None, line_date, pos
        pos = following
        start, end, following = after
        line = text[start:end].strip()
        after = next(lines, None)
    heading = _MD_HEADING.match(line)
    if heading:
        candidate = heading.group(1)
    elif after and after[0] == following and _SETEXT.match(text[after[0] : after[1]].strip()):
        candidate = line  # a Setext heading: the title underlined with === or ---
        following = after[2]
        after = next(lines, None)
    else:
        candidate = line
    date = line_date
    if date is None and (match := _DATE_PREFIX.match(candidate)):
        date = normalize_date(match.group(1))
        if date is not None:
            candidate = match.group(2)
    candidate = _clean_title(candidate)
    looks_like_title = (
        0 < len(candidate) <= _MAX_TITLE
        and _has_word(candidate)
        # A dated first line is a headline even when it ends with a full stop.
        and (
            heading is not None
            or (date is not None and line_date is None)
            or not candidate.endswith((".", ",", ";", ":"))
        )
        and not line.startswith(("- ", "* ", "> ", "|"))
    )
    if not looks_like_title:
        return None, line_date, pos
    # A lone short line is the whole text, not a title over nothing.
    return candidate, date, (following if after is not None else pos)


def _skip_repeated_title(text: str, pos: int, title: str) -> int:
    """Past a first line that repeats the header's title (``# Title`` under front matter)."""
    for start, end, following in _lines(text, pos):
        line = text[start:end].strip()
        if not line:
            continue
        heading = _MD_HEADING.match(line)
        words = _clean_title(heading.group(1) if heading else line).casefold().split()
        has_body = bool(text[following:].strip())
        return following if has_body and words == title.casefold().split() else pos
    return pos


def _has_word(value: str) -> bool:
    return any(ch.isalnum() for ch in value)


def _clean_title(value: str) -> str:
    value = " ".join(value.split())
    for mark in ("**", "__", "*", "_", "`"):
        if len(value) > 2 * len(mark) and value.startswith(mark) and value.endswith(mark):
            value = value[len(mark) : -len(mark)].strip()
    return value


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    if value.startswith("[") and value.endswith("]"):
        return ", ".join(_unquote(part) for part in value[1:-1].split(",") if part.strip())
    return value
