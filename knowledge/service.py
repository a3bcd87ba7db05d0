"""The service every face uses: ingest, ask, browse and remove articles.

It takes plain values and returns the frozen dataclasses of
``knowledge.types``. Each call opens its own session, so one ``Archivist`` can
serve many threads (the bot runs calls through ``asyncio.to_thread``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from knowledge import (
    database,
    embedding,
    expansion,
    feedback,
    fulltext,
    ingest,
    limits,
    ranking,
    store,
    text,
    vectorstore,
)
from knowledge.config import KnowledgeConfig
from knowledge.errors import (
    InputError,
    InvalidQuery,
    KnowledgeError,
    NotFound,
    StoreError,
)
from knowledge.models import Article
from knowledge.types import (
    EXAMPLES_COLLECTION,
    GLOBAL_COLLECTION,
    Answer,
    ArticleDetail,
    ArticleSummary,
    Ingested,
    IngestOutcome,
    Stats,
    VoteRecorded,
)

# knowledge.sources (trafilatura, lxml, charset detection, the HTTP client) is
# imported by the ingest methods that need it: a question never does.

if TYPE_CHECKING:
    from pathlib import Path

    from knowledge.backfill import EmbeddingWorker
    from knowledge.types import ArticleChoice, Document, Forgotten, GapReport, HelpfulPair

log = logging.getLogger(__name__)

#: Characters of a database's error kept in the one-line message.
MAX_REASON_CHARS = 300


def _store_errors(method):
    """A database failure inside ``method`` becomes a one-line :class:`StoreError`."""

    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except SQLAlchemyError as exc:
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            raise StoreError(f"The database failed: {reason[:MAX_REASON_CHARS]}") from exc

    return wrapper


class Archivist:
    """Opens (and migrates) the store named by ``config.database_url``.

    Raises:
        StoreError: the database cannot be opened or migrated.
    """

    def __init__(
        self,
        config: KnowledgeConfig | None = None,
        *,
        embedder: embedding.Embedder | None = None,
    ) -> None:
        self.config = config or KnowledgeConfig()
        if embedder is not None:
            self.semantic = embedding.SemanticStatus(True, embedder.name)
        else:
            self.semantic = embedding.semantic_status(self.config.semantic)
            if self.semantic.enabled:
                embedder = embedding.shared_embedder()
        self._engine = database.open_engine(self.config.database_url)
        database.migrate(self._engine)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._expander = expansion.Expander()
        self._embedder = embedder
        self._vectors = None
        if embedder is not None:
            # numpy and the vector code load only where semantic search runs.
            from knowledge.semantic import VectorIndex

            self._vectors = VectorIndex(embedder)
        self._searcher = ranking.Searcher(
            fulltext.for_dialect(self._engine.dialect.name),
            self._expander,
            embedder,
            self._vectors,
            self.config.retrieval,
            self.config.abstain,
        )
        if embedder is not None:
            self._check_model(embedder.name)
        else:
            log.info("semantic search is off: %s", self.semantic.reason)
        #: The store generation the expander's cache was filled under.
        self._generation: int | None = None

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

    def _collections(self, collections: Iterable[str] | None) -> list[str]:
        if collections:
            return [limits.collection_name(c) for c in dict.fromkeys(collections)]
        # Callers that name no collection (the command line) see the example
        # articles with the shared one; the bot names its collections, so a
        # Discord server never sees them.
        if self.config.default_collection == GLOBAL_COLLECTION:
            return [GLOBAL_COLLECTION, EXAMPLES_COLLECTION]
        return [self.config.default_collection]

    def _collection(self, collection: str | None) -> str:
        return limits.collection_name(collection) if collection else self.config.default_collection

    def _session(self) -> Session:
        return self._sessions()

    def _refresh_caches(self, session: Session) -> int:
        """Forget cached vocabulary when any process added or removed an article;
        returns the store's generation, for the vector index to compare too."""
        current = store.generation(session)
        if current != self._generation:
            self._expander.clear()
            self._generation = current
        return current

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
        collection = self._collection(collection)
        prepared = ingest.prepare(
            document,
            collection=collection,
            added_by=added_by,
            max_bytes=self.config.max_document_bytes,
        )
        article = prepared.article
        for attempt in range(2):
            try:
                with self._session() as session, session.begin():
                    existing = store.find_duplicate(
                        session, collection, prepared.fingerprint, prepared.urls
                    )
                    if existing is not None:
                        return Ingested(_summary(existing), duplicate=True)
                    store.add_article(session, article, prepared.passages)
                    summary = _summary(article)
                break
            except IntegrityError as exc:
                # Another writer stored the same article between our check and
                # our insert: look again, and report it as the duplicate. Twice
                # is not a race: the database refuses the article itself.
                if attempt:
                    raise _refused(exc) from exc
                article = ingest.fresh_copy(article)
            except DBAPIError as exc:
                raise _refused(exc) from exc
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
        document = ingest.from_text(
            text_,
            title=title,
            url=url,
            date=date,
            author=author,
            source_ref=source_ref,
            max_bytes=self.config.max_document_bytes,
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
        ingest.check_url(url, date)  # a bad address or date fails before the fetch
        collection = self._collection(collection)
        document = ingest.from_url(url, title=title, date=date, author=author, config=self.config)
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
        name = limits.clean(name) or "file"
        try:
            collection = self._collection(collection)
            parsed = ingest.from_bytes(
                name,
                data,
                content_type=content_type,
                source_ref=source_ref,
                title=title,
                date=date,
                author=author,
                config=self.config,
            )
        except KnowledgeError as exc:
            return [IngestOutcome(name, error=str(exc))]
        return [self._outcome(label, item, collection, added_by) for label, item in parsed]

    def ingest_path(
        self, path: str | Path, *, collection: str | None = None, added_by: str | None = None
    ) -> Iterator[IngestOutcome]:
        """Store a file, or every supported file under a folder."""
        from knowledge import sources

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
        outcomes = []
        for name, data in ingest.example_files():
            outcomes.extend(
                self.ingest_bytes(name, data, collection=EXAMPLES_COLLECTION, added_by="examples")
            )
        with self._session() as session, session.begin():
            store.set_meta(session, "examples_loaded", datetime.now(UTC).isoformat())
        return outcomes

    @_store_errors
    def remove_examples(self) -> int:
        """Delete the example articles; returns how many there were."""
        with self._session() as session, session.begin():
            examples = store.list_articles(session, [EXAMPLES_COLLECTION], None, 0)
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
        searched = question[: limits.MAX_QUESTION_CHARS]
        if not text.terms(searched):
            raise InvalidQuery("Your question has no words to search for.")
        k = max(1, min(k or self.config.top_k, limits.MAX_EXCERPTS))
        with self._session() as session:
            generation = self._refresh_caches(session)
            ranked = ranking.answer_question(
                session,
                self._searcher,
                searched,
                self._collections(collections),
                k=k,
                offset=max(0, offset),
                min_confidence=self.config.min_confidence,
                generation=generation,
            )
        return Answer(
            question=question,
            excerpts=ranked.excerpts,
            terms=ranked.terms,
            total=ranked.total,
            offset=max(0, offset),
        )

    # --- semantic search ---------------------------------------------------------

    def _check_model(self, name: str) -> None:
        """Vectors made by another model (or build) are not comparable: forget
        them, and let the background embedding make them again."""
        with self._session() as session, session.begin():
            recorded = store.get_meta(session, "embedding_model")
            if recorded == name:
                return
            if recorded is not None:
                log.warning("embedding model changed from %s to %s: re-embedding", recorded, name)
                vectorstore.drop_vectors(session)
            store.set_meta(session, "embedding_model", name)

    def generation(self) -> int:
        """The store's generation: changes with every article or vector added or removed."""
        with self._session() as session:
            return store.generation(session)

    def embedding_worker(self, *, idle: float = 2.0) -> EmbeddingWorker | None:
        """A background worker that embeds passages as they are stored (not started);
        None when semantic search is off."""
        if self._embedder is None:
            return None
        from knowledge.backfill import EmbeddingWorker

        return EmbeddingWorker(self.embed_pending, self.generation, idle=idle)

    def pending_embeddings(self) -> int:
        """Passages that have no vectors yet (0 when semantic search is off)."""
        if self._embedder is None:
            return 0
        with self._session() as session:
            return store.count_passages(session) - vectorstore.count_vectors(session)

    def embed_pending(self, limit: int = embedding.BATCH) -> int:
        """Embed up to ``limit`` passages that have no vectors yet; returns how many
        (0: none is waiting, or semantic search is off). Safe to stop between calls."""
        if self._embedder is None:
            return 0
        from knowledge.backfill import embed_some

        try:
            return embed_some(self._sessions, self._embedder, limit)
        except DBAPIError as exc:
            raise StoreError(f"The database refused the vectors: {exc.orig}") from exc

    # --- browse and moderate -------------------------------------------------------

    @_store_errors
    def list_articles(
        self, *, collections: Iterable[str] | None = None, limit: int = 20, offset: int = 0
    ) -> list[ArticleSummary]:
        """Articles of the collections, newest first."""
        limit = max(1, min(limit, limits.MAX_LISTED))
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
            counts = store.counts(session, names)
            embedded = vectorstore.count_vectors(session, names)
        return Stats(
            articles=counts.articles,
            passages=counts.passages,
            characters=counts.characters,
            languages=counts.languages,
            collections=counts.collections,
            database=self.database,
            embedded=embedded,
            semantic=self.semantic.enabled,
            semantic_reason=self.semantic.reason,
        )

    @_store_errors
    def suggest_articles(
        self, typed: str, *, collections: Iterable[str] | None = None
    ) -> list[ArticleChoice]:
        """Up to 25 articles whose title is like ``typed`` (the newest when it is empty)."""
        with self._session() as session:
            return feedback.suggest_articles(session, self._collections(collections), typed or "")

    # --- feedback ------------------------------------------------------------------

    @property
    def logs_questions(self) -> bool:
        """Whether unanswered questions and votes are kept (``log_questions``)."""
        return self.config.log_questions

    @_store_errors
    def record_unanswered(self, question: str, *, collection: str, user_id: str) -> bool:
        """Remember a question that found nothing relevant, for :meth:`gaps`.

        Returns False when question logging is off (nothing is stored).
        """
        question = limits.clean(question) or ""
        if not self.config.log_questions or not question.strip():
            return False
        with self._session() as session, session.begin():
            feedback.record_question(
                session,
                collection=limits.collection_name(collection),
                user_id=limits.ref(user_id, "user id"),
                question=question,
            )
        return True

    @_store_errors
    def record_vote(
        self,
        *,
        answer_ref: str,
        collection: str,
        user_id: str,
        helpful: bool,
        question: str,
        excerpts: Iterable[tuple[int, int]] = (),
    ) -> VoteRecorded:
        """Store one person's Helpful / Not helpful on one answer, replacing their
        earlier vote on it.

        ``excerpts`` are the (article id, passage id) pairs the answer showed.

        Raises:
            InputError: the answer was voted on in another collection (server) before.
        """
        if not self.config.log_questions:
            return VoteRecorded(helpful=helpful, stored=False)
        collection = limits.collection_name(collection)
        answer_ref = limits.ref(answer_ref, "answer")
        with self._session() as session, session.begin():
            earlier = store.answer_collection(session, answer_ref)
            if earlier is not None and earlier != collection:
                raise InputError("That answer was given in another server.")
            return feedback.record_vote(
                session,
                answer_ref=answer_ref,
                collection=collection,
                user_id=limits.ref(user_id, "user id"),
                helpful=bool(helpful),
                question=limits.clean(question) or "",
                excerpts=list(excerpts),
            )

    @_store_errors
    def gaps(
        self,
        *,
        collections: Iterable[str] | None = None,
        days: int | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> GapReport:
        """The questions nobody could answer, and those whose answer was voted Not
        helpful, near-duplicates grouped, most frequent first; ``days`` looks back
        that far (None: as far as is stored)."""
        with self._session() as session:
            return feedback.gap_report(
                session,
                self._collections(collections),
                days=limits.days(days),
                limit=limit,
                offset=offset,
            )

    @_store_errors
    def helpful_pairs(
        self, *, collections: Iterable[str] | None = None, days: int | None = None
    ) -> list[HelpfulPair]:
        """(question, passage) pairs of answers voted Helpful, for benchmarks."""
        with self._session() as session:
            return feedback.helpful_pairs(
                session, self._collections(collections), days=limits.days(days)
            )

    @_store_errors
    def forget_user(self, user_id: str) -> Forgotten:
        """Delete every stored question and vote of one person, in every collection."""
        with self._session() as session, session.begin():
            forgotten = feedback.forget(session, limits.ref(user_id, "user id"))
        log.info(
            "forgot %d questions and %d votes of one user", forgotten.questions, forgotten.votes
        )
        return forgotten

    def _find(
        self, session: Session, article_id: int, collections: Iterable[str] | None
    ) -> Article:
        article = store.get_article(session, article_id, self._collections(collections))
        if article is None:
            raise NotFound(f"There is no article #{article_id} here.")
        return article


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


def _refused(exc: DBAPIError) -> StoreError:
    reason = " ".join(str(exc.orig).split())
    return StoreError(f"The database refused the article: {reason}")
