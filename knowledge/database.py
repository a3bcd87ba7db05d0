"""Opening the database and bringing its schema up to date.

A SQLite file (WAL, foreign keys on) or PostgreSQL; the schema changes through
ordered :data:`MIGRATIONS`, so an existing store upgrades on start without loss.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, func, inspect, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, IntegrityError, OperationalError

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
from knowledge.store import GENERATION_KEY
from knowledge.types import EXAMPLES_COLLECTION, GLOBAL_COLLECTION

log = logging.getLogger(__name__)

#: PostgreSQL advisory lock taken while migrating, so that two processes starting
#: at once do not both migrate; any number no other program on the server uses.
MIGRATION_LOCK = 7431902
#: Seconds a SQLite connection waits for another process's write to finish.
SQLITE_BUSY_TIMEOUT = 30
#: Tries at migrating when another process migrates the same new store at once.
MIGRATION_TRIES = 3


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
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT, "check_same_thread": False}
        )
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
    for attempt in range(MIGRATION_TRIES):
        try:
            return _migrate_once(engine)
        except (OperationalError, IntegrityError) as exc:
            if (
                attempt == MIGRATION_TRIES - 1
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
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
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
