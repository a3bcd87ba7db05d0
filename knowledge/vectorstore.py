"""The vectors' rows: passages waiting for vectors, storing and reading them.

Data functions over a session the caller opens, as in ``knowledge.store``;
the arithmetic on vectors is in ``knowledge.semantic``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from knowledge.models import Article, Passage, PassageVector
from knowledge.store import bump_generation, upsert


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
    statement = upsert(session, PassageVector).on_conflict_do_nothing(
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


def count_pending(session: Session) -> int:
    """Passages that have no vectors yet."""
    statement = select(func.count(Passage.id)).outerjoin(
        PassageVector, PassageVector.passage_id == Passage.id
    )
    return session.execute(statement.where(PassageVector.passage_id.is_(None))).scalar_one()


def count_orphans(session: Session) -> int:
    """Vectors whose passage no longer exists."""
    statement = select(func.count(PassageVector.passage_id)).outerjoin(
        Passage, Passage.id == PassageVector.passage_id
    )
    return session.execute(statement.where(Passage.id.is_(None))).scalar_one()


def count_misfiled(session: Session) -> int:
    """Vectors filed under another collection than their passage."""
    statement = select(func.count(PassageVector.passage_id)).join(
        Passage, Passage.id == PassageVector.passage_id
    )
    return session.execute(
        statement.where(Passage.collection != PassageVector.collection)
    ).scalar_one()


def count_sizes(session: Session) -> int:
    """How many different vector sizes are stored: more than one, more than one model."""
    return session.execute(
        select(func.count(func.distinct(func.length(PassageVector.summary))))
    ).scalar_one()
