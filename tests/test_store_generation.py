"""The store generation: how one process learns that another changed the articles.

Two ``Archivist`` objects over one store stand for two processes (the bot and
the command line): each keeps its own vocabulary cache.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session

from knowledge import Archivist, KnowledgeConfig, store

FERRY_NOTE = """\
Night ferry to Tallinn returns

The overnight ferry between Helsinki and Tallinn sails again from Friday, the operator said,
with cabins for four hundred passengers and a deck reserved for cyclists.
"""


def _generation(archive: Archivist) -> int:
    with Session(archive._engine) as session:
        return store.generation(session)


def test_another_process_sees_a_new_article_at_its_next_question(store_url):
    config = KnowledgeConfig(database_url=store_url)
    with Archivist(config) as bot, Archivist(config) as cli:
        cli.ingest_text("Harbour notes\n\nThe harbour master counted the boats on Monday.")
        assert not bot.ask("overnight ferry Tallinn cabins").found  # cached: nothing
        cli.ingest_text(FERRY_NOTE)
        answer = bot.ask("overnight ferry Tallinn cabins")
        assert answer.found
        assert "Tallinn" in answer.excerpts[0].quote


def test_another_process_stops_quoting_a_removed_article(store_url):
    config = KnowledgeConfig(database_url=store_url)
    with Archivist(config) as bot, Archivist(config) as cli:
        stored = cli.ingest_text(FERRY_NOTE).article
        assert bot.ask("overnight ferry Tallinn cabins").found
        cli.remove_article(stored.id)
        assert not bot.ask("overnight ferry Tallinn cabins").found


def test_the_generation_counts_every_insert_and_removal(any_archive):
    start = _generation(any_archive)
    first = any_archive.ingest_text(FERRY_NOTE).article
    assert _generation(any_archive) == start + 1
    assert any_archive.ingest_text(FERRY_NOTE).duplicate  # nothing changed
    assert _generation(any_archive) == start + 1
    any_archive.remove_article(first.id)
    assert _generation(any_archive) == start + 2


def test_concurrent_writers_each_count_once(any_archive):
    start = _generation(any_archive)
    errors: list[BaseException] = []

    def ingest(n: int) -> None:
        try:
            any_archive.ingest_text(f"Note {n}\n\nThe tide gauge {n} read {n * 7} centimetres.")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert any_archive.count_articles() == 6
    assert _generation(any_archive) == start + 6
