"""Votes, unanswered questions, gaps, helpful pairs, forgetting a person, and title look-ups,
on each backend."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from knowledge import Archivist, KnowledgeConfig
from knowledge.errors import InputError

SERVER = "guild:1"
OTHER = "guild:2"

FERRY = (
    "Harbour council approves new ferry line\n\nThe harbour council of Constanța voted on "
    "Tuesday to open a ferry line to Varna. Mayor Elena Dobre said the first boat would sail "
    "in June."
)


def rows(url: str, table: str, where: str = "1=1") -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(f"SELECT * FROM {table} WHERE {where}")))
    finally:
        engine.dispose()


def vote(archive: Archivist, user: str, helpful: bool, *, answer: str = "900", **kw):
    values = dict(
        answer_ref=answer,
        collection=SERVER,
        user_id=user,
        helpful=helpful,
        question="when does the ferry sail",
        excerpts=[(1, 10), (1, 11)],
    )
    values.update(kw)
    return archive.record_vote(**values)


def test_a_changed_vote_replaces_the_first(any_archive, store_url):
    first = vote(any_archive, "7", True)
    assert first.stored and not first.replaced
    pairs = any_archive.helpful_pairs(collections=[SERVER])
    assert [(p.question, p.article_id, p.passage_id, p.rank) for p in pairs] == [
        ("when does the ferry sail", 1, 10, 1),
        ("when does the ferry sail", 1, 11, 2),
    ]
    changed = vote(any_archive, "7", False)
    assert changed.replaced and not changed.helpful
    assert len(rows(store_url, "votes")) == 1
    assert any_archive.helpful_pairs(collections=[SERVER]) == []
    report = any_archive.gaps(collections=[SERVER])
    assert [(g.question, g.count, g.not_helpful) for g in report.gaps] == [
        ("when does the ferry sail", 1, 1)
    ]


def test_votes_keep_only_the_question_and_the_excerpt_ids(any_archive, store_url):
    vote(any_archive, "7", True, question="  when   does the ferry sail  ")
    (row,) = rows(store_url, "votes")
    stored = dict(zip(["id", "collection", "answer_ref", "user_id", "helpful"], row, strict=False))
    assert stored["collection"] == SERVER and stored["answer_ref"] == "900"
    assert "when does the ferry sail" in row and "[[1, 10], [1, 11]]" in row


def test_an_answer_from_one_server_cannot_be_voted_from_another(any_archive):
    vote(any_archive, "7", True)
    with pytest.raises(InputError, match="another server"):
        vote(any_archive, "8", True, collection=OTHER)


def test_gaps_group_near_duplicates_per_server(any_archive):
    for question in (
        "When does the ferry sail?",
        "when does the ferry sail",
        "when  does the ferry  sail!!",
        "who is the mayor of Varna",
        "who is the mayor of Constanta",
    ):
        any_archive.record_unanswered(question, collection=SERVER, user_id="7")
    any_archive.record_unanswered("a question elsewhere", collection=OTHER, user_id="7")
    vote(any_archive, "9", False, question="When does the ferry sail")

    report = any_archive.gaps(collections=[SERVER])
    assert report.total == 3
    top = report.gaps[0]
    assert (top.count, top.unanswered, top.not_helpful) == (4, 3, 1)
    assert "ferry sail" in top.question.lower()
    assert {g.question for g in report.gaps[1:]} == {
        "who is the mayor of Varna",
        "who is the mayor of Constanta",
    }
    assert top.last_asked >= report.gaps[1].last_asked[:10]
    assert "a question elsewhere" not in [g.question for g in report.gaps]
    page = any_archive.gaps(collections=[SERVER], limit=1, offset=1)
    assert len(page.gaps) == 1 and page.total == 3 and page.offset == 1


def test_gaps_look_back_only_the_days_asked(any_archive, store_url):
    any_archive.record_unanswered("old question about tides", collection=SERVER, user_id="7")
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE asked_questions SET asked_at = '2001-01-01 00:00:00'"))
    engine.dispose()
    any_archive.record_unanswered("new question about tides", collection=SERVER, user_id="7")
    recent = any_archive.gaps(collections=[SERVER], days=7)
    assert [g.question for g in recent.gaps] == ["new question about tides"]
    assert any_archive.gaps(collections=[SERVER]).total == 2
    with pytest.raises(InputError):
        any_archive.gaps(collections=[SERVER], days=0)


def test_forgetting_a_person_removes_exactly_their_rows(any_archive, store_url):
    any_archive.record_unanswered("chess results", collection=SERVER, user_id="7")
    any_archive.record_unanswered("chess results", collection=OTHER, user_id="7")
    any_archive.record_unanswered("chess results", collection=SERVER, user_id="8")
    vote(any_archive, "7", True)
    vote(any_archive, "8", False)
    forgotten = any_archive.forget_user("7")
    assert (forgotten.questions, forgotten.votes) == (2, 1)
    assert [r.user_id for r in rows(store_url, "asked_questions")] == ["8"]
    assert [r.user_id for r in rows(store_url, "votes")] == ["8"]
    assert any_archive.forget_user("7").questions == 0


def test_questions_are_stored_within_2000_characters(any_archive, store_url):
    any_archive.record_unanswered("tide " * 1000, collection=SERVER, user_id="7")
    vote(any_archive, "7", False, question="tide " * 1000)
    assert [len(r.question) for r in rows(store_url, "asked_questions")] == [2000]
    assert [len(r.question) for r in rows(store_url, "votes")] == [2000]


def test_question_logging_off_stores_nothing(store_url):
    config = KnowledgeConfig(database_url=store_url, log_questions=False)
    with Archivist(config) as archive:
        assert archive.record_unanswered("chess", collection=SERVER, user_id="7") is False
        assert vote(archive, "7", True).stored is False
        assert archive.gaps(collections=[SERVER]).total == 0
    assert rows(store_url, "asked_questions") == [] and rows(store_url, "votes") == []


def test_suggestions_by_title_newest_first_and_bounded(any_archive):
    ids = [
        any_archive.ingest_text(
            f"Parish bulletin {n}\n\nThe parish bulletin number {n} lists the fair.",
            collection=SERVER,
        ).article.id
        for n in range(30)
    ]
    ferry = any_archive.ingest_text(FERRY, collection="global", date="2025-07-01").article.id
    elsewhere = any_archive.ingest_text(
        "Ferry timetable\n\nThe ferry sails at noon.", collection=OTHER
    ).article.id

    newest = any_archive.suggest_articles("", collections=[SERVER, "global"])
    assert len(newest) == 25 and newest[0].id == ferry and newest[1].id == ids[-1]

    found = any_archive.suggest_articles("harbor councel ferry", collections=[SERVER, "global"])
    assert found[0].id == ferry and found[0].date == "2025-07-01"
    assert elsewhere not in [c.id for c in found]

    by_number = any_archive.suggest_articles(f"#{ids[3]}", collections=[SERVER, "global"])
    assert by_number[0].id == ids[3]
    assert any_archive.suggest_articles(f"#{elsewhere}", collections=[SERVER]) == []


def test_the_store_is_at_version_6_and_an_older_one_upgrades(sqlite_url):
    with Archivist(KnowledgeConfig(database_url=sqlite_url)) as archive:
        archive.record_unanswered("chess", collection=SERVER, user_id="7")
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # as version 5 left it
        connection.execute(text("DROP TABLE asked_questions"))
        connection.execute(text("DROP TABLE votes"))
        connection.execute(text("DELETE FROM schema_version WHERE version = 6"))
    engine.dispose()
    config = KnowledgeConfig(database_url=sqlite_url)
    with Archivist(config) as archive:
        assert archive.gaps(collections=[SERVER]).total == 0
        archive.record_unanswered("chess", collection=SERVER, user_id="7")
        assert archive.gaps(collections=[SERVER]).total == 1
    versions = [r[0] for r in rows(sqlite_url, "schema_version")]
    assert versions == [1, 2, 3, 4, 5, 6]
