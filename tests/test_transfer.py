"""Moving a store: ``archivist copy --to URL`` from SQLite to PostgreSQL and back.

Real stores only: SQLite files under ``tmp_path`` and schemas on the local PostgreSQL.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from archivist.cli import main
from knowledge import Archivist, KnowledgeConfig
from knowledge.transfer import copy_store

FERRY = """Harbour council approves new ferry line

The harbour council of Constanța voted on Tuesday to open a ferry line to Varna. Mayor Elena \
Dobre said the first boat would sail in June. The vote passed eleven to four.

Critics, led by councillor Mihai Stan, argued the port lacked a proper waiting hall. Dobre \
answered that a temporary hall would be built by May. https://example.org/ferry-hall
"""

ORCHARD = """Pear orchard wins regional prize

A family orchard near Bistrița won the regional fruit prize on Saturday for its late autumn \
pears. Owner Ioana Rusu said her grandfather planted the first trees in 1962.
"""

MILL = """Moara de apă se învârte din nou

Voluntarii au restaurat moara de apă de pe Someș în trei veri. Roata, cioplită din stejar de \
tâmplarul Vasile Ilie, s-a pus din nou în mișcare în septembrie.
"""

QUESTIONS = [
    "who opened the ferry line to Varna",
    "when was the orchard planted",
    "who carved the water mill wheel",
    "where is the waiting hall",
    "sourdough bread recipe",
]


pytestmark = pytest.mark.usefixtures("isolated_cli")


def stocked(url: str) -> None:
    with Archivist(KnowledgeConfig(database_url=url)) as archive:
        archive.ingest_text(FERRY, collection="guild:1", added_by="alice (1)")
        archive.ingest_text(ORCHARD, added_by="cli:bob", url="https://example.org/orchard")
        archive.ingest_text(MILL, collection="guild:2")
        while archive.embed_pending():
            pass


def answers(url: str) -> list[list[tuple]]:
    """What a user reads for each question, every collection searched."""
    with Archivist(KnowledgeConfig(database_url=url)) as archive:
        result = []
        for question in QUESTIONS:
            answer = archive.ask(question, collections=["guild:1", "guild:2", "global"], k=5)
            result.append(
                [
                    (e.article_id, e.title, e.quote, e.highlights, [ln.url for ln in e.links])
                    for e in answer.excerpts
                ]
            )
        return result


def rows(url: str, statement: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(r) for r in connection.execute(text(statement))]
    finally:
        engine.dispose()


def copy(capsys, source: str, target: str) -> tuple[int, str, str]:
    status = main(["--database", source, "copy", "--to", target])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_copy_to_postgresql_and_back_answers_exactly_as_the_original(
    tmp_path, pg_schema_url, capsys
):
    original = f"sqlite:///{tmp_path / 'original.db'}"
    back = f"sqlite:///{tmp_path / 'back.db'}"
    stocked(original)
    expected = answers(original)
    assert expected[0] and not expected[-1]  # something to compare, and an abstention

    status, out, err = copy(capsys, original, pg_schema_url)
    assert status == 0, err
    assert "the target matches the source" in out
    assert "passage_vectors" in out and "DIFFERS" not in out
    assert answers(pg_schema_url) == expected

    status, out, err = copy(capsys, pg_schema_url, back)
    assert status == 0, err
    assert answers(back) == expected

    vocabulary = "SELECT term, df, cf FROM terms ORDER BY term"
    assert rows(back, vocabulary) == rows(original, vocabulary)
    assert rows(pg_schema_url, vocabulary) == rows(original, vocabulary)
    provenance = "SELECT id, collection, added_by, source_kind, url, added_at FROM articles"
    assert rows(back, provenance + " ORDER BY id") == rows(original, provenance + " ORDER BY id")
    facts = "SELECT key, value FROM meta WHERE key IN ('embedding_model', 'examples_loaded')"
    assert sorted(rows(back, facts)) == sorted(rows(original, facts))
    # The full-text index of the SQLite copy holds every passage.
    assert rows(back, "SELECT COUNT(*) FROM passage_fts_docsize") == rows(
        original, "SELECT COUNT(*) FROM passages"
    )

    # The copy is a store like any other: the next article gets a fresh id.
    with Archivist(KnowledgeConfig(database_url=pg_schema_url)) as archive:
        added = archive.ingest_text("Glacier retreat measured\n\nThe glacier lost ice again.")
        assert added.article.id == 4
        assert archive.embed_pending() == 1
        assert archive.ask("glacier ice").excerpts[0].article_id == 4


def test_an_interrupted_copy_carries_on_and_ends_equal(tmp_path):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    stocked(source)
    seen = []

    def stop_after_two_batches(rows: int, total: int) -> None:
        seen.append(rows)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        copy_store(source, target, batch=2, progress=stop_after_two_batches)
    assert rows(target, "SELECT COUNT(*) FROM articles") == [(3,)]
    assert rows(target, "SELECT COUNT(*) FROM passages") == [(0,)]

    report = copy_store(source, target, batch=2)
    assert report.ok, report.problems
    assert report.counts["articles"] == (3, 3)
    assert report.copied == sum(have for have, _ in report.counts.values()) - 3
    assert answers(target) == answers(source)
    # Once more: nothing left to do, nothing doubled.
    again = copy_store(source, target)
    assert again.ok and again.copied == 0


def test_a_target_holding_other_articles_is_refused(tmp_path, capsys):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    target = f"sqlite:///{tmp_path / 'target.db'}"
    stocked(source)
    with Archivist(KnowledgeConfig(database_url=target)) as other:
        other.ingest_text(ORCHARD)
    status, _out, err = copy(capsys, source, target)
    assert status == 1
    assert err.strip() == (
        f"archivist: The target sqlite:///{tmp_path / 'target.db'} is not empty (1 articles, "
        "1 passages) and it is not an earlier copy of this store; copy into an empty database, "
        "or remove it first."
    )
    assert rows(target, "SELECT COUNT(*) FROM articles") == [(1,)]


def test_copying_a_store_onto_itself_is_refused(tmp_path, capsys):
    source = f"sqlite:///{tmp_path / 'source.db'}"
    stocked(source)
    status, _out, err = copy(capsys, source, source)
    assert status == 1
    assert err.strip() == "archivist: The source and the target are the same database."
