"""``archivist check``: a store broken on purpose is found out, and ``--repair`` mends it.

Real stores only: a SQLite file under ``tmp_path`` and a schema on the local PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from archivist.cli import main
from knowledge import Archivist, KnowledgeConfig
from knowledge.database import MIGRATIONS

FERRY = """Harbour council approves new ferry line

The harbour council of Constanța voted on Tuesday to open a ferry line to Varna. Mayor Elena \
Dobre said the first boat would sail in June.
"""

ORCHARD = """Pear orchard wins regional prize

A family orchard near Bistrița won the regional fruit prize on Saturday for its late autumn \
pears. Owner Ioana Rusu said her grandfather planted the first trees in 1962.
"""


@pytest.fixture(autouse=True)
def isolated(isolated_cli, monkeypatch):
    monkeypatch.setenv("ARCHIVIST_SEMANTIC", "off")  # the vectors have tests of their own


def run(capsys, url: str, *args: str) -> tuple[int, str]:
    status = main(["--database", url, "check", *args])
    out, err = capsys.readouterr()
    assert not err, err
    return status, out


def sql(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def ferry_answered(url: str) -> bool:
    with Archivist(KnowledgeConfig(database_url=url, semantic="off")) as archive:
        answer = archive.ask("ferry line to Varna")
        return any("ferry line to Varna" in e.quote for e in answer.excerpts)


@pytest.fixture
def stocked(store_url) -> str:
    with Archivist(KnowledgeConfig(database_url=store_url, semantic="off")) as archive:
        archive.ingest_text(FERRY)
        archive.ingest_text(ORCHARD)
    return store_url


def test_a_sound_store_is_all_well(capsys, stocked):
    status, out = run(capsys, stocked)
    assert status == 0
    assert "PROBLEM" not in out
    assert out.splitlines()[-1] == "All is well."
    assert f"ok       schema: version {MIGRATIONS[-1][0]}, up to date" in out


def test_a_broken_index_and_term_counts_are_found_and_repaired(capsys, stocked):
    if stocked.startswith("sqlite"):
        # The ferry passage drops out of the index, as after a crash mid-write with the
        # triggers off, and the triggers are gone.
        sql(
            stocked,
            "INSERT INTO passage_fts(passage_fts, rowid, body_terms, context_terms) "
            "SELECT 'delete', id, body_terms, context_terms FROM passages WHERE article_id = 1",
            "DROP TRIGGER passages_fts_insert",
        )
        assert not ferry_answered(stocked)
        index_problem = "the full-text index holds 1 passages, the store 2"
    else:
        sql(stocked, "DROP INDEX ix_passages_search")
        index_problem = "the full-text index ix_passages_search is missing"
    sql(stocked, "UPDATE terms SET df = df + 7 WHERE term = 'ferry'")

    status, out = run(capsys, stocked)
    assert status == 1
    assert index_problem in out
    assert (
        "fix: run `archivist check --repair`: it rebuilds the index from the stored passages" in out
    )
    assert "PROBLEM  term counts: vocabulary terms 1 with wrong counts (“ferry”: 8 passages " in out
    assert "fix: run `archivist check --repair`: it counts the terms afresh" in out
    assert out.splitlines()[-1].endswith("problems found.")

    status, out = run(capsys, stocked, "--repair")
    assert status == 0, out
    assert "REPAIRED full-text index" in out and "REPAIRED term counts" in out
    assert out.splitlines()[-1] == "All is well."
    assert run(capsys, stocked) == (0, out.split("\n", out.count("REPAIRED"))[-1])
    assert ferry_answered(stocked)
    with Archivist(KnowledgeConfig(database_url=stocked, semantic="off")) as archive:
        archive.ingest_text("Glacier survey\n\nThe glacier lost ice along its whole front.")
        assert archive.ask("glacier ice").excerpts  # new passages are indexed again


def test_a_store_behind_on_migrations_is_told_to_upgrade(capsys, stocked):
    latest = MIGRATIONS[-1][0]
    sql(stocked, f"DELETE FROM schema_version WHERE version = {latest}")
    status, out = run(capsys, stocked)
    assert status == 1
    assert (
        f"PROBLEM  schema: the store is at version {latest - 1}; this Archivist upgrades it "
        f"to {latest}\n         fix: run `archivist check --repair`, or start the bot" in out
    )
    status, out = run(capsys, stocked, "--repair")
    assert status == 0, out
    assert ferry_answered(stocked)


def test_stray_vectors_and_an_unrecorded_model_are_found(capsys, sqlite_url):
    with Archivist(KnowledgeConfig(database_url=sqlite_url, semantic="off")) as archive:
        archive.ingest_text(FERRY)
    sql(
        sqlite_url,
        "PRAGMA foreign_keys=OFF",
        "INSERT INTO passage_vectors VALUES (99, 'global', x'01', 1.0, x'01', x'01', x'01')",
    )
    status, out = run(capsys, sqlite_url)
    assert status == 1
    assert "PROBLEM  vectors: 1 vectors belong to passages that no longer exist" in out
    assert "PROBLEM  vectors: vectors are stored but not which model made them" in out
    status, out = run(capsys, sqlite_url, "--repair")
    assert status == 0, out
    assert "REPAIRED vectors: 1 vectors belong to passages that no longer exist" in out
    assert "REPAIRED vectors: vectors are stored but not which model made them" in out


def test_a_file_that_is_no_store_is_said_so(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    status, out = run(capsys, url)
    assert status == 1
    assert "PROBLEM  schema: this database holds no Archivist store" in out
