"""The engine as its faces use it: ingest, ask, browse, remove, on real stores.

Fixture articles are written for these tests; one mixes Romanian and English
the way news pages quoting tweets do.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import create_engine, text

from knowledge import Archivist, Document, KnowledgeConfig
from knowledge.errors import EmptyDocument, InvalidQuery, NotFound, StoreError, TooLarge

MIXED_NOTE = """\
2025-07-12 Lavrov meets Kim Jong Un on the east coast

Foreign ministers and leaders: a short report. pic.twitter.com/AbCdEf123 — Pacific Desk (@pacdesk_test) July 12, 2025

Liderul de la Phenian promite sprijin

Ministrul rus de externe Serghei Lavrov a fost primit de Kim Jong-un la Wonsan, un oraș-stațiune de pe coasta de est a Coreei de Nord.

Cei doi au discutat despre punerea în aplicare a acordurilor semnate în 2024 și despre un nou tratat comercial.

Armata și muniția

Peste 20.000 de obuze ar fi fost trimise lunar spre Rusia, potrivit unor surse citate de presa sud-coreeană.
"""

LIBRARY_NOTE = """\
Title: Harbour library opens a seed bank
Date: 2024-05-02
Author: Town Desk

The harbour library now lends seeds as well as books. Members can borrow up to five packets of
tomato, bean or sunflower seeds each spring and bring back seeds from their own harvest in autumn.

Librarian Tomas Berg said 1,200 packets were lent in the first month.
"""


@pytest.fixture
def stocked(any_archive):
    any_archive.ingest_text(MIXED_NOTE)
    any_archive.ingest_text(LIBRARY_NOTE)
    return any_archive


def _quotes(answer):
    return [e.quote for e in answer.excerpts]


def test_who_met_kim_and_where_quotes_the_romanian_passage_naming_wonsan(stocked):
    answer = stocked.ask("who met Kim and where")
    assert answer.found
    assert any("la Wonsan" in quote for quote in _quotes(answer))


def test_what_they_discussed_quotes_the_2024_agreements(stocked):
    answer = stocked.ask("what did Lavrov and Kim discuss?")
    assert "acordurilor semnate în 2024" in answer.excerpts[0].quote
    assert "discuss" in answer.excerpts[0].matched_terms


def test_numbers_match_across_separators(stocked):
    answer = stocked.ask("were 20,000 shells sent each month?")
    assert "20.000 de obuze" in answer.excerpts[0].quote


def test_excerpts_are_verbatim_slices_with_highlights_and_links(stocked):
    answer = stocked.ask("Sergey Lavrov Kim Jong Un")
    excerpt = answer.excerpts[0]
    stored = stocked.article_text(excerpt.article_id)
    assert stored[excerpt.quote_start : excerpt.quote_end] == excerpt.quote
    assert stored[excerpt.passage_start : excerpt.passage_end] == excerpt.passage
    marked = {excerpt.quote[s.start : s.end] for s in excerpt.highlights}
    assert {"Serghei", "Lavrov", "Kim", "Jong"} <= marked
    assert excerpt.title == "Lavrov meets Kim Jong Un on the east coast"
    assert excerpt.date == "2025-07-12"


def test_links_quoted_in_a_passage_become_its_sources(stocked):
    answer = stocked.ask("foreign ministers short report")
    links = {link.url: link.kind for link in answer.excerpts[0].links}
    assert links["https://pic.twitter.com/AbCdEf123"] == "quoted"
    assert links["https://x.com/pacdesk_test"] == "attribution"


def test_an_article_url_is_a_source_link(any_archive):
    any_archive.ingest_text(LIBRARY_NOTE, url="https://example.org/seed-bank")
    answer = any_archive.ask("how many seed packets were lent")
    # Both passages say how many ("five packets", "1,200 packets"): the link is the point here.
    excerpt = next(e for e in answer.excerpts if "1,200 packets" in e.quote)
    assert ("https://example.org/seed-bank", "article") in {
        (ln.url, ln.kind) for ln in excerpt.links
    }


def test_nothing_relevant_is_said_plainly(stocked):
    answer = stocked.ask("chocolate cake recipe with almonds")
    assert not answer.found
    assert answer.excerpts == ()


#: Questions written as search syntax, SQL or noise: each is read as plain words.
#: With "Kim" among them the user gets the passage naming Kim; without a word
#: the store holds (or beside names no stored text holds) "nothing relevant".
KIM_AT_WONSAN = "primit de Kim Jong-un la Wonsan"


@pytest.mark.parametrize(
    ("question", "quoted"),
    [
        ('Kim" OR "', KIM_AT_WONSAN),
        ("NOT Kim", KIM_AT_WONSAN),
        ("Kim*", KIM_AT_WONSAN),
        ("title:Kim", KIM_AT_WONSAN),
        ("kim AND (", KIM_AT_WONSAN),
        ("Kim NEAR/2 Lavrov", KIM_AT_WONSAN),
        ("'; DROP TABLE articles; --", None),
        ("🙂🙂🙂 Kim", KIM_AT_WONSAN),
        ("Ким Чен Ын Kim 金正恩", None),
        ("Kim " * 2500, KIM_AT_WONSAN),
    ],
)
def test_hostile_questions_are_read_as_plain_words(stocked, question, quoted):
    answer = stocked.ask(question)
    if quoted is None:
        assert not answer.found and answer.excerpts == ()
    else:
        excerpt = answer.excerpts[0]
        assert quoted in excerpt.quote
        stored = stocked.article_text(excerpt.article_id)
        assert stored[excerpt.quote_start : excerpt.quote_end] == excerpt.quote
        assert "Kim" in {excerpt.quote[s.start : s.end] for s in excerpt.highlights}
    assert stocked.count_articles() == 2
    assert stocked.ask("seed packets lent").found  # the store still answers


# A 10,000-letter run is not a word (too long to index), so not a question.
@pytest.mark.parametrize(
    "question", ["", "   ", '"', "?!…", "—", "\x00\x01", "* : ()", "x" * 10_000]
)
def test_questions_without_words_get_a_clear_message(stocked, question):
    with pytest.raises(InvalidQuery) as raised:
        stocked.ask(question)
    assert "\n" not in str(raised.value)


def test_only_common_words_get_a_hint(stocked):
    with pytest.raises(InvalidQuery, match="common words"):
        stocked.ask("who is it and where was it?")


def test_duplicates_are_recognised_by_content_and_by_url(any_archive):
    first = any_archive.ingest_text(LIBRARY_NOTE, url="https://example.org/seed-bank")
    # The same text with other spacing, quotes and diacritics is the same article.
    respaced = (
        LIBRARY_NOTE.replace("books.", "books .").replace("  ", " ").replace("seeds", "séeds")
    )
    again = any_archive.ingest_text(respaced)
    assert again.duplicate and again.article.id == first.article.id
    moved = any_archive.ingest_text(
        "A different text entirely, about the seed bank.",
        url="https://EXAMPLE.org/seed-bank/?utm_source=feed#top",
    )
    assert moved.duplicate and moved.article.id == first.article.id
    assert any_archive.count_articles() == 1


def test_collections_keep_servers_apart(any_archive):
    any_archive.ingest_text(MIXED_NOTE, collection="guild:1")
    assert any_archive.ask("Wonsan", collections=["guild:1"]).found
    assert not any_archive.ask("Wonsan", collections=["guild:2", "global"]).found
    with pytest.raises(NotFound):
        any_archive.get_article(1, collections=["guild:2"])
    # The same article may live in two collections.
    assert not any_archive.ingest_text(MIXED_NOTE, collection="guild:2").duplicate


def test_remove_takes_the_article_out_of_answers(stocked):
    article = stocked.ask("Wonsan").excerpts[0].article_id
    removed = stocked.remove_article(article)
    assert removed.title.startswith("Lavrov meets Kim")
    assert not stocked.ask("Wonsan").found
    with pytest.raises(NotFound, match=f"#{article}"):
        stocked.remove_article(article)
    assert stocked.count_articles() == 1


def test_list_show_and_stats(stocked):
    listed = stocked.list_articles()
    assert [a.title for a in listed] == [
        "Harbour library opens a seed bank",
        "Lavrov meets Kim Jong Un on the east coast",
    ]
    detail = stocked.get_article(listed[1].id)
    assert detail.opening.startswith("Foreign ministers and leaders")
    assert set(listed[1].languages) == {"ro", "en"}
    stats = stocked.stats()
    assert stats.articles == 2
    assert stats.passages == sum(a.passage_count for a in listed)
    assert stats.languages["ro"] >= 3


@pytest.mark.parametrize(
    ("body", "error"),
    [("", EmptyDocument), ("   \n\t  ", EmptyDocument), ("x" * 6_000_001, TooLarge)],
)
def test_unusable_text_is_refused_and_nothing_is_stored(archive, body, error):
    with pytest.raises(error) as raised:
        archive.ingest_text(body)
    assert "\n" not in str(raised.value)
    assert archive.count_articles() == 0
    assert archive.stats().passages == 0


def test_an_ingest_that_fails_midway_leaves_nothing(archive, sqlite_url):
    # The database itself refuses the vocabulary counts, written after the
    # article and its passages: all of it must be rolled back.
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER full_disk BEFORE INSERT ON terms "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
        )
    with pytest.raises(
        StoreError, match="^The database refused the article: database or disk is full$"
    ):
        archive.ingest_text(LIBRARY_NOTE)
    with engine.begin() as connection:
        connection.execute(text("DROP TRIGGER full_disk"))
        assert connection.execute(text("SELECT count(*) FROM passages")).scalar_one() == 0
    engine.dispose()
    assert archive.count_articles() == 0
    assert archive.stats().passages == 0
    assert not archive.ask("seed bank").found
    archive.ingest_text(LIBRARY_NOTE)
    assert archive.ask("seed bank").found


def test_concurrent_ingests_of_the_same_article_store_it_once(any_archive):
    results = []

    def ingest():
        results.append(any_archive.ingest_text(LIBRARY_NOTE))

    threads = [threading.Thread(target=ingest) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.duplicate for r in results) == [False, True, True, True]
    assert any_archive.count_articles() == 1


def test_an_existing_store_is_reopened_without_loss(sqlite_url):
    with Archivist(KnowledgeConfig(database_url=sqlite_url)) as first:
        first.ingest_text(LIBRARY_NOTE)
    with Archivist(KnowledgeConfig(database_url=sqlite_url)) as again:
        assert again.count_articles() == 1
        assert again.ask("seed bank").found
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version FROM schema_version")).scalars().all()
        assert versions == [1, 2, 3, 4, 5, 6]
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


def test_bundled_examples_load_and_answer(archive):
    outcomes = archive.load_examples()
    assert outcomes and all(o.error is None for o in outcomes)
    answer = archive.ask("who met Kim and where")
    assert any("Wonsan" in q for q in _quotes(answer))
    assert archive.ask("when did the pelicans come back to the Danube Delta").found


def test_document_ingest_respects_body_start(archive):
    doc = Document(
        text="Headline here\n\nThe body sentence about otters.",
        title="Headline here",
        body_start=15,
    )
    stored = archive.ingest_document(doc)
    assert stored.article.passage_count == 1
    assert archive.article_passages(stored.article.id) == ("The body sentence about otters.",)


def test_a_title_match_alone_does_not_make_a_passage_relevant(any_archive):
    any_archive.ingest_text(
        "Harbour ferry returns\n\nThe town council voted on Monday to fund the crossing.\n\n"
        "Tickets cost two euros for adults and nothing for children under ten."
    )
    answer = any_archive.ask("when does the ferry return after the council vote")
    quotes = [e.quote for e in answer.excerpts]
    assert quotes == ["The town council voted on Monday to fund the crossing."]


def test_words_inside_links_are_not_highlighted(any_archive):
    any_archive.ingest_text(
        "Lantern night\n\nHundreds of lanterns were launched over the river. "
        "pic.twitter.com/LaNt3rn0Q7 — Ana (@lanterns_photos) July 12, 2025"
    )
    excerpt = any_archive.ask("lanterns launched").excerpts[0]
    marked = [excerpt.quote[s.start : s.end] for s in excerpt.highlights]
    assert marked == ["lanterns", "launched"]


def test_a_version_1_store_upgrades_without_loss(sqlite_url):
    with Archivist(KnowledgeConfig(database_url=sqlite_url)) as first:
        first.ingest_text(LIBRARY_NOTE)
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # as a store made before migration 2 looks
        connection.execute(text("DROP TABLE passage_vectors"))
        connection.execute(text("DROP TABLE meta"))
        connection.execute(text("DELETE FROM schema_version WHERE version >= 2"))
    engine.dispose()
    with Archivist(KnowledgeConfig(database_url=sqlite_url)) as again:
        assert again.count_articles() == 1
        assert again.ask("seed bank").found
        assert not again.examples_loaded
        again.load_examples()
        assert again.examples_loaded


def test_examples_are_remembered_after_they_are_removed(archive):
    assert not archive.examples_loaded
    for outcome in archive.load_examples():
        archive.remove_article(outcome.result.article.id)
    assert archive.count_articles() == 0
    assert archive.examples_loaded


def test_processes_opening_a_new_store_at_once_all_succeed(store_url):
    # Separate processes, as when the bot and the command line start together on
    # a new store: one migrates it, the others wait and find it ready.
    import subprocess
    import sys

    # Each process imports first, then waits for the word to open: all open at once.
    probe = (
        "import sys; from knowledge import Archivist, KnowledgeConfig;"
        "print('ready', flush=True); sys.stdin.readline();"
        "Archivist(KnowledgeConfig(database_url=sys.argv[1])).close(); print('ok')"
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", probe, store_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    assert [run.stdout.readline().strip() for run in runs] == ["ready"] * 4
    for run in runs:
        run.stdin.write("open\n")
        run.stdin.flush()
    finished = [run.communicate(timeout=120) for run in runs]
    assert [out.strip() for out, _ in finished] == ["ok"] * 4, [err for _, err in finished]
    with Archivist(KnowledgeConfig(database_url=store_url)) as archive:
        assert archive.count_articles() == 0
    engine = create_engine(store_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version FROM schema_version")).scalars().all()
    engine.dispose()
    assert sorted(versions) == [1, 2, 3, 4, 5, 6]


def test_a_stop_listed_word_that_few_passages_use_counts(archive):
    # The English ISO stop list holds "areas"; in this store it is telling.
    archive.ingest_text(
        "Spring floods\n\nEight areas of the delta flooded in April after heavy rain.\n\n"
        + "\n\n".join(
            f"Notice {n}: the ferry kept running on schedule and the harbour stayed open."
            for n in range(45)
        )
    )
    answer = archive.ask("which areas flooded?")
    assert "areas" in answer.terms
    assert answer.excerpts[0].quote.startswith("Eight areas")


def test_a_name_no_stored_text_holds_means_not_stored(stocked):
    # The library note speaks of tomato seeds in spring, but of no Okonkwo:
    # quoting it would answer a question about someone else.
    assert not stocked.ask(
        "Where did the Okonkwo family plant their tomato seeds last spring?"
    ).found
    assert stocked.ask("Where can members plant tomato seeds in spring?").found
