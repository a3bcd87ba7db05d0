"""The full-text index, one small seam per database.

Everything above this module is backend-blind: it hands over plain words
(already normalised by ``knowledge.text``, so only letters and digits) and
gets back candidate passage ids, best first. Below it:

* SQLite: an FTS5 table over ``passages.body_terms`` / ``context_terms``,
  external content, kept in sync by triggers; ranked with ``bm25()``.
* PostgreSQL: a stored, generated ``tsvector`` column with a GIN index,
  ranked with ``ts_rank``.

User text never reaches ``MATCH`` or ``to_tsquery`` raw: every word is
quoted, and the words themselves can only hold letters, digits and ``.``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import bindparam, text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

_SAFE_WORD = re.compile(r"^[^\W_]+(?:\.[^\W_]+)?$")


def _safe(words: Sequence[str]) -> list[str]:
    # Belt and braces: knowledge.text only produces such words, but this is
    # the last line before query syntax.
    return [w for w in dict.fromkeys(words) if _SAFE_WORD.match(w)]


@dataclass(frozen=True)
class CandidateRow:
    """A candidate passage with what ranking reads: its indexed terms."""

    id: int
    article_id: int
    body_terms: str
    context_terms: str
    features: str
    heading: str | None


class FullText(Protocol):
    #: Postings one question may look up: what a question's full-text work
    #: may cost, so latency stays flat as the store grows.
    posting_budget: int

    def install(self, connection: Connection) -> None:
        """Create the index structures (inside a migration)."""

    def candidates(
        self, session: Session, words: Sequence[str], collections: Sequence[str], limit: int
    ) -> list[CandidateRow]:
        """Passages in ``collections`` containing any of ``words``, best first, with
        the indexed terms ranking needs."""


# The ranked matches are cut to a short list first and only then joined to
# their passages: a join per match costs more than the ranking itself.
_SQLITE_CANDIDATES = """
SELECT p.id, p.article_id, p.body_terms, p.context_terms, p.features, p.heading
FROM (
    SELECT rowid AS id, bm25(passage_fts, 1.0, 0.4) AS rank
    FROM passage_fts WHERE passage_fts MATCH :match
    ORDER BY rank LIMIT :wide
) AS top
JOIN passages AS p ON p.id = top.id
WHERE p.collection IN :collections
ORDER BY top.rank
LIMIT :limit
"""

# For collections too small to show up in the short list.
_SQLITE_CANDIDATES_SCOPED = """
SELECT p.id, p.article_id, p.body_terms, p.context_terms, p.features, p.heading
FROM passage_fts JOIN passages AS p ON p.id = passage_fts.rowid
WHERE passage_fts MATCH :match AND p.collection IN :collections
ORDER BY bm25(passage_fts, 1.0, 0.4)
LIMIT :limit
"""


class SQLiteFTS5:
    posting_budget = 5_000

    def install(self, connection: Connection) -> None:
        connection.exec_driver_sql(
            "CREATE VIRTUAL TABLE passage_fts USING fts5("
            "body_terms, context_terms, content='passages', content_rowid='id', "
            "tokenize=\"unicode61 remove_diacritics 0 tokenchars '.'\")"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN "
            "INSERT INTO passage_fts(rowid, body_terms, context_terms) "
            "VALUES (new.id, new.body_terms, new.context_terms); END"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN "
            "INSERT INTO passage_fts(passage_fts, rowid, body_terms, context_terms) "
            "VALUES ('delete', old.id, old.body_terms, old.context_terms); END"
        )
        connection.exec_driver_sql(
            "CREATE TRIGGER passages_fts_update AFTER UPDATE ON passages BEGIN "
            "INSERT INTO passage_fts(passage_fts, rowid, body_terms, context_terms) "
            "VALUES ('delete', old.id, old.body_terms, old.context_terms); "
            "INSERT INTO passage_fts(rowid, body_terms, context_terms) "
            "VALUES (new.id, new.body_terms, new.context_terms); END"
        )

    def candidates(
        self, session: Session, words: Sequence[str], collections: Sequence[str], limit: int
    ) -> list[CandidateRow]:
        words = _safe(words)
        if not words or not collections:
            return []
        params = {
            "match": " OR ".join(f'"{w}"' for w in words),
            "collections": list(collections),
            "limit": limit,
            "wide": limit * 2,
        }
        rows = _rows(session, _SQLITE_CANDIDATES, params)
        if len(rows) < limit:
            # Fewer than asked: either there are no more, or the collections are
            # a small part of the store and the short list missed them.
            rows = _rows(session, _SQLITE_CANDIDATES_SCOPED, params)
        return rows


_POSTGRES_CANDIDATES = """
SELECT p.id, p.article_id, p.body_terms, p.context_terms, p.features, p.heading
FROM (
    SELECT id, ts_rank(search, q, 1) AS rank
    FROM passages, to_tsquery('simple', :query) AS q
    WHERE search @@ q AND collection IN :collections
    ORDER BY rank DESC, id
    LIMIT :limit
) AS top
JOIN passages AS p ON p.id = top.id
ORDER BY top.rank DESC, p.id
"""


class PostgresTSVector:
    # ts_rank reads each match's tsvector from the heap, several times the
    # cost of an FTS5 posting: fewer postings for the same latency.
    posting_budget = 3_000

    def install(self, connection: Connection) -> None:
        connection.exec_driver_sql(
            "ALTER TABLE passages ADD COLUMN search tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', body_terms), 'A') || "
            "setweight(to_tsvector('simple', context_terms), 'B')) STORED"
        )
        connection.exec_driver_sql("CREATE INDEX ix_passages_search ON passages USING gin (search)")

    def candidates(
        self, session: Session, words: Sequence[str], collections: Sequence[str], limit: int
    ) -> list[CandidateRow]:
        words = _safe(words)
        if not words or not collections:
            return []
        params = {
            "query": " | ".join(f"'{w}'" for w in words),
            "collections": list(collections),
            "limit": limit,
        }
        return _rows(session, _POSTGRES_CANDIDATES, params)


def _rows(session: Session, sql: str, params: dict) -> list[CandidateRow]:
    statement = text(sql).bindparams(bindparam("collections", expanding=True))
    return [CandidateRow(*row) for row in session.execute(statement, params)]


def for_dialect(name: str) -> FullText:
    """The full-text backend for a SQLAlchemy dialect name."""
    if name == "sqlite":
        return SQLiteFTS5()
    if name == "postgresql":
        return PostgresTSVector()
    raise ValueError(f"no full-text backend for {name!r}; use SQLite or PostgreSQL")
