"""The service every face uses: ingest, ask, browse and remove articles.

It takes plain values and returns the frozen dataclasses of
``knowledge.types``. Each call opens its own session, so one ``Archivist`` can
serve many threads (the bot runs calls through ``asyncio.to_thread``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from knowledge import answer, fulltext, search, sources, store, text
from knowledge.config import KnowledgeConfig
from knowledge.errors import (
    EmptyDocument,
    InputError,
    InvalidQuery,
    KnowledgeError,
    NotFound,
    StoreError,
    TooLarge,
)
from knowledge.models import Article, Passage
from knowledge.passages import split_passages, split_sentences
from knowledge.types import (
    EXAMPLES_COLLECTION,
    GLOBAL_COLLECTION,
    Answer,
    ArticleDetail,
    ArticleSummary,
    Document,
    Excerpt,
    Ingested,
    IngestOutcome,
    Stats,
)
from knowledge.urls import canonical_url

log = logging.getLogger(__name__)

#: Longest question looked at; the rest is ignored (its first terms count).
MAX_QUESTION_CHARS = 2000
MAX_TITLE_CHARS = 300
#: How much more of the question must match when it names something unknown.
UNKNOWN_NAME_FLOOR = 1.3
#: How much less must match when the question's language is not the store's.
CROSS_LANGUAGE_FLOOR = 0.8


def _store_errors(method):
    """A database failure inside ``method`` becomes a one-line :class:`StoreError`."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            raise StoreError(f"The database failed: {reason[:300]}") from exc

    return wrapper


class Archivist:
    """Opens (and migrates) the store named by ``config.database_url``.

    Raises:
        StoreError: the database cannot be opened or migrated.
    """

    def __init__(self, config: KnowledgeConfig | None = None) -> None:
        self.config = config or KnowledgeConfig()
        self._engine = store.open_engine(self.config.database_url)
        store.migrate(self._engine)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._fulltext = fulltext.for_dialect(self._engine.dialect.name)
        self._expander = search.Expander()

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Archivist:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def database(self) -> str:
        """The database URL with any password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def _check_size(self, content: str) -> None:
        limit = self.config.max_document_bytes
        if len(content.encode("utf-8", "surrogatepass")) > limit:
            raise TooLarge(f"The text is larger than the {_megabytes(limit)} limit.")

    def _collections(self, collections: Iterable[str] | None) -> list[str]:
        if collections:
            return list(dict.fromkeys(collections))
        # Callers that name no collection (the command line) see the example
        # articles with the shared one; the bot names its collections, so a
        # Discord server never sees them.
        if self.config.default_collection == GLOBAL_COLLECTION:
            return [GLOBAL_COLLECTION, EXAMPLES_COLLECTION]
        return [self.config.default_collection]

    def _session(self) -> Session:
        return self._sessions()

    # --- ingest -------------------------------------------------------------------

    def ingest_document(
        self, document: Document, *, collection: str | None = None, added_by: str | None = None
    ) -> Ingested:
        """Split, index and store one document, atomically.

        Returns the new article, or the stored one it duplicates (same content
        or same URL in the collection).

        Raises:
            EmptyDocument: nothing to store.
            TooLarge: over ``max_document_bytes``.
        """
        collection = collection or self.config.default_collection
        body = document.text[document.body_start :]
        if not body.strip():
            raise EmptyDocument("There is no text to store.")
        self._check_size(document.text)
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
                    context_terms=text.search_text(f"{title}\n{draft.heading or ''}"),
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
            author=(document.author or None) and document.author[:200],
            languages=",".join(lang for lang, _ in languages.most_common()),
            text=document.text,
            body_start=document.body_start,
            source_kind=document.source_kind,
            source_ref=document.source_ref,
            added_by=added_by,
            added_at=datetime.now(UTC),
        )
        urls = {u for u in (canonical, canonical_url(document.url), url) if u}
        for attempt in range(2):
            try:
                with self._session() as session, session.begin():
                    existing = store.find_duplicate(session, collection, fingerprint, urls)
                    if existing is not None:
                        return Ingested(_summary(existing), duplicate=True)
                    store.add_article(session, article, passages)
                    summary = _summary(article)
                break
            except IntegrityError:
                # Another writer stored the same article between our check and
                # our insert: look again, and report it as the duplicate.
                if attempt:
                    raise
                article = _fresh_copy(article)
            except OperationalError as exc:
                raise StoreError(f"The database refused the article: {exc.orig}") from exc
        self._expander.clear()
        log.info(
            "stored article %d (%d passages) in %s", summary.id, summary.passage_count, collection
        )
        return Ingested(summary)

    def ingest_text(
        self,
        text_: str,
        *,
        title: str | None = None,
        url: str | None = None,
        date: str | None = None,
        author: str | None = None,
        collection: str | None = None,
        added_by: str | None = None,
        source_ref: str | None = None,
    ) -> Ingested:
        """Store pasted text; a first short line is taken as its title unless given."""
        self._check_size(text_)
        document = sources.document_from_text(
            text_, title=title, url=url, date=date, author=author, source_ref=source_ref
        )
        return self.ingest_document(document, collection=collection, added_by=added_by)

    def ingest_url(
        self,
        url: str,
        *,
        title: str | None = None,
        date: str | None = None,
        author: str | None = None,
        collection: str | None = None,
        added_by: str | None = None,
    ) -> Ingested:
        """Fetch a web page (safely, within the configured limits) and store it.

        ``title``, ``date`` and ``author``, when given, replace what the page says.
        """
        sources.given_date(date)  # a bad date fails before the page is fetched
        document = sources.documents_from_url(url, config=self.config)
        document = sources.with_metadata(document, title=title, date=date, author=author)
        return self.ingest_document(document, collection=collection, added_by=added_by)

    def ingest_bytes(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str | None = None,
        collection: str | None = None,
        added_by: str | None = None,
        source_ref: str | None = None,
        title: str | None = None,
        date: str | None = None,
        author: str | None = None,
    ) -> list[IngestOutcome]:
        """Store an uploaded file: text, Markdown, HTML, or JSON Lines of articles.

        ``title``, ``date`` and ``author``, when given, replace what the file says;
        they apply to a file that holds one article only.
        """
        try:
            parsed = sources.documents_from_bytes(
                name, data, content_type=content_type, config=self.config, source_ref=source_ref
            )
            if any(value is not None for value in (title, date, author)):
                if len(parsed) != 1:
                    raise InputError(
                        f"{name} holds {len(parsed)} articles; a title, date or author "
                        "applies to a single one"
                    )
                label, item = parsed[0]
                if not isinstance(item, KnowledgeError):
                    item = sources.with_metadata(item, title=title, date=date, author=author)
                parsed = [(label, item)]
        except KnowledgeError as exc:
            return [IngestOutcome(name, error=str(exc))]
        return [self._outcome(label, item, collection, added_by) for label, item in parsed]

    def ingest_path(
        self, path: str | Path, *, collection: str | None = None, added_by: str | None = None
    ) -> Iterator[IngestOutcome]:
        """Store a file, or every supported file under a folder."""
        try:
            for label, item in sources.documents_from_path(path, config=self.config):
                yield self._outcome(label, item, collection, added_by)
        except KnowledgeError as exc:
            yield IngestOutcome(str(path), error=str(exc))

    def _outcome(
        self,
        label: str,
        item: Document | KnowledgeError,
        collection: str | None,
        added_by: str | None,
    ) -> IngestOutcome:
        if isinstance(item, KnowledgeError):
            return IngestOutcome(label, error=str(item))
        try:
            return IngestOutcome(
                label, result=self.ingest_document(item, collection=collection, added_by=added_by)
            )
        except KnowledgeError as exc:
            return IngestOutcome(label, error=str(exc))

    def load_examples(self) -> list[IngestOutcome]:
        """Store the example articles bundled with Archivist in their own collection."""
        folder = resources.files("knowledge") / "examples"
        outcomes = []
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.startswith((".", "_")) or not entry.is_file():
                continue
            outcomes.extend(
                self.ingest_bytes(
                    entry.name,
                    entry.read_bytes(),
                    collection=EXAMPLES_COLLECTION,
                    added_by="examples",
                )
            )
        with self._session() as session, session.begin():
            store.set_meta(session, "examples_loaded", datetime.now(UTC).isoformat())
        return outcomes

    @_store_errors
    def remove_examples(self) -> int:
        """Delete the example articles; returns how many there were."""
        with self._session() as session, session.begin():
            examples = store.list_articles(session, [EXAMPLES_COLLECTION], 1000, 0)
            for article in examples:
                store.remove_article(session, article)
        if examples:
            self._expander.clear()
            log.info("removed the %d example articles", len(examples))
        return len(examples)

    @property
    @_store_errors
    def examples_loaded(self) -> bool:
        """Whether the examples were ever loaded into this store (and perhaps removed since)."""
        with self._session() as session:
            return store.get_meta(session, "examples_loaded") is not None

    # --- ask ----------------------------------------------------------------------

    @_store_errors
    def ask(
        self,
        question: str,
        *,
        collections: Iterable[str] | None = None,
        k: int | None = None,
        offset: int = 0,
    ) -> Answer:
        """The excerpts that best answer ``question``; none when nothing relevant is stored.

        Raises:
            InvalidQuery: the question has no words to search for.
        """
        question = " ".join((question or "").split())
        if not question:
            raise InvalidQuery("Ask a question: for example “who met Kim and where?”")
        searched = question[:MAX_QUESTION_CHARS]
        if not text.terms(searched):
            raise InvalidQuery("Your question has no words to search for.")
        k = max(1, min(k or self.config.top_k, 25))
        offset = max(0, offset)
        names = self._collections(collections)
        with self._session() as session:
            total = self._expander.passage_count(session)
            query = search.build_query(session, self._expander, searched, total)
            if not query.terms:
                raise InvalidQuery(
                    "Your question has only common words; add a name, place or topic to search for."
                )
            ranked = search.rank(session, self._fulltext, query, names)
            index = query.word_index()
            # Draw the quotes of the best candidates first: a passage whose
            # quote holds the kind of answer asked for ("where" -> a place)
            # moves up, so ranking and quoting agree.
            drafted = self._draft(session, query, index, ranked[: search.RERANK])
            for scored in ranked[: search.RERANK]:
                if scored.passage_id in drafted and scored.body_matches:
                    excerpt = drafted[scored.passage_id]
                    # Full weight where the kind stands beside a matched word.
                    scored.score += 0.5 * search.quote_bonus(query, excerpt.quote)
                    scored.score += 0.5 * search.quote_bonus(query, _matched_sentences(excerpt))
            ranked.sort(key=lambda s: (-s.score, s.passage_id))
            # A name no stored text holds means "not stored" only where the
            # store is written in the question's language: across languages
            # names are spelled apart (Warsaw, Varșovia).
            same_language = query.language in self._expander.languages(session)
            relevant = _relevant(query, ranked, self.config.min_confidence, same_language)
            page = relevant[offset : offset + k]
            missing = [s for s in page if s.passage_id not in drafted]
            drafted.update(self._draft(session, query, index, missing))
            excerpts = tuple(
                replace(drafted[s.passage_id], score=round(s.score, 4))
                for s in page
                if s.passage_id in drafted
            )
        return Answer(
            question=question,
            excerpts=excerpts,
            terms=tuple(t.term for t in query.terms if t.expansions),
            total=len(relevant),
            offset=offset,
        )

    # --- browse and moderate -------------------------------------------------------

    @_store_errors
    def list_articles(
        self, *, collections: Iterable[str] | None = None, limit: int = 20, offset: int = 0
    ) -> list[ArticleSummary]:
        """Articles of the collections, newest first."""
        limit = max(1, min(limit, 200))
        with self._session() as session:
            rows = store.list_articles(
                session, self._collections(collections), limit, max(0, offset)
            )
            return [_summary(a) for a in rows]

    @_store_errors
    def count_articles(self, *, collections: Iterable[str] | None = None) -> int:
        with self._session() as session:
            return store.count_articles(session, self._collections(collections))

    @_store_errors
    def get_article(
        self, article_id: int, *, collections: Iterable[str] | None = None
    ) -> ArticleDetail:
        with self._session() as session:
            article = self._find(session, article_id, collections)
            first = store.passages_of(session, article.id, limit=1)
            opening = article.text[first[0].start : first[0].end] if first else ""
            return ArticleDetail(_summary(article), opening, len(article.text))

    @_store_errors
    def article_text(self, article_id: int, *, collections: Iterable[str] | None = None) -> str:
        """The stored text, verbatim: every quote is a slice of it."""
        with self._session() as session:
            return self._find(session, article_id, collections).text

    @_store_errors
    def article_passages(
        self, article_id: int, *, collections: Iterable[str] | None = None
    ) -> tuple[str, ...]:
        with self._session() as session:
            article = self._find(session, article_id, collections)
            return tuple(
                article.text[p.start : p.end] for p in store.passages_of(session, article.id)
            )

    @_store_errors
    def remove_article(
        self, article_id: int, *, collections: Iterable[str] | None = None
    ) -> ArticleSummary:
        with self._session() as session, session.begin():
            article = self._find(session, article_id, collections)
            summary = _summary(article)
            store.remove_article(session, article)
        self._expander.clear()
        log.info("removed article %d from %s", summary.id, summary.collection)
        return summary

    @_store_errors
    def stats(self, *, collections: Iterable[str] | None = None) -> Stats:
        names = self._collections(collections)
        with self._session() as session:
            articles, characters = session.execute(
                select(
                    func.count(Article.id), func.coalesce(func.sum(func.length(Article.text)), 0)
                ).where(Article.collection.in_(names))
            ).one()
            languages = dict(
                session.execute(
                    select(Passage.language, func.count(Passage.id))
                    .where(Passage.collection.in_(names), Passage.language.is_not(None))
                    .group_by(Passage.language)
                    .order_by(func.count(Passage.id).desc())
                ).all()
            )
            per_collection = dict(
                session.execute(
                    select(Article.collection, func.count(Article.id))
                    .where(Article.collection.in_(names))
                    .group_by(Article.collection)
                ).all()
            )
            passages = session.execute(
                select(func.count(Passage.id)).where(Passage.collection.in_(names))
            ).scalar_one()
        return Stats(
            articles=articles,
            passages=passages,
            characters=int(characters),
            languages=languages,
            collections=per_collection,
            database=self.database,
        )

    @staticmethod
    def _draft(
        session: Session,
        query: search.Query,
        index: dict[str, list[tuple[int, float]]],
        scored: list[search.Scored],
    ) -> dict[int, Excerpt]:
        loaded = store.load_passages(session, [s.passage_id for s in scored])
        return {
            s.passage_id: answer.excerpt(query, index, s, *loaded[s.passage_id])
            for s in scored
            if s.passage_id in loaded
        }

    def _find(
        self, session: Session, article_id: int, collections: Iterable[str] | None
    ) -> Article:
        article = store.get_article(session, article_id, self._collections(collections))
        if article is None:
            raise NotFound(f"There is no article #{article_id} here.")
        return article


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:g} MB"


def _matched_sentences(excerpt: Excerpt) -> str:
    """The sentences of a quote that hold a matched word: the place a "where"
    question asks for should stand beside what it asks about."""
    quote = excerpt.quote
    kept = [
        quote[start:end]
        for start, end in split_sentences(quote)
        if any(start <= span.start < end for span in excerpt.highlights)
    ]
    return " ".join(kept)


def _relevant(
    query: search.Query, ranked: list[search.Scored], floor: float, same_language: bool
) -> list[search.Scored]:
    """Passages worth quoting: enough of the question covered, and not far behind the best.

    ``floor`` is the share of the question's weight that must match. Across
    languages half of a question's words have no counterpart, so where the
    store is not written in the question's language the floor is lower, and
    a lower share still is enough when the passage text itself holds two of
    the question's words, or a name from it. But a name in the question that
    no stored text holds, where the store is written in the question's
    language, says the question is about something not stored: then more
    than the floor is needed, with no relaxation.
    """
    unknown_name = same_language and any(
        t.term in query.names and not t.expansions for t in query.terms
    )
    if unknown_name:
        floor *= UNKNOWN_NAME_FLOOR
    elif not same_language:
        floor *= CROSS_LANGUAGE_FLOOR

    def sure(s: search.Scored) -> bool:
        if s.coverage >= floor:
            return True
        if unknown_name:
            return False
        strong = len(s.body_matches) >= 2 or any(
            s.body_matches.get(name, 0.0) >= 0.85 for name in query.names
        )
        return strong and s.coverage >= 0.5 * floor

    # A passage is quoted for what it or its heading says; the article title
    # alone matches every passage of the article.
    confident = [
        s for s in ranked if s.score > 0 and (s.body_matches or s.heading_matches) and sure(s)
    ]
    if not any(s.body_matches for s in confident):
        return []
    best = confident[0].score
    return [s for s in confident if s.score >= 0.25 * best]


def _title(document: Document) -> str:
    title = " ".join((document.title or "").split())
    if not title:
        words = " ".join(document.text[document.body_start :].split())
        title = words[:80].rsplit(" ", 1)[0] + "…" if len(words) > 80 else words
    return title[:MAX_TITLE_CHARS]


def _fresh_copy(article: Article) -> Article:
    columns = {c.key: getattr(article, c.key) for c in Article.__table__.columns if c.key != "id"}
    return Article(**columns)


def _summary(article: Article) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        collection=article.collection,
        title=article.title,
        date=article.published,
        author=article.author,
        url=article.url,
        languages=tuple(filter(None, article.languages.split(","))),
        passage_count=article.passage_count,
        added_at=article.added_at.replace(tzinfo=article.added_at.tzinfo or UTC).isoformat(
            timespec="seconds"
        ),
        added_by=article.added_by,
        source_kind=article.source_kind,
        source_ref=article.source_ref,
    )
