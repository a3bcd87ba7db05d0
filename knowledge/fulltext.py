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


class FullText(Protocol):
    def install(self, connection: Connection) -> None:
        """Create the index structures (inside a migration)."""

    def candidates(
        self, session: Session, words: Sequence[str], collections: Sequence[str], limit: int
    ) -> list[int]:
        """Ids of passages in ``collections`` containing any of ``words``, best first."""


class SQLiteFTS5:
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
    ) -> list[int]:
        words = _safe(words)
        if not words or not collections:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        # Ranking the matches alone, then keeping those of the asked
        # collections, skips a join per match; most stores are one or two
        # big collections. Where that leaves too few, ask again with the join.
        wide = limit * 3
        ranked = [
            row[0]
            for row in session.execute(
                text(
                    "SELECT rowid FROM passage_fts WHERE passage_fts MATCH :match "
                    "ORDER BY bm25(passage_fts, 1.0, 0.4) LIMIT :wide"
                ),
                {"match": match, "wide": wide},
            )
        ]
        if ranked:
            kept = set(
                session.execute(
                    text(
                        "SELECT id FROM passages WHERE id IN :ids AND collection IN :collections"
                    ).bindparams(
                        bindparam("ids", expanding=True), bindparam("collections", expanding=True)
                    ),
                    {"ids": ranked, "collections": list(collections)},
                ).scalars()
            )
            in_scope = [pid for pid in ranked if pid in kept]
            if len(in_scope) >= limit or len(ranked) < wide:
                return in_scope[:limit]
        statement = text(
            "SELECT p.id FROM passage_fts JOIN passages AS p ON p.id = passage_fts.rowid "
            "WHERE passage_fts MATCH :match AND p.collection IN :collections "
            "ORDER BY bm25(passage_fts, 1.0, 0.4) LIMIT :limit"
        ).bindparams(bindparam("collections", expanding=True))
        rows = session.execute(
            statement, {"match": match, "collections": list(collections), "limit": limit}
        )
        return [row[0] for row in rows]


class PostgresTSVector:
    def install(self, connection: Connection) -> None:
        connection.exec_driver_sql(
            "ALTER TABLE passages ADD COLUMN search tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('simple', body_terms), 'A') || "
            "setweight(to_tsvector('simple', context_terms), 'B')) STORED"
        )
        connection.exec_driver_sql("CREATE INDEX ix_passages_search ON passages USING gin (search)")

    def candidates(
        self, session: Session, words: Sequence[str], collections: Sequence[str], limit: int
    ) -> list[int]:
        words = _safe(words)
        if not words or not collections:
            return []
        query = " | ".join(f"'{w}'" for w in words)
        statement = text(
            "SELECT id FROM passages, to_tsquery('simple', :query) AS q "
            "WHERE search @@ q AND collection IN :collections "
            "ORDER BY ts_rank(search, q, 1) DESC, id LIMIT :limit"
        ).bindparams(bindparam("collections", expanding=True))
        rows = session.execute(
            statement, {"query": query, "collections": list(collections), "limit": limit}
        )
        return [row[0] for row in rows]


def for_dialect(name: str) -> FullText:
    """The full-text backend for a SQLAlchemy dialect name."""
    if name == "sqlite":
        return SQLiteFTS5()
    if name == "postgresql":
        return PostgresTSVector()
    raise ValueError(f"no full-text backend for {name!r}; use SQLite or PostgreSQL")
