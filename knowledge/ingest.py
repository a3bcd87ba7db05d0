"""Preparing a document for storage: cleaned fields, its passages with their
index terms, and the article row that holds them.

Nothing here opens a session: the service stores what :func:`prepare` returns,
in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

from knowledge import search, store, text
from knowledge.dates import given_date, normalize_date
from knowledge.errors import EmptyDocument, InputError, KnowledgeError, TooLarge
from knowledge.limits import clean, format_size
from knowledge.models import Article
from knowledge.passages import split_passages
from knowledge.types import Document
from knowledge.urls import canonical_url

if TYPE_CHECKING:
    from knowledge.config import KnowledgeConfig

# knowledge.sources (trafilatura, lxml, charset detection, the HTTP client) is
# imported by the functions that read a source: a question never needs it.

MAX_TITLE_CHARS = 300
#: Longest author kept: a byline, not a paragraph.
MAX_AUTHOR_CHARS = 200
#: Width of the ``source_kind`` column.
MAX_SOURCE_KIND_CHARS = 20
#: An untitled document is titled by its opening words, up to this many characters.
OPENING_TITLE_CHARS = 80
#: Characters of an unreadable date quoted back in the error.
SHOWN_DATE_CHARS = 40
#: Characters that reorder the text around them: a title holding one can turn
#: the line it is printed in (terminal, Discord) backwards.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Prepared:
    """An article row ready to insert, its passages, and the addresses a stored
    duplicate may be known by."""

    article: Article
    passages: list[store.NewPassage]
    fingerprint: str
    urls: frozenset[str]


def from_text(
    text_: str,
    *,
    title: str | None,
    url: str | None,
    date: str | None,
    author: str | None,
    source_ref: str | None,
    max_bytes: int,
) -> Document:
    """Pasted text as a document; a first short line is its title unless one is given."""
    check_size(text_, max_bytes)
    text_, title, url, date, author, source_ref = (
        clean(v) for v in (text_, title, url, date, author, source_ref)
    )
    from knowledge import plaintext

    return plaintext.document_from_text(
        text_, title=title, url=url, date=date, author=author, source_ref=source_ref
    )


def check_url(url: str, date: str | None) -> None:
    """Refuse, before anything is fetched, an address no page can have or a bad date."""
    given_date(date)
    if clean(url) != url or not url.isprintable():
        raise InputError("That is not a web address (http:// or https://).")


def from_url(
    url: str,
    *,
    title: str | None,
    date: str | None,
    author: str | None,
    config: KnowledgeConfig,
) -> Document:
    """The web page (fetched within ``config``'s limits), with the given metadata."""
    from knowledge import sources

    document = sources.documents_from_url(url, config=config)
    return sources.with_metadata(document, title=title, date=date, author=author)


def from_bytes(
    name: str,
    data: bytes,
    *,
    content_type: str | None,
    source_ref: str | None,
    title: str | None,
    date: str | None,
    author: str | None,
    config: KnowledgeConfig,
) -> list[tuple[str, Document | KnowledgeError]]:
    """The articles of an uploaded file, each labelled, or why one cannot be read.

    ``title``, ``date`` and ``author`` apply to a file that holds one article only.
    """
    if content_type is not None and not content_type.isprintable():
        content_type = None  # a header cannot hold control characters: ignore it
    from knowledge import sources

    parsed = sources.documents_from_bytes(
        name, data, content_type=content_type, config=config, source_ref=clean(source_ref)
    )
    if all(value is None for value in (title, date, author)):
        return parsed
    if len(parsed) != 1:
        raise InputError(
            f"{name} holds {len(parsed)} articles; a title, date or author applies to a single one"
        )
    label, item = parsed[0]
    if not isinstance(item, KnowledgeError):
        item = sources.with_metadata(item, title=title, date=date, author=author)
    return [(label, item)]


def example_files() -> Iterator[tuple[str, bytes]]:
    """(name, content) of the example articles bundled with Archivist."""
    folder = resources.files("knowledge") / "examples"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.startswith((".", "_")) and entry.is_file():
            yield entry.name, entry.read_bytes()


def check_size(content: str, limit: int) -> None:
    """Raises :class:`TooLarge` when ``content`` is over ``limit`` bytes in UTF-8."""
    if len(content.encode("utf-8", "surrogatepass")) > limit:
        raise TooLarge(f"The text is larger than the {format_size(limit)} limit.")


def prepare(
    document: Document, *, collection: str, added_by: str | None, max_bytes: int
) -> Prepared:
    """Split and index one document for ``collection``.

    Raises:
        InputError: a date that cannot be read.
        EmptyDocument: nothing to store.
        TooLarge: over ``max_bytes``.
    """
    document = clean_document(document)
    added_by = clean(added_by)
    body = document.text[document.body_start :]
    if not body.strip():
        raise EmptyDocument("There is no text to store.")
    check_size(document.text, max_bytes)
    drafts = split_passages(
        document.text, document.body_start, heading_starts=document.heading_starts
    )
    if not drafts:
        raise EmptyDocument("There is no readable text to store.")
    title = _title(document)
    fingerprint = hashlib.sha256(text.search_text(body).encode()).hexdigest()
    canonical = canonical_url(document.canonical_url or document.url)
    url = document.url or document.canonical_url
    languages = Counter(d.language for d in drafts if d.language)
    title_terms = text.search_text(title)  # every passage's context: read it once
    passages = []
    for draft in drafts:
        passage_text = document.text[draft.start : draft.end]
        passages.append(
            store.NewPassage(
                start=draft.start,
                end=draft.end,
                heading=draft.heading,
                language=draft.language,
                links=json.dumps([[ln.url, ln.label, ln.kind] for ln in draft.links]),
                body_terms=text.search_text(passage_text),
                context_terms=" ".join(
                    filter(None, (title_terms, text.search_text(draft.heading or "")))
                ),
                features=search.answer_kinds(passage_text),
            )
        )
    article = Article(
        collection=collection,
        title=title,
        url=url,
        canonical_url=canonical,
        fingerprint=fingerprint,
        published=document.date,
        author=(document.author or None) and document.author[:MAX_AUTHOR_CHARS],
        languages=",".join(lang for lang, _ in languages.most_common()),
        text=document.text,
        body_start=document.body_start,
        source_kind=document.source_kind,
        source_ref=document.source_ref,
        added_by=added_by,
        added_at=datetime.now(UTC),
    )
    urls = frozenset(u for u in (canonical, canonical_url(document.url), url) if u)
    return Prepared(article, passages, fingerprint, urls)


def fresh_copy(article: Article) -> Article:
    """The same row, not yet added to any session (to insert again after a failed try)."""
    columns = {c.key: getattr(article, c.key) for c in Article.__table__.columns if c.key != "id"}
    return Article(**columns)


def clean_document(document: Document) -> Document:
    """The document with every text field :func:`clean`, ``body_start`` kept in step."""
    body_start = document.body_start - document.text.count("\x00", 0, document.body_start)
    title = clean(document.title)
    author = _BIDI_CONTROLS.sub("", clean(document.author) or "") or None
    date = clean(document.date)
    if date:
        iso = normalize_date(date)
        if iso is None:
            shown = date.strip()[:SHOWN_DATE_CHARS]
            raise InputError(f"Could not read the date {shown!r}; write it as YYYY-MM-DD")
        date = iso
    return replace(
        document,
        text=clean(document.text),
        title=title,
        author=author,
        date=date or None,
        url=clean(document.url),
        canonical_url=clean(document.canonical_url),
        source_kind=(clean(document.source_kind) or "text")[:MAX_SOURCE_KIND_CHARS],
        source_ref=clean(document.source_ref),
        body_start=max(0, body_start),
    )


def _title(document: Document) -> str:
    title = " ".join((document.title or "").split())
    if not title:
        words = " ".join(document.text[document.body_start :].split())
        if len(words) > OPENING_TITLE_CHARS:
            title = words[:OPENING_TITLE_CHARS].rsplit(" ", 1)[0] + "…"
        else:
            title = words
    return _BIDI_CONTROLS.sub("", title)[:MAX_TITLE_CHARS]
