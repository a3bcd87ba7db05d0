"""Is a store sound? The checks behind ``archivist check``, and their repairs.

Each check reads the store and says what is wrong in plain words, with the fix.
Nothing is written unless a repair is asked for; then the index, the term
counts and stray vectors are rebuilt or removed, and the generation moves on
so every running process drops what it cached.

Checks: the schema (migrations), the full-text index against the passages
(counts, a sample of passages found by their own words, FTS5's own integrity
check), the ``terms`` vocabulary counts against a fresh count, the generation
row, and, where there are vectors, that none is orphaned or of another size,
that the embedding model is recorded (and is this Archivist's), and how many
passages still wait for theirs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from knowledge import database, fulltext, store, vectorstore
from knowledge.errors import StoreError
from knowledge.models import Meta, Passage, PassageVector, SchemaVersion

log = logging.getLogger(__name__)

#: Passages looked up by one of their own words.
SAMPLE = 50
REPAIR = "run `archivist check --repair`"


@dataclass(frozen=True)
class Finding:
    """One line of the report: a part of the store, and how it stands."""

    part: str
    #: "ok", "problem", "repaired" or "note" (worth knowing, nothing wrong).
    status: str
    detail: str
    fix: str | None = None


@dataclass
class _Problem:
    part: str
    detail: str
    fix: str
    repair: Callable[[Connection], None] | None = None


@dataclass(frozen=True)
class HealthReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.status == "problem" for f in self.findings)


def check_store(
    database_url: str, *, repair: bool = False, model: str | None = None
) -> HealthReport:
    """Check the store at ``database_url``; with ``repair``, fix what can be fixed.

    Args:
        model: the model this Archivist embeds with (None: semantic
            search is off here), compared with the one that made the vectors.

    Raises:
        StoreError: the database cannot be opened at all.
    """
    engine = database.open_engine(database_url)
    try:
        first = _examine(engine, model)
        if not repair or not any(p.repair for p in first[1]):
            return HealthReport(_findings(*first))
        done: list[Callable[[Connection], None]] = []
        for problem in first[1]:
            if problem.repair is not None and problem.repair not in done:
                log.info("repairing %s: %s", problem.part, problem.detail)
                with engine.begin() as connection:
                    problem.repair(connection)
                done.append(problem.repair)
        with Session(engine) as session, session.begin():
            store.bump_generation(session)  # running processes drop their caches
        ok, remaining, notes = _examine(engine, model)
        still = {(p.part, p.detail) for p in remaining}
        repaired = [
            Finding(p.part, "repaired", p.detail)
            for p in first[1]
            if p.repair is not None and (p.part, p.detail) not in still
        ]
        return HealthReport(repaired + _findings(ok, remaining, notes))
    except SQLAlchemyError as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        raise StoreError(f"Cannot check the database: {reason[:300]}") from exc
    finally:
        engine.dispose()


def _findings(
    ok: list[tuple[str, str]], problems: list[_Problem], notes: list[tuple[str, str]]
) -> list[Finding]:
    """Problems first: they are what the reader came for."""
    return (
        [Finding(p.part, "problem", p.detail, p.fix) for p in problems]
        + [Finding(part, "note", detail) for part, detail in notes]
        + [Finding(part, "ok", detail) for part, detail in ok]
    )


def _in_session(function: Callable[[Session], object]) -> Callable[[Connection], None]:
    """A repair written for a session, run on the repair's connection (and transaction)."""

    def repair(connection: Connection) -> None:
        with Session(bind=connection) as session:
            function(session)

    return repair


def _examine(
    engine: Engine, embedding_model: str | None
) -> tuple[list[tuple[str, str]], list[_Problem], list[tuple[str, str]]]:
    ok: list[tuple[str, str]] = []
    problems: list[_Problem] = []
    notes: list[tuple[str, str]] = []
    with engine.connect() as connection:
        if not _schema(connection, ok, problems):
            return ok, problems, notes
        with Session(bind=connection) as session:
            _index(connection, session, ok, problems)
            _terms(session, ok, problems)
            _generation(session, ok, problems)
            _vectors(session, embedding_model, ok, problems, notes)
        connection.rollback()  # a check writes nothing (FTS5's integrity check included)
    return ok, problems, notes


def _schema(connection: Connection, ok: list, problems: list[_Problem]) -> bool:
    """The migrations; False when the rest cannot be checked."""
    latest = database.MIGRATIONS[-1][0]
    schema = connection.dialect.default_schema_name
    if not inspect(connection).has_table("schema_version", schema=schema):
        problems.append(
            _Problem(
                "schema",
                "this database holds no Archivist store (no schema_version table)",
                "check DATABASE_URL (or --database); Archivist creates a store on its first start",
            )
        )
        return False
    versions = set(connection.execute(select(SchemaVersion.version)).scalars())
    current = max(versions, default=0)
    if current > latest:
        problems.append(
            _Problem(
                "schema",
                f"the store is at version {current}, newer than this Archivist knows ({latest})",
                "upgrade Archivist (pip install .) before using this store",
            )
        )
        return False
    gaps = sorted(set(range(1, current + 1)) - versions)
    if gaps:
        problems.append(
            _Problem(
                "schema",
                f"migrations {', '.join(map(str, gaps))} were never recorded as applied",
                "restore the store from a backup, or copy what it holds into a new store "
                "with `archivist copy --to URL`",
            )
        )
        return False
    if current < latest:
        problems.append(
            _Problem(
                "schema",
                f"the store is at version {current}; this Archivist upgrades it to {latest}",
                f"{REPAIR}, or start the bot: the upgrade runs by itself and keeps every article",
                lambda c: database.migrate(c.engine),
            )
        )
        return False
    ok.append(("schema", f"version {current}, up to date"))
    return True


def _index(connection: Connection, session: Session, ok: list, problems: list[_Problem]) -> None:
    backend = fulltext.for_dialect(connection.dialect.name)
    sample = []
    # Spread over the store, and cheap: every n-th passage by id.
    count = store.count_passages(session)
    step = max(1, count // SAMPLE)
    rows = session.execute(
        select(Passage.id, Passage.body_terms)
        .where((Passage.id % step) == 0, Passage.body_terms != "")
        .order_by(Passage.id)
        .limit(SAMPLE)
    )
    for passage_id, body_terms in rows:
        words = body_terms.split()
        if words:
            sample.append((passage_id, words[len(words) // 2]))
    found = backend.problems(connection, sample)
    if not found:
        ok.append(("full-text index", f"{count:,} passages indexed; {len(sample)} sampled, found"))
        return
    for detail in found:
        problems.append(
            _Problem(
                "full-text index",
                detail,
                f"{REPAIR}: it rebuilds the index from the stored passages",
                backend.rebuild,
            )
        )


def _terms(session: Session, ok: list, problems: list[_Problem]) -> None:
    expected = store.recount_terms(session)
    stored = store.stored_terms(session)
    wrong = sorted(t for t in expected.keys() & stored.keys() if expected[t] != stored[t])
    missing = sorted(expected.keys() - stored.keys())
    extra = sorted(stored.keys() - expected.keys())
    if not (wrong or missing or extra):
        ok.append(("term counts", f"{len(stored):,} terms, counts match the passages"))
        return
    parts = []
    if wrong:
        t = wrong[0]
        parts.append(
            f"{len(wrong):,} with wrong counts (“{t}”: {stored[t][0]} passages recorded, "
            f"{expected[t][0]} hold it)"
        )
    if missing:
        parts.append(f"{len(missing):,} missing (“{missing[0]}”)")
    if extra:
        parts.append(f"{len(extra):,} that no passage holds (“{extra[0]}”)")
    problems.append(
        _Problem(
            "term counts",
            "vocabulary terms " + "; ".join(parts) + ": ranking and spelling matches are off",
            f"{REPAIR}: it counts the terms afresh from the passages",
            _in_session(store.rebuild_terms),
        )
    )


def _generation(session: Session, ok: list, problems: list[_Problem]) -> None:
    value = session.execute(select(Meta.value).where(Meta.key == store.GENERATION_KEY)).scalar()
    if value is not None and value.isdigit():
        ok.append(("generation", f"{int(value):,}"))
        return
    problems.append(
        _Problem(
            "generation",
            "the store's generation counter is missing or unreadable: other processes "
            "will not notice new or removed articles",
            f"{REPAIR}: it starts the counter again",
            _in_session(lambda s: store.set_meta(s, store.GENERATION_KEY, "1")),
        )
    )


def _vectors(
    session: Session,
    embedding_model: str | None,
    ok: list,
    problems: list[_Problem],
    notes: list,
) -> None:
    vectors = vectorstore.count_vectors(session)
    recorded = store.get_meta(session, "embedding_model")
    if not vectors and recorded is None:
        return  # semantic search never ran on this store: nothing to check
    orphans = vectorstore.count_orphans(session)
    if orphans:
        problems.append(
            _Problem(
                "vectors",
                f"{orphans:,} vectors belong to passages that no longer exist",
                f"{REPAIR}: it deletes them",
                _delete_orphans,
            )
        )
    strays = vectorstore.count_misfiled(session)
    if strays:
        problems.append(
            _Problem(
                "vectors",
                f"{strays:,} vectors are filed under another collection than their passage: "
                "answers by meaning would cross between servers",
                f"{REPAIR}: it files them with their passages",
                _refile,
            )
        )
    if vectorstore.count_sizes(session) > 1:
        problems.append(
            _Problem(
                "vectors",
                "vectors of different sizes are stored: they come from different models",
                f"{REPAIR}, then `archivist embed`: it forgets them all and they are made again",
                _in_session(vectorstore.drop_vectors),
            )
        )
    if vectors and recorded is None:
        problems.append(
            _Problem(
                "vectors",
                "vectors are stored but not which model made them",
                f"{REPAIR}, then `archivist embed`: it forgets them and they are made again",
                _in_session(vectorstore.drop_vectors),
            )
        )
    elif embedding_model is not None and recorded not in (None, embedding_model):
        problems.append(
            _Problem(
                "vectors",
                f"the vectors were made by {recorded}; this Archivist embeds with "
                f"{embedding_model}",
                "start the bot or run `archivist embed`: the old vectors are forgotten and "
                "made again",
            )
        )
    passages = store.count_passages(session)
    pending = vectorstore.count_pending(session)
    if pending:
        notes.append(
            (
                "vectors",
                f"{pending:,} of {passages:,} passages wait for vectors: the bot embeds them "
                "in the background, or run `archivist embed`",
            )
        )
    ok.append(("vectors", f"{vectors:,} passages have vectors, made by {recorded or 'no model'}"))


def _delete_orphans(connection: Connection) -> None:
    table = PassageVector.__table__
    connection.execute(
        table.delete().where(table.c.passage_id.not_in(select(Passage.__table__.c.id)))
    )


def _refile(connection: Connection) -> None:
    table = PassageVector.__table__
    passages = Passage.__table__
    connection.execute(
        table.update().values(
            collection=select(passages.c.collection)
            .where(passages.c.id == table.c.passage_id)
            .scalar_subquery()
        )
    )
