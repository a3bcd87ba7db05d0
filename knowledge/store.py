"""Opening the database, migrating it, and the data functions over it.

Sessions are opened by the service and passed in; nothing here keeps one.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Engine,
    Text,
    bindparam,
    cast,
    create_engine,
    delete,
    event,
    func,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from knowledge import fulltext
from knowledge.errors import StoreError
from knowledge.models import (
    Article,
    AskedQuestion,
    Base,
    Meta,
    Passage,
    PassageVector,
    SchemaVersion,
    Term,
    Vote,
)
from knowledge.types import EXAMPLES_COLLECTION, GLOBAL_COLLECTION

log = logging.getLogger(__name__)


def open_engine(database_url: str) -> Engine:
    """Create an engine for ``database_url``: a SQLite file or PostgreSQL.

    Raises:
        StoreError: the URL is malformed, names another database, or the
            SQLite file's folder does not exist.
    """
    try:
        url = make_url(database_url)
    except ArgumentError as exc:
        raise StoreError(f"DATABASE_URL is not a database URL: {database_url!r}") from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise StoreError("Archivist needs a SQLite file, not an in-memory database.")
        folder = Path(url.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise StoreError(f"The folder for the database does not exist: {folder}")
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        if url.drivername == "postgresql":
            url = url.set(drivername="postgresql+psycopg")
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as exc:
            raise StoreError(
                "PostgreSQL needs the psycopg driver: pip install 'archivist[postgres]'"
            ) from exc
    raise StoreError(f"Unsupported database {backend!r}: use sqlite:/// or postgresql://")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# --- migrations -----------------------------------------------------------------


def _create_schema(connection: Connection) -> None:
    tables = [SchemaVersion, Article, Passage, Term]
    Base.metadata.create_all(connection, tables=[t.__table__ for t in tables])
    fulltext.for_dialect(connection.dialect.name).install(connection)


def _add_meta(connection: Connection) -> None:
    Meta.__table__.create(connection)


def _add_generation(connection: Connection) -> None:
    connection.execute(Meta.__table__.insert().values(key=GENERATION_KEY, value="0"))


def _add_vectors(connection: Connection) -> None:
    PassageVector.__table__.create(connection)


def _move_examples_out_of_global(connection: Connection) -> None:
    """Example articles loaded into the shared collection (which every Discord
    server reads) move to their own collection."""
    legacy = (Article.collection == GLOBAL_COLLECTION) & (Article.added_by == "examples")
    ids = select(Article.id).where(legacy).scalar_subquery()
    connection.execute(
        Passage.__table__.update()
        .where(Passage.article_id.in_(ids))
        .values(collection=EXAMPLES_COLLECTION)
    )
    connection.execute(
        PassageVector.__table__.update()
        .where(PassageVector.passage_id.in_(select(Passage.id).where(Passage.article_id.in_(ids))))
        .values(collection=EXAMPLES_COLLECTION)
    )
    connection.execute(
        Article.__table__.update().where(legacy).values(collection=EXAMPLES_COLLECTION)
    )


def _add_feedback(connection: Connection) -> None:
    """Unanswered questions and votes on answers (what members found missing or helpful)."""
    tables = [AskedQuestion.__table__, Vote.__table__]
    Base.metadata.create_all(connection, tables=tables, checkfirst=True)


#: Ordered schema changes. Append, never edit: an existing database replays
#: only the ones it has not seen, inside one transaction.
MIGRATIONS: list[tuple[int, Callable[[Connection], None]]] = [
    (1, _create_schema),
    (2, _add_meta),
    (3, _add_generation),
    (4, _add_vectors),
    (5, _move_examples_out_of_global),
    (6, _add_feedback),
]


def migrate(engine: Engine) -> int:
    """Bring the schema up to date; returns the version now in force.

    Two processes opening a new store at once both see it empty; on SQLite the
    loser's CREATE fails once the winner commits, so it looks again (a few
    times at most) and finds the schema in place.
    """
    for attempt in range(3):
        try:
            return _migrate_once(engine)
        except (OperationalError, IntegrityError) as exc:
            if (
                attempt == 2
                or "already exists" not in str(exc.orig)
                and not isinstance(exc, IntegrityError)
            ):
                raise StoreError(f"Cannot open the database: {exc.orig}") from exc
            log.info("another process migrated the database first; checking again")
        except DatabaseError as exc:
            # A damaged file, or one that is not a database at all.
            where = engine.url.render_as_string(hide_password=True)
            if engine.dialect.name == "sqlite":
                where = engine.url.database or where
            reason = " ".join(str(exc.orig).split())
            raise StoreError(f"Cannot open the database {where}: {reason}") from exc
    raise AssertionError("unreachable")


def _migrate_once(engine: Engine) -> int:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting at once must not both migrate.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7431902)")
        elif connection.dialect.name == "sqlite":
            # The same on SQLite: take the write lock first, so that the DDL is
            # one transaction with the version rows (pysqlite would otherwise
            # run the first CREATEs outside it, and others see half a schema).
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        current = 0
        # Look where CREATE TABLE would put it: on PostgreSQL another schema
        # on the search path may hold a store of its own.
        schema = connection.dialect.default_schema_name
        if inspect(connection).has_table("schema_version", schema=schema):
            current = connection.execute(
                select(func.coalesce(func.max(SchemaVersion.version), 0))
            ).scalar_one()
        for version, step in MIGRATIONS:
            if version > current:
                log.info("migrating database schema to version %d", version)
                step(connection)
                connection.execute(
                    SchemaVersion.__table__.insert().values(
                        version=version, applied_at=datetime.now(UTC)
                    )
                )
                current = version
        return current


# --- articles ---------------------------------------------------------------------


@dataclass(frozen=True)
class NewPassage:
    start: int
    end: int
    heading: str | None
    language: str | None
    links: str
    body_terms: str
    context_terms: str
    features: str = ""


def find_duplicate(
    session: Session, collection: str, fingerprint: str, urls: Iterable[str]
) -> Article | None:
    """An article of the collection with the same content or the same URL."""
    urls = [u for u in urls if u]
    condition = Article.fingerprint == fingerprint
    if urls:
        condition = condition | Article.canonical_url.in_(urls) | Article.url.in_(urls)
    return session.scalars(
        select(Article).where(Article.collection == collection, condition).limit(1)
    ).first()


def add_article(session: Session, article: Article, passages: Sequence[NewPassage]) -> Article:
    """Insert an article with its passages and count their terms."""
    article.passage_count = len(passages)
    session.add(article)
    session.flush()
    session.execute(
        Passage.__table__.insert(),
        [
            {
                "article_id": article.id,
                "collection": article.collection,
                "ordinal": i,
                "start": p.start,
                "end": p.end,
                "heading": p.heading,
                "language": p.language,
                "links": p.links,
                "body_terms": p.body_terms,
                "context_terms": p.context_terms,
                "features": p.features,
            }
            for i, p in enumerate(passages)
        ],
    )
    _count_terms(session, [(p.body_terms, p.context_terms) for p in passages], +1)
    bump_generation(session)
    return article


def remove_article(session: Session, article: Article) -> None:
    passages = session.execute(
        select(Passage.body_terms, Passage.context_terms).where(Passage.article_id == article.id)
    ).all()
    _count_terms(session, [(body, context) for body, context in passages], -1)
    session.execute(delete(Passage).where(Passage.article_id == article.id))
    session.delete(article)
    bump_generation(session)


def _count_terms(session: Session, passages: Sequence[tuple[str, str]], sign: int) -> None:
    """Add (sign +1) or take away (-1) the passages' terms from the vocabulary counts.

    ``passages`` holds each passage's (body terms, context terms).
    """
    body: Counter[str] = Counter()
    context: Counter[str] = Counter()
    for body_terms, context_terms in passages:
        body.update(set(body_terms.split()))
        context.update(set(context_terms.split()))
    # Sorted, so that concurrent ingests lock rows in the same order.
    rows = [
        {"term": t, "df": sign * body[t], "cf": sign * context[t]}
        for t in sorted(body.keys() | context.keys())
    ]
    if not rows:
        return
    if sign > 0:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(Term)
        statement = statement.on_conflict_do_update(
            index_elements=[Term.term],
            set_={"df": Term.df + statement.excluded.df, "cf": Term.cf + statement.excluded.cf},
        )
        session.execute(statement, rows)
    else:
        table = Term.__table__
        session.execute(
            table.update()
            .where(table.c.term == bindparam("b_term"))
            .values(df=table.c.df + bindparam("b_df"), cf=table.c.cf + bindparam("b_cf")),
            [{"b_term": r["term"], "b_df": r["df"], "b_cf": r["cf"]} for r in rows],
        )
        session.execute(delete(Term).where(Term.df <= 0, Term.cf <= 0))


def get_article(session: Session, article_id: int, collections: Sequence[str]) -> Article | None:
    return session.scalars(
        select(Article).where(Article.id == article_id, Article.collection.in_(collections))
    ).first()


def list_articles(
    session: Session, collections: Sequence[str], limit: int | None, offset: int
) -> list[Article]:
    """The collections' articles, newest first (all of them when ``limit`` is None)."""
    return list(
        session.scalars(
            select(Article)
            .where(Article.collection.in_(collections))
            .order_by(Article.added_at.desc(), Article.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count_articles(session: Session, collections: Sequence[str]) -> int:
    return session.execute(
        select(func.count(Article.id)).where(Article.collection.in_(collections))
    ).scalar_one()


def count_passages(session: Session) -> int:
    return session.execute(select(func.count(Passage.id))).scalar_one()


@dataclass(frozen=True)
class Counts:
    """What the collections hold."""

    articles: int
    passages: int
    characters: int
    #: passages per language, most first
    languages: dict[str, int]
    #: articles per collection
    collections: dict[str, int]


def counts(session: Session, collections: Sequence[str]) -> Counts:
    articles, characters = session.execute(
        select(func.count(Article.id), func.coalesce(func.sum(func.length(Article.text)), 0)).where(
            Article.collection.in_(collections)
        )
    ).one()
    languages = session.execute(
        select(Passage.language, func.count(Passage.id))
        .where(Passage.collection.in_(collections), Passage.language.is_not(None))
        .group_by(Passage.language)
        .order_by(func.count(Passage.id).desc())
    ).all()
    per_collection = session.execute(
        select(Article.collection, func.count(Article.id))
        .where(Article.collection.in_(collections))
        .group_by(Article.collection)
    ).all()
    passages = session.execute(
        select(func.count(Passage.id)).where(Passage.collection.in_(collections))
    ).scalar_one()
    return Counts(articles, passages, int(characters), dict(languages), dict(per_collection))


def passages_of(session: Session, article_id: int, limit: int | None = None) -> list[Passage]:
    """An article's passages in order, the first ``limit`` of them if given."""
    return list(
        session.scalars(
            select(Passage)
            .where(Passage.article_id == article_id)
            .order_by(Passage.ordinal)
            .limit(limit)
        )
    )


# --- search support ---------------------------------------------------------------


def vocabulary(session: Session, prefix: str, limit: int) -> list[tuple[str, int]]:
    """Stored terms starting with ``prefix`` and their document frequencies."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    rows = session.execute(
        select(Term.term, Term.df).where(Term.term >= prefix, Term.term < upper).limit(limit)
    )
    return [(t, df) for t, df in rows]


def document_frequencies(session: Session, words: Sequence[str]) -> dict[str, int]:
    if not words:
        return {}
    rows = session.execute(select(Term.term, Term.df).where(Term.term.in_(list(words))))
    return {t: df for t, df in rows}


def language_counts(session: Session) -> dict[str | None, int]:
    """Passages per language (None: undetermined), across the store."""
    rows = session.execute(
        select(Passage.language, func.count(Passage.id)).group_by(Passage.language)
    )
    return {language: n for language, n in rows}


def load_passages(session: Session, ids: Sequence[int]) -> dict[int, tuple[Passage, Article]]:
    """Passages with their articles (text included), by passage id."""
    if not ids:
        return {}
    rows = session.execute(
        select(Passage, Article)
        .join(Article, Passage.article_id == Article.id)
        .where(Passage.id.in_(list(ids)))
    ).all()
    return {p.id: (p, a) for p, a in rows}


# --- facts about the store ------------------------------------------------------------

#: The ``meta`` row counting changes to the stored articles.
GENERATION_KEY = "generation"


def generation(session: Session) -> int:
    """How many times articles were added or removed, in any process.

    One primary-key lookup: cheap enough to read before every question. A
    reader that caches what it derived from the store (vocabulary expansions,
    passage counts, embeddings) compares this with the value it cached under
    and starts afresh when it changed. It only ever grows.
    """
    value = session.execute(select(Meta.value).where(Meta.key == GENERATION_KEY)).scalar()
    return int(value) if value is not None else 0


def bump_generation(session: Session) -> None:
    """Count a change, in the transaction making it.

    One atomic UPDATE: concurrent writers each add one (PostgreSQL locks the
    row until commit, SQLite has one writer at a time). It runs last in a
    write, after the term rows are locked in sorted order, so it adds no
    lock-order cycle. ``value`` is text, hence the casts.
    """
    session.execute(
        update(Meta)
        .where(Meta.key == GENERATION_KEY)
        .values(value=cast(cast(Meta.value, BigInteger) + 1, Text))
    )


def get_meta(session: Session, key: str) -> str | None:
    row = session.get(Meta, key)
    return row.value if row else None


def set_meta(session: Session, key: str, value: str) -> None:
    """Set a fact; two processes setting it at once both succeed (the last wins)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(Meta).values(key=key, value=value)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Meta.key], set_={"value": statement.excluded.value}
        )
    )


# --- vectors ------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingPassage:
    """A stored passage without vectors yet: its sentences' offsets and text."""

    passage_id: int
    collection: str
    sentences: list[tuple[int, int]]
    texts: list[str]


def pending_passages(
    session: Session,
    limit: int,
    split: Callable[[str, int, int], list[tuple[int, int]]],
    *,
    claim: bool = False,
) -> list[PendingPassage]:
    """Up to ``limit`` passages that have no vectors, oldest first, split into
    sentences by ``split(text, start, end)``.

    With ``claim`` (PostgreSQL only) the passages are locked until the session's
    transaction ends and passages another transaction has locked are skipped
    (``FOR UPDATE SKIP LOCKED``): workers in several processes take different ones.
    """
    statement = (
        select(Passage.id, Passage.article_id, Passage.collection, Passage.start, Passage.end)
        .outerjoin(PassageVector, PassageVector.passage_id == Passage.id)
        .where(PassageVector.passage_id.is_(None))
        .order_by(Passage.id)
        .limit(limit)
    )
    if claim:
        statement = statement.with_for_update(of=Passage, skip_locked=True)
    rows = session.execute(statement).all()
    if not rows:
        return []
    texts = dict(
        session.execute(
            select(Article.id, Article.text).where(Article.id.in_({r.article_id for r in rows}))
        ).all()
    )
    pending = []
    for row in rows:
        body = texts[row.article_id]
        bounds = split(body, row.start, row.end) or [(row.start, row.end)]
        pending.append(
            PendingPassage(row.id, row.collection, bounds, [body[a:b] for a, b in bounds])
        )
    return pending


def add_vectors(session: Session, rows: Sequence[dict]) -> int:
    """Store passages' vectors (keys of ``PassageVector``); a passage that already
    has them, or that was removed meanwhile, is skipped. Returns rows offered."""
    if not rows:
        return 0
    ids = [r["passage_id"] for r in rows]
    alive = set(session.scalars(select(Passage.id).where(Passage.id.in_(ids))))
    rows = [r for r in rows if r["passage_id"] in alive]
    if not rows:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(PassageVector).on_conflict_do_nothing(
        index_elements=[PassageVector.passage_id]
    )
    session.execute(statement, rows)
    bump_generation(session)
    return len(rows)


def drop_vectors(session: Session) -> None:
    """Forget every vector: the model changed, and they will be made again."""
    session.execute(delete(PassageVector))
    bump_generation(session)


def vector_index_rows(
    session: Session, after: int = 0, chunk: int = 4096
) -> Iterator[list[tuple[int, str, str | None, bytes, float]]]:
    """(passage id, collection, language, int8 summary, scale) of the passages
    with vectors and an id above ``after``, in id order, ``chunk`` rows at a time
    (100,000 rows at once would cost a list of Python tuples first)."""
    result = session.execute(
        select(
            PassageVector.passage_id,
            PassageVector.collection,
            Passage.language,
            PassageVector.summary,
            PassageVector.summary_scale,
        )
        .join(Passage, Passage.id == PassageVector.passage_id)
        .where(PassageVector.passage_id > after)
        .order_by(PassageVector.passage_id)
        .execution_options(yield_per=chunk)
    )
    for partition in result.partitions():
        yield [tuple(r) for r in partition]


def vector_ids(session: Session) -> list[int]:
    return list(
        session.scalars(select(PassageVector.passage_id).order_by(PassageVector.passage_id))
    )


def sentence_vectors(session: Session, ids: Sequence[int]) -> dict[int, tuple[bytes, bytes, bytes]]:
    """Passage id -> (int8 sentence vectors, float32 scales, int32 bounds)."""
    if not ids:
        return {}
    rows = session.execute(
        select(
            PassageVector.passage_id,
            PassageVector.sentences,
            PassageVector.scales,
            PassageVector.bounds,
        ).where(PassageVector.passage_id.in_(list(ids)))
    )
    return {pid: (vectors, scales, bounds) for pid, vectors, scales, bounds in rows}


def count_vectors(session: Session, collections: Sequence[str] | None = None) -> int:
    statement = select(func.count(PassageVector.passage_id))
    if collections is not None:
        statement = statement.where(PassageVector.collection.in_(collections))
    return session.execute(statement).scalar_one()


# --- derived counts -------------------------------------------------------------------


def recount_terms(session: Session) -> dict[str, tuple[int, int]]:
    """Every term's (df, cf) counted afresh from the passages: what ``terms`` should hold."""
    body: Counter[str] = Counter()
    context: Counter[str] = Counter()
    rows = session.execute(
        select(Passage.body_terms, Passage.context_terms).execution_options(yield_per=2000)
    )
    for body_terms, context_terms in rows:
        body.update(set(body_terms.split()))
        context.update(set(context_terms.split()))
    return {t: (body[t], context[t]) for t in body.keys() | context.keys()}


def stored_terms(session: Session) -> dict[str, tuple[int, int]]:
    return {t: (df, cf) for t, df, cf in session.execute(select(Term.term, Term.df, Term.cf))}


def rebuild_terms(session: Session, batch: int = 5000) -> int:
    """Replace the vocabulary counts with a fresh count of the passages; returns terms."""
    counts = recount_terms(session)
    session.execute(delete(Term))
    rows = [{"term": t, "df": df, "cf": cf} for t, (df, cf) in sorted(counts.items())]
    for at in range(0, len(rows), batch):
        session.execute(Term.__table__.insert(), rows[at : at + batch])
    bump_generation(session)
    return len(rows)


# --- questions and votes ----------------------------------------------------------------


def add_question(
    session: Session, collection: str, user_id: str, question: str, at: datetime
) -> None:
    session.add(
        AskedQuestion(collection=collection, user_id=user_id, question=question, asked_at=at)
    )


def put_vote(session: Session, values: dict) -> bool:
    """Store a vote (keys of ``Vote``), replacing the same person's vote on the same
    answer; returns True when it replaced one."""
    replaced = session.execute(
        delete(Vote).where(
            Vote.answer_ref == values["answer_ref"], Vote.user_id == values["user_id"]
        )
    ).rowcount
    session.add(Vote(**values))
    session.flush()
    return bool(replaced)


def answer_collection(session: Session, answer_ref: str) -> str | None:
    """The collection earlier votes on an answer were cast in, if any."""
    return session.scalars(
        select(Vote.collection).where(Vote.answer_ref == answer_ref).limit(1)
    ).first()


def recent_questions(
    session: Session, collections: Sequence[str], since: datetime | None, limit: int
) -> list[tuple[str, datetime]]:
    """(question, when) of unanswered questions, newest first."""
    statement = select(AskedQuestion.question, AskedQuestion.asked_at).where(
        AskedQuestion.collection.in_(collections)
    )
    if since is not None:
        statement = statement.where(AskedQuestion.asked_at >= since)
    statement = statement.order_by(AskedQuestion.asked_at.desc(), AskedQuestion.id.desc())
    return [(q, at) for q, at in session.execute(statement.limit(limit))]


def recent_votes(
    session: Session,
    collections: Sequence[str],
    since: datetime | None,
    limit: int,
    *,
    helpful: bool,
) -> list[Vote]:
    """Votes of one kind, newest first."""
    statement = select(Vote).where(Vote.collection.in_(collections), Vote.helpful == helpful)
    if since is not None:
        statement = statement.where(Vote.voted_at >= since)
    statement = statement.order_by(Vote.voted_at.desc(), Vote.id.desc())
    return list(session.scalars(statement.limit(limit)))


def forget_user(session: Session, user_id: str) -> tuple[int, int]:
    """Delete every question and vote of one person; returns (questions, votes) deleted."""
    questions = session.execute(
        delete(AskedQuestion).where(AskedQuestion.user_id == user_id)
    ).rowcount
    votes = session.execute(delete(Vote).where(Vote.user_id == user_id)).rowcount
    return questions, votes


def article_titles(
    session: Session, collections: Sequence[str], limit: int
) -> list[tuple[int, str, str | None]]:
    """(id, title, date) of the newest articles, without their text."""
    rows = session.execute(
        select(Article.id, Article.title, Article.published)
        .where(Article.collection.in_(collections))
        .order_by(Article.added_at.desc(), Article.id.desc())
        .limit(limit)
    )
    return [(i, t, d) for i, t, d in rows]
