"""Turning what people hand us into :class:`~knowledge.types.Document` values.

Files (:mod:`knowledge.filetypes` says which), directories of them, raw bytes
with a name, JSON Lines records and URLs all end here; what is plain text is read
by :mod:`knowledge.plaintext`, HTML by :mod:`knowledge.extract`. Multi-document
inputs answer with ``(label, Document | KnowledgeError)`` pairs so one bad file or
line never stops the rest; the label names the input for the user (``archive.jsonl:7``).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.dates import given_date
from knowledge.decode import binary_kind, decode_text, not_text, printable
from knowledge.errors import (
    EmptyDocument,
    InputError,
    KnowledgeError,
    TooLarge,
    UnsupportedContent,
)
from knowledge.extract import html_to_document
from knowledge.fetch import fetch_url, parse_content_type
from knowledge.filetypes import CONTENT_TYPES, EXTENSIONS, SUPPORTED_LIST, UNSUPPORTED_EXTENSIONS
from knowledge.limits import format_size
from knowledge.plaintext import document_from_text
from knowledge.types import Document

if TYPE_CHECKING:
    from knowledge.config import KnowledgeConfig

log = logging.getLogger(__name__)

Outcome = tuple[str, Document | KnowledgeError]

MAX_JSONL_RECORDS = 100_000
MAX_FILES = 10_000
#: Directory entries looked at before a walk gives up (a mistaken ``/``).
MAX_WALK_ENTRIES = 200_000
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html[\s>])", re.I | re.S)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def with_metadata(
    document: Document,
    *,
    title: str | None = None,
    date: str | None = None,
    author: str | None = None,
) -> Document:
    """``document`` with the title, date and author the user gave in place of the found ones.

    Raises:
        InputError: ``date`` is not a date.
    """
    changes: dict[str, str] = {}
    if title is not None and " ".join(title.split()):
        changes["title"] = " ".join(title.split())
    if author is not None and " ".join(author.split()):
        changes["author"] = " ".join(author.split())
    if (iso := given_date(date)) is not None:
        changes["date"] = iso
    return replace(document, **changes) if changes else document


def documents_from_jsonl(
    data: bytes | str, *, name: str, max_records: int = MAX_JSONL_RECORDS
) -> list[Outcome]:
    """One document per JSON line: ``{"text", "title", "url", "date", "author"}``.

    A bad line becomes an :class:`InputError` for that line; the others still count.
    """
    text = decode_text(data, name=name) if isinstance(data, bytes) else data
    outcomes: list[Outcome] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        label = f"{name}:{lineno}"
        if len(outcomes) >= max_records:
            outcomes.append(
                (label, InputError(f"{name} has more than {max_records:,} records; stopped here"))
            )
            break
        outcomes.append((label, _jsonl_record(line, label)))
    if not outcomes:
        outcomes.append((name, EmptyDocument(f"{name} has no records")))
    return outcomes


def documents_from_bytes(
    name: str,
    data: bytes,
    *,
    content_type: str | None = None,
    config: KnowledgeConfig,
    source_ref: str | None = None,
) -> list[Outcome]:
    """Read an uploaded or on-disk file by its name (and type); errors come back as outcomes."""
    try:
        return _documents_from_bytes(name, data, content_type, config, source_ref)
    except KnowledgeError as err:
        return [(name, err)]


@dataclass(frozen=True)
class FolderListing:
    """The files a folder walk reads, and what it passed over."""

    root: Path
    files: tuple[Path, ...]  # supported extensions, sorted, hidden ones left out
    skipped: int = 0  # other files (not hidden) that are not read
    problem: InputError | None = None  # why the walk stopped early
    unreadable: tuple[Outcome, ...] = ()  # folders that could not be listed, and why

    def refusals(self) -> list[Outcome]:
        """What the walk reports besides its files: folders it could not list, then why it
        stopped early, or that it found nothing to read."""
        outcomes = list(self.unreadable)
        if self.problem is not None:
            outcomes.append((str(self.root), self.problem))
        elif not self.files and not self.unreadable:
            message = f"No {SUPPORTED_LIST} files found in {self.root}"
            outcomes.append((str(self.root), InputError(message)))
        return outcomes


def list_folder(root: str | Path) -> FolderListing:
    """The files under ``root`` with a supported extension, within the walk's bounds."""
    root = Path(root)
    files: list[Path] = []
    unreadable: list[Outcome] = []

    def cannot_list(exc: OSError) -> None:
        where = _label(Path(exc.filename)) if exc.filename else _label(root)
        reason = "permission denied" if isinstance(exc, PermissionError) else exc.strerror
        unreadable.append((where, InputError(f"Could not read the folder {where}: {reason}")))

    skipped, problem = _walk_folder(root, files, cannot_list)
    return FolderListing(root, tuple(files), skipped, problem, tuple(unreadable))


def _walk_folder(
    root: Path, files: list[Path], onerror: Callable[[OSError], None]
) -> tuple[int, InputError | None]:
    """Fill ``files``; (files skipped, why the walk stopped early if it did)."""
    skipped = entries = 0
    for dirpath, dirnames, filenames in os.walk(root, onerror=onerror):  # no directory links
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        entries += len(dirnames) + len(filenames)
        if entries > MAX_WALK_ENTRIES:
            return skipped, InputError(f"{root} holds too many entries; stopped walking it")
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            if Path(filename).suffix.lower() not in EXTENSIONS:
                skipped += 1
                continue
            if len(files) >= MAX_FILES:
                return skipped, InputError(f"{root} has more than {MAX_FILES:,} files; stopped")
            files.append(Path(dirpath, filename))
    return skipped, None


def documents_from_path(path: str | Path, *, config: KnowledgeConfig) -> Iterator[Outcome]:
    """A file, or every supported file under a directory (sorted, hidden ones skipped).

    Raises:
        InputError: the path does not exist (raised at once, not when iterating).
    """
    root = Path(path).expanduser()
    if not root.exists():
        try:
            root.stat()
        except OSError as exc:  # a symbolic link loop is not a missing file
            if exc.strerror and exc.errno != errno.ENOENT:
                raise InputError(f"{exc.strerror}: {_label(root)}") from None
        raise InputError(f"No such file or directory: {path}")
    if root.is_dir():
        return _walk(root, config)
    return iter([*_file_outcomes(root, config)])


def documents_from_url(url: str, *, config: KnowledgeConfig) -> Document:
    """Fetch a page and read it as HTML or plain text, as its content type says."""
    page = fetch_url(url, config)
    kind = binary_kind(page.body)
    if kind is not None:
        raise not_text(page.url, kind, "a web page")
    if page.content_type in ("text/html", "application/xhtml+xml") or (
        page.content_type is None and _HTML_START.match(page.body[:4096])
    ):
        return html_to_document(page.body, url=page.url, charset=page.charset, source_kind="url")
    text = decode_text(page.body, declared_charset=page.charset, name=page.url)
    return document_from_text(text, name=page.url, url=page.url, source_kind="url")


def _jsonl_record(line: str, label: str) -> Document | KnowledgeError:
    try:
        record = json.loads(line)
    except RecursionError:
        return InputError(f"{label}: nested too deeply to read")
    except ValueError:  # JSONDecodeError, or an integer longer than Python reads
        return InputError(f"{label}: not valid JSON")
    if not isinstance(record, dict):
        return InputError(f'{label}: expected an object with a "text" field')
    fields = {}
    for key in ("text", "title", "url", "date", "author"):
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return InputError(f'{label}: "{key}" must be a string')
        if value is not None and _LONE_SURROGATE.search(value):
            # "\ud800" without its pair is valid JSON but not text.
            return InputError(f'{label}: "{key}" holds an invalid \\u escape (a lone surrogate)')
        fields[key] = value
    if not (fields["text"] or "").strip():
        return EmptyDocument(f'{label}: the "text" field is missing or empty')
    try:
        return document_from_text(
            fields["text"],
            name=label,
            title=fields["title"],
            url=fields["url"],
            date=fields["date"],
            author=fields["author"],
            source_kind="jsonl",
            source_ref=label,
        )
    except KnowledgeError as err:
        message = err.message if err.message.startswith(label) else f"{label}: {err.message}"
        return type(err)(message)


def _documents_from_bytes(
    name: str,
    data: bytes,
    content_type: str | None,
    config: KnowledgeConfig,
    source_ref: str | None,
) -> list[Outcome]:
    if (refused := _unsupported_type(name)) is not None:
        raise refused
    limit = config.max_document_bytes
    if len(data) > limit:
        raise TooLarge(f"{name} is larger than the {format_size(limit)} limit")
    if not data.strip():
        raise EmptyDocument(f"{name} is empty")
    media, charset = parse_content_type(content_type)
    suffix = Path(name).suffix.lower()
    kind = EXTENSIONS.get(suffix) or CONTENT_TYPES.get(media or "")
    binary = binary_kind(data)
    if binary is not None:
        raise not_text(name, binary)
    if kind is None:  # no extension, or one we have no rule for: sniff
        kind = "html" if _HTML_START.match(data[:4096]) else "text"
    log.debug("Reading %s (%d bytes) as %s", name, len(data), kind)
    if kind == "jsonl":
        return documents_from_jsonl(data, name=name)
    if kind == "html":
        try:
            doc = html_to_document(data, charset=charset, source_ref=source_ref or name)
        except EmptyDocument as err:
            if not err.message.startswith("No readable text"):
                raise  # says what was found instead of an article
            raise EmptyDocument(f"No readable text found in {name}") from None
        return [(name, doc)]
    text = decode_text(data, declared_charset=charset, name=name)
    doc = document_from_text(text, name=name, source_kind="file", source_ref=source_ref or name)
    return [(name, doc)]


def _walk(root: Path, config: KnowledgeConfig) -> Iterator[Outcome]:
    listing = list_folder(root)
    for path in listing.files:
        yield from _file_outcomes(path, config)
    yield from listing.refusals()


def _label(path: Path) -> str:
    """The path as text fit to show and store (a file name need not be UTF-8)."""
    return printable(str(path))


def _unsupported_type(name: str) -> UnsupportedContent | None:
    if Path(name).suffix.lower() in UNSUPPORTED_EXTENSIONS:
        return UnsupportedContent(f"{name} is not a supported file type ({SUPPORTED_LIST})")
    return None


def _file_outcomes(path: Path, config: KnowledgeConfig) -> list[Outcome]:
    label = _label(path)
    limit = config.max_document_bytes
    if (refused := _unsupported_type(label)) is not None:
        return [(label, refused)]
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return [(label, UnsupportedContent(f"{label} is not a regular file"))]
        if info.st_size > limit:
            return [(label, TooLarge(f"{label} is larger than the {format_size(limit)} limit"))]
        with path.open("rb") as handle:
            data = handle.read(limit + 1)  # the size can change after stat
    except PermissionError:
        return [(label, InputError(f"Could not read {label}: permission denied"))]
    except OSError as exc:
        return [(label, InputError(f"Could not read {label}: {exc.strerror or exc}"))]
    return documents_from_bytes(label, data, config=config)
