"""The data functions over the store: articles, passages, terms, facts, questions and votes.

Sessions are opened by the service and passed in; nothing here keeps one. The
engine and the schema's migrations are in ``knowledge.database``, the vectors'
rows in ``knowledge.vectorstore``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Text,
    bindparam,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from knowledge.models import (
    Article,
    AskedQuestion,
    Meta,
    Passage,
    Term,
    Vote,
)


def upsert(session: Session, model: type):
    """An INSERT into ``model``'s table that can say what to do on conflict, in
    the session's dialect (both backends spell ``ON CONFLICT`` alike)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model)


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
        statement = upsert(session, Term)
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
    statement = upsert(session, Meta).values(key=key, value=value)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Meta.key], set_={"value": statement.excluded.value}
        )
    )


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
