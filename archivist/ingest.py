"""``archivist ingest``: files, folders, URLs and standard input into the store, a line each."""

from __future__ import annotations

import errno
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from archivist import render
from archivist.context import Context, UsageError, embed_pending, one_line
from knowledge.decode import printable
from knowledge.errors import KnowledgeError
from knowledge.filetypes import SUPPORTED_LIST
from knowledge.types import GLOBAL_COLLECTION, IngestOutcome

if TYPE_CHECKING:
    import argparse

STDIN = "stdin"  # how `ingest -` names standard input in its lines and stored source


def cmd_ingest(ctx: Context, args: argparse.Namespace) -> int:
    meta = {"title": args.title, "date": args.date, "author": args.author}
    has_meta = any(v is not None for v in meta.values())
    if has_meta and len(args.sources) != 1:
        raise UsageError("--title, --date and --author apply to a single file, URL or stdin")
    counts: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for source in args.sources:
        for outcome in _ingest_source(ctx, source, meta if has_meta else None, skipped):
            if outcome.result is not None:
                duplicate = outcome.result.duplicate
                kind = "duplicate" if duplicate else "stored"
                line = render.ingested_line(outcome.result.article, duplicate=duplicate)
            else:
                kind = "refused"
                line = _refused_line(outcome.source, outcome.error or "refused")
            counts[kind] += 1
            print(printable(line), flush=True)
    if sum(counts.values()) > 1:
        parts = [f"{counts['stored']} stored"]
        if counts["duplicate"]:
            plural = "s" if counts["duplicate"] > 1 else ""
            parts.append(f"{counts['duplicate']} duplicate{plural}")
        if counts["refused"]:
            parts.append(f"{counts['refused']} refused")
        ctx.note(", ".join(parts))
    if counts["stored"] and ctx.collection == GLOBAL_COLLECTION:
        # The examples were there to try Archivist out; the user's own articles replace them.
        removed = ctx.service().remove_examples()
        if removed:
            ctx.note(f"Removed the {removed} example articles: the store now holds your own.")
    if skipped["files"]:
        n = skipped["files"]
        other = "other file" if n == 1 else "other files"
        ctx.note(f"{n} {other} in folders skipped (only {SUPPORTED_LIST} are read there)")
    if counts["stored"] and not args.no_embed:
        embed_pending(ctx, "embedding")
    return 1 if counts["refused"] else 0


def _refused_line(source: str, message: str) -> str:
    """``refused  <source>: <why>``, naming the source once when the reason already does."""
    message = one_line(message)
    # The source as a word of the message ("d" must not match inside ".md").
    if re.search(rf"(?<!\S){re.escape(source)}(?=$|[\s:,;)])", message):
        return f"refused  {message}"
    return f"refused  {source}: {message}"


def _ingest_folder(ctx: Context, folder: str, skipped: Counter[str]) -> Iterator[IngestOutcome]:
    """Every supported file under ``folder``; the others are counted in ``skipped``."""
    from knowledge.sources import list_folder

    listing = list_folder(folder)
    skipped["files"] += listing.skipped
    for path in listing.files:
        yield from ctx.service().ingest_path(path, collection=ctx.collection, added_by=ctx.added_by)
    for label, problem in listing.refusals():
        yield IngestOutcome(label, error=str(problem))


def _ingest_source(
    ctx: Context, source: str, meta: dict | None, skipped: Counter[str]
) -> Iterator[IngestOutcome]:
    """Every article one SOURCE argument yields; failures become refused outcomes."""
    svc = ctx.service()
    common = {"collection": ctx.collection, "added_by": ctx.added_by}
    if source == "-":
        source = STDIN  # what the messages call it
    try:
        if source == STDIN:
            limit = ctx.settings.knowledge.max_document_bytes
            data = _read_stdin_bytes(limit + 1)  # bounded: one byte over is enough to refuse
            if len(data) > limit:
                yield IngestOutcome(source, error=_too_large(limit))
            else:
                # Bytes, not text: binary and legacy encodings take the same path as files.
                yield from svc.ingest_bytes(STDIN, data, source_ref=STDIN, **common, **(meta or {}))
            return
        if "://" in source:
            yield IngestOutcome(source, svc.ingest_url(source, **common, **(meta or {})))
            return
        if not os.path.exists(source):
            yield IngestOutcome(source, error=_missing(source))
            return
        if meta:
            yield from _ingest_file_with_meta(ctx, source, meta)
            return
        if os.path.isdir(source):
            yield from _ingest_folder(ctx, source, skipped)
            return
        yield from svc.ingest_path(source, **common)
    except KnowledgeError as exc:
        yield IngestOutcome(source, error=str(exc))
    except UnicodeDecodeError:
        yield IngestOutcome(source, error="not UTF-8 text")
    except OSError as exc:
        yield IngestOutcome(source, error=exc.strerror or str(exc))


def _missing(path: str) -> str:
    """Why a path that does not exist cannot be read: absent, or a symbolic link loop."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.strerror and exc.errno != errno.ENOENT:
            return exc.strerror[0].lower() + exc.strerror[1:]
    return "no such file or directory"


def _ingest_file_with_meta(ctx: Context, path: str, meta: dict) -> Iterator[IngestOutcome]:
    """One file (text, Markdown, HTML) whose title/date/author the user gives."""
    if os.path.isdir(path):
        raise UsageError("--title, --date and --author apply to a single file, URL or stdin")
    limit = ctx.settings.knowledge.max_document_bytes
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)  # bounded: one byte over is enough to refuse
    if len(data) > limit:
        yield IngestOutcome(path, error=_too_large(limit))
        return
    yield from ctx.service().ingest_bytes(
        path, data, source_ref=path, collection=ctx.collection, added_by=ctx.added_by, **meta
    )


def _read_stdin_bytes(limit: int) -> bytes:
    """Up to ``limit`` bytes of standard input, as the bytes they are."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is not None:
        return stream.read(limit)
    # A text-only stdin (an embedding program's StringIO): give back what it holds.
    return sys.stdin.read(limit).encode("utf-8", "surrogateescape")


def _too_large(limit: int) -> str:
    return f"larger than the {limit:,}-byte limit (ARCHIVIST_MAX_DOCUMENT_BYTES)"
