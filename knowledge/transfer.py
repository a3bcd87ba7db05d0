"""Moving a store: every row from one database to another, resumable.

A copy goes table by table in primary-key order, in batches, each batch its
own transaction, and keeps the ids, so passages stay with their articles and
vectors with their passages. The target's full-text index fills itself as
passages go in (FTS5 triggers on SQLite, the generated ``tsvector`` on
PostgreSQL); the ``terms`` vocabulary counts are rebuilt from the copied
passages and the ``meta`` facts copied. Running the same copy again carries on
where it stopped: a table resumes after the highest key the target already
holds, and a row already there is skipped.

A target that holds anything is refused unless it is an earlier, partial copy
of the same source: each store gets an id (``meta`` key ``store_id``) and a
copy records whose it is (``copy_of``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Table, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knowledge import database, store
from knowledge.errors import StoreError
from knowledge.models import Base, Meta, SchemaVersion, Term

if TYPE_CHECKING:
    from sqlalchemy import Engine

log = logging.getLogger(__name__)

#: Rows per transaction: small enough that an interruption loses little.
BATCH = 500
STORE_ID_KEY = "store_id"
COPY_OF_KEY = "copy_of"
#: ``meta`` keys that describe one database, never copied.
_OWN_KEYS = {STORE_ID_KEY, COPY_OF_KEY, store.GENERATION_KEY}
#: Tables a copy does not move row by row: the target keeps its own schema
#: history, rebuilds the vocabulary and merges the facts.
_DERIVED = {SchemaVersion.__tablename__, Term.__tablename__, Meta.__tablename__}

#: ``progress(rows, total)``: called after each batch with the rows it copied and
#: the rows the source holds in all.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class CopyReport:
    """What a copy did, and whether the target now matches the source."""

    #: table -> (rows in the source, rows in the target) after the copy.
    counts: dict[str, tuple[int, int]]
    #: Rows this run wrote (a resumed run writes only the rest).
    copied: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def tables() -> list[Table]:
    """The tables a copy moves, parents before children (articles, passages, vectors…)."""
    return [t for t in Base.metadata.sorted_tables if t.name not in _DERIVED]


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            t.name: session.execute(select(func.count()).select_from(t)).scalar_one()
            for t in tables()
        }


def copy_store(
    source_url: str, target_url: str, *, batch: int = BATCH, progress: Progress | None = None
) -> CopyReport:
    """Copy every collection, article, passage and vector from one store to another.

    Raises:
        StoreError: either store cannot be opened, they are the same database,
            or the target holds articles that are not a partial copy of the source.
    """
    if _same_database(source_url, target_url):
        raise StoreError("The source and the target are the same database.")
    source = database.open_engine(source_url)
    target = database.open_engine(target_url)
    try:
        database.migrate(source)
        database.migrate(target)
        _check_versions(source, target)
        source_id = _store_id(source)
        _claim_target(target, source_id, target_url)
        total = sum(_counts(source).values())
        copied = 0
        for table in tables():
            copied += _copy_table(
                source, target, table, batch, lambda n: progress and progress(n, total)
            )
        _finish(source, target)
        return _compare(source, target, copied)
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise StoreError(f"The copy failed: {reason[:300]}; run it again to carry on") from exc
    finally:
        source.dispose()
        target.dispose()


def _same_database(a: str, b: str) -> bool:
    try:
        left, right = make_url(a), make_url(b)
    except Exception:  # noqa: BLE001 - open_engine reports a malformed URL properly
        return False
    if left.get_backend_name() == right.get_backend_name() == "sqlite":
        from pathlib import Path

        return Path(left.database or "").resolve() == Path(right.database or "").resolve()
    return left.render_as_string() == right.render_as_string()


def _check_versions(source: Engine, target: Engine) -> None:
    with Session(source) as s, Session(target) as t:
        mine = s.execute(select(func.max(SchemaVersion.version))).scalar_one()
        theirs = t.execute(select(func.max(SchemaVersion.version))).scalar_one()
    if mine != theirs:  # both were just migrated by this program: only a newer one differs
        raise StoreError(
            f"The stores are at schema versions {mine} and {theirs}; upgrade Archivist "
            "so both are at the same version, then copy."
        )


def _store_id(engine: Engine) -> str:
    """The source's id, given to it now if it has none."""
    with Session(engine) as session, session.begin():
        found = store.get_meta(session, STORE_ID_KEY)
        if found is None:
            found = uuid.uuid4().hex
            store.set_meta(session, STORE_ID_KEY, found)
        return found


def _claim_target(target: Engine, source_id: str, target_url: str) -> None:
    """Mark an empty target as a copy of the source, or refuse one that is something else."""
    with Session(target) as session, session.begin():
        copy_of = store.get_meta(session, COPY_OF_KEY)
        if copy_of == source_id:
            log.info("the target is a partial copy of this source: carrying on")
            return
        held = {
            t.name: n
            for t in tables()
            if (n := session.execute(select(func.count()).select_from(t)).scalar_one())
        }
        if held:
            shown = ", ".join(f"{n:,} {name}" for name, n in held.items())
            where = make_url(target_url).render_as_string(hide_password=True)
            why = (
                "it is a copy of another store"
                if copy_of
                else "it is not an earlier copy of this store"
            )
            raise StoreError(
                f"The target {where} is not empty ({shown}) and {why}; copy into an empty "
                "database, or remove it first."
            )
        store.set_meta(session, COPY_OF_KEY, source_id)


def _copy_table(
    source: Engine, target: Engine, table: Table, batch: int, progress: Callable[[int], None]
) -> int:
    key = list(table.primary_key.columns)
    columns = [c for c in table.columns if c.computed is None]
    single = len(key) == 1
    insert = pg_insert if target.dialect.name == "postgresql" else sqlite_insert
    after = None
    if single:
        # Batches commit in key order: the highest key the target holds is
        # where an interrupted copy stopped.
        with Session(target) as session:
            after = session.execute(select(func.max(key[0]))).scalar()
    offset = copied = 0
    while True:
        statement = select(*columns).order_by(*key).limit(batch)
        if not single:  # no one key to resume after: page through, skipping what is there
            statement = statement.offset(offset)
        elif after is not None:
            statement = statement.where(key[0] > after)
        with Session(source) as session:
            rows = [dict(r._mapping) for r in session.execute(statement)]
        if not rows:
            break
        with Session(target) as session, session.begin():
            session.execute(insert(table).on_conflict_do_nothing(), rows)
        copied += len(rows)
        offset += len(rows)
        if single:
            after = rows[-1][key[0].name]
        progress(len(rows))
    if target.dialect.name == "postgresql" and table.autoincrement_column is not None:
        _advance_sequence(target, table, table.autoincrement_column.name)
    return copied


def _advance_sequence(target: Engine, table: Table, column: str) -> None:
    """Explicit ids do not move a PostgreSQL sequence: set it past them, so the
    next article stored gets a fresh id."""
    with target.begin() as connection:
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": column},
        ).scalar()
        if sequence:
            connection.execute(
                text(
                    f"SELECT setval(:sequence, COALESCE(MAX({column}), 0) + 1, false) "
                    f"FROM {table.name}"
                ),
                {"sequence": sequence},
            )


def _finish(source: Engine, target: Engine) -> None:
    """The vocabulary from the copied passages, the facts from the source, and a new
    generation so that any process already reading the target starts afresh."""
    with Session(source) as session:
        facts = {
            key: value
            for key, value in session.execute(select(Meta.key, Meta.value))
            if key not in _OWN_KEYS
        }
        generation = store.generation(session)
    with Session(target) as session, session.begin():
        store.rebuild_terms(session)
        for key, value in facts.items():
            store.set_meta(session, key, value)
        current = store.generation(session)
        store.set_meta(session, store.GENERATION_KEY, str(max(current, generation) + 1))


def _compare(source: Engine, target: Engine, copied: int) -> CopyReport:
    counts = {}
    problems = []
    theirs = _counts(target)
    for name, have in _counts(source).items():
        got = theirs[name]
        counts[name] = (have, got)
        if have != got:
            why = " (rows were removed from the source since an earlier run)" if got > have else ""
            problems.append(f"{name}: the source holds {have:,} rows, the target {got:,}{why}")
    return CopyReport(counts, copied, problems)
