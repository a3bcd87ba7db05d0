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

    def problems(self, connection: Connection, sample: Sequence[tuple[int, str]]) -> list[str]:
        """What is wrong with the index, in plain words (none: it matches the passages).

        ``sample`` holds (passage id, one of its words): each must be found.
        """

    def rebuild(self, connection: Connection) -> None:
        """Recreate what is missing and index every passage afresh."""


# The ranked matches are cut to a short list first and only then joined to
# their passages: a join per match costs more than the ranking itself.
_SQLITE_CANDIDATES = """
SELECT p.id, p.article_id, p.body_terms, p.context_terms, p.features, p.heading
FROM (
    SELECT rowid AS id, bm25(passage_fts, 1.0, 0.4) AS rank
    FROM passage_fts WHERE passage_fts MATCH :words
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
WHERE passage_fts MATCH :words AND p.collection IN :collections
ORDER BY bm25(passage_fts, 1.0, 0.4)
LIMIT :limit
"""


_SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE passage_fts USING fts5("
    "body_terms, context_terms, content='passages', content_rowid='id', "
    "tokenize=\"unicode61 remove_diacritics 0 tokenchars '.'\")"
)
#: The triggers that keep the index in step with ``passages``, by name.
_SQLITE_TRIGGERS = {
    "passages_fts_insert": (
        "CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN "
        "INSERT INTO passage_fts(rowid, body_terms, context_terms) "
        "VALUES (new.id, new.body_terms, new.context_terms); END"
    ),
    "passages_fts_delete": (
        "CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN "
        "INSERT INTO passage_fts(passage_fts, rowid, body_terms, context_terms) "
        "VALUES ('delete', old.id, old.body_terms, old.context_terms); END"
    ),
    "passages_fts_update": (
        "CREATE TRIGGER passages_fts_update AFTER UPDATE ON passages BEGIN "
        "INSERT INTO passage_fts(passage_fts, rowid, body_terms, context_terms) "
        "VALUES ('delete', old.id, old.body_terms, old.context_terms); "
        "INSERT INTO passage_fts(rowid, body_terms, context_terms) "
        "VALUES (new.id, new.body_terms, new.context_terms); END"
    ),
}


class SQLiteFTS5:
    posting_budget = 5_000

    def install(self, connection: Connection) -> None:
        connection.exec_driver_sql(_SQLITE_TABLE)
        for ddl in _SQLITE_TRIGGERS.values():
            connection.exec_driver_sql(ddl)

    def _present(self, connection: Connection) -> set[str]:
        return {
            name
            for (name,) in connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"
            )
        }

    def problems(self, connection: Connection, sample: Sequence[tuple[int, str]]) -> list[str]:
        present = self._present(connection)
        if "passage_fts" not in present:
            return ["the full-text table passage_fts is missing: no question finds anything"]
        found = []
        missing = sorted(set(_SQLITE_TRIGGERS) - present)
        if missing:
            found.append(
                f"the triggers that index new passages are missing ({', '.join(missing)}): "
                "passages stored from now on are not searchable"
            )
        indexed = connection.exec_driver_sql("SELECT COUNT(*) FROM passage_fts_docsize").scalar()
        passages = connection.exec_driver_sql("SELECT COUNT(*) FROM passages").scalar()
        if indexed != passages:
            found.append(f"the full-text index holds {indexed:,} passages, the store {passages:,}")
        lost = [pid for pid, word in sample if not self._finds(connection, pid, word)]
        if lost:
            found.append(
                f"{len(lost)} of {len(sample)} sampled passages are not found by their own "
                f"words (passage {', '.join(map(str, lost[:5]))})"
            )
        if not found:
            try:
                # Rank 1: compare the index with the passages, not only with itself.
                connection.exec_driver_sql(
                    "INSERT INTO passage_fts(passage_fts, rank) VALUES ('integrity-check', 1)"
                )
            except Exception as exc:  # noqa: BLE001 - any failure here is the finding
                found.append(
                    f"the full-text index does not match the passages ({exc.__cause__ or exc})"
                )
        return found

    def _finds(self, connection: Connection, passage_id: int, word: str) -> bool:
        if not _SAFE_WORD.match(word):
            return True
        return (
            connection.execute(
                text("SELECT 1 FROM passage_fts WHERE passage_fts MATCH :m AND rowid = :id"),
                {"m": f'"{word}"', "id": passage_id},
            ).first()
            is not None
        )

    def rebuild(self, connection: Connection) -> None:
        present = self._present(connection)
        if "passage_fts" not in present:
            connection.exec_driver_sql(_SQLITE_TABLE)
        for name, ddl in _SQLITE_TRIGGERS.items():
            if name not in present:
                connection.exec_driver_sql(ddl)
        connection.exec_driver_sql("INSERT INTO passage_fts(passage_fts) VALUES ('rebuild')")

    def candidates(
        self, session: Session, words: Sequence[str], collections: Sequence[str], limit: int
    ) -> list[CandidateRow]:
        params = _params(words, collections, limit, '"{}"', " OR ")
        if params is None:
            return []
        params["wide"] = limit * 2
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
    FROM passages, to_tsquery('simple', :words) AS q
    WHERE search @@ q AND collection IN :collections
    ORDER BY rank DESC, id
    LIMIT :limit
) AS top
JOIN passages AS p ON p.id = top.id
ORDER BY top.rank DESC, p.id
"""


_POSTGRES_COLUMN = (
    "ALTER TABLE passages ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple', body_terms), 'A') || "
    "setweight(to_tsvector('simple', context_terms), 'B')) STORED"
)
_POSTGRES_INDEX = "CREATE INDEX ix_passages_search ON passages USING gin (search)"


class PostgresTSVector:
    # ts_rank reads each match's tsvector from the heap, several times the
    # cost of an FTS5 posting: fewer postings for the same latency.
    posting_budget = 3_000

    def install(self, connection: Connection) -> None:
        connection.exec_driver_sql(_POSTGRES_COLUMN)
        connection.exec_driver_sql(_POSTGRES_INDEX)

    def _column(self, connection: Connection) -> bool:
        return (
            connection.exec_driver_sql(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'passages' AND column_name = 'search' "
                "AND is_generated = 'ALWAYS'"
            ).first()
            is not None
        )

    def _index_valid(self, connection: Connection) -> bool | None:
        """True: in place; False: there but unusable (an interrupted build); None: absent."""
        return connection.exec_driver_sql(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = 'ix_passages_search' "
            "AND c.relnamespace = current_schema()::regnamespace"
        ).scalar()

    def problems(self, connection: Connection, sample: Sequence[tuple[int, str]]) -> list[str]:
        if not self._column(connection):
            return ["the generated column passages.search is missing: no question finds anything"]
        found = []
        valid = self._index_valid(connection)
        if valid is None:
            found.append(
                "the full-text index ix_passages_search is missing: "
                "every search reads every passage"
            )
        elif not valid:
            found.append("the full-text index ix_passages_search is invalid (an interrupted build)")
        lost = [
            pid
            for pid, word in sample
            if _SAFE_WORD.match(word)
            and connection.execute(
                text(
                    "SELECT 1 FROM passages WHERE id = :id AND search @@ to_tsquery('simple', :q)"
                ),
                {"id": pid, "q": f"'{word}'"},
            ).first()
            is None
        ]
        if lost:
            found.append(
                f"{len(lost)} of {len(sample)} sampled passages are not found by their own "
                f"words (passage {', '.join(map(str, lost[:5]))})"
            )
        return found

    def rebuild(self, connection: Connection) -> None:
        if not self._column(connection):
            connection.exec_driver_sql(_POSTGRES_COLUMN)
        valid = self._index_valid(connection)
        if valid is None:
            connection.exec_driver_sql(_POSTGRES_INDEX)
        else:
            connection.exec_driver_sql("REINDEX INDEX ix_passages_search")

    def candidates(
        self, session: Session, words: Sequence[str], collections: Sequence[str], limit: int
    ) -> list[CandidateRow]:
        params = _params(words, collections, limit, "'{}'", " | ")
        return [] if params is None else _rows(session, _POSTGRES_CANDIDATES, params)


def _params(
    words: Sequence[str], collections: Sequence[str], limit: int, quoted: str, separator: str
) -> dict | None:
    """Parameters of a candidates query: ``words``, the safe words each ``quoted``
    (so that it is a word, never syntax) and joined by the backend's "or"; None
    when there is nothing to search."""
    words = _safe(words)
    if not words or not collections:
        return None
    match = separator.join(quoted.format(w) for w in words)
    return {"words": match, "collections": list(collections), "limit": limit}


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
