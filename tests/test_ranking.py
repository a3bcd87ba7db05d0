"""Ranking, relevance and quote choice as units, over a few short passages.

The passages are stored in a real SQLite file (semantic search off, so the
words alone decide); each step is then called on its own: ``search.rank``
orders the candidates, ``relevance.lexically_relevant`` keeps or refuses them,
``answer.excerpt`` picks the sentences to quote.
"""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from knowledge import Archivist, KnowledgeConfig, answer, fulltext, relevance, search, store
from knowledge.expansion import Expander
from knowledge.query import Query, build_query

HARBOUR_NOTES = """Harbour notes

The ferry timetable changes in May: boats to Varna leave every two hours.

The ferry crew trained on the new boat all winter.

The bakery on the quay sells plum cake on Sundays."""

VARNA_LINE = """Ferry line to Varna

The harbour council met on Tuesday evening in the old customs house. After a long debate \
about fuel costs, it voted to buy a second ferry for the Varna line. The new boat will sail \
for the first time in June. Tickets stay at two euros for adults."""

TIMETABLE = "The ferry timetable changes in May: boats to Varna leave every two hours."
CREW = "The ferry crew trained on the new boat all winter."
BAKERY = "The bakery on the quay sells plum cake on Sundays."


@pytest.fixture
def session(sqlite_url):
    with Archivist(KnowledgeConfig(database_url=sqlite_url, semantic="off")) as archive:
        archive.ingest_text(HARBOUR_NOTES)
        archive.ingest_text(VARNA_LINE)
    engine = create_engine(sqlite_url)
    with Session(engine) as opened:
        yield opened
    engine.dispose()


def ranked(session: Session, question: str) -> tuple[Query, list[search.Scored]]:
    expander = Expander()
    query = build_query(session, expander, question, expander.passage_count(session))
    return query, search.rank(session, fulltext.for_dialect("sqlite"), query, ["global"])


def quote(session: Session, query: Query, scored: search.Scored) -> str:
    [(passage, article)] = store.load_passages(session, [scored.passage_id]).values()
    return answer.excerpt(query, query.word_index(), scored, passage, article).quote


def texts(session: Session, query: Query, scored: list[search.Scored]) -> list[str]:
    return [quote(session, query, s) for s in scored]


def test_rank_puts_the_passage_with_every_word_first(session):
    query, candidates = ranked(session, "ferry timetable")
    # Both words, then one word in a note about ferries, then one in a passage
    # about something else; the bakery holds neither and is no candidate.
    assert texts(session, query, candidates[:2]) == [TIMETABLE, CREW]
    assert len(candidates) == 3
    assert candidates[0].coverage == 1.0
    assert candidates[0].score > candidates[1].score > candidates[2].score


def test_relevance_keeps_what_covers_the_question_and_drops_the_rest(session):
    query, candidates = ranked(session, "ferry timetable")
    kept = relevance.lexically_relevant(query, candidates, 0.25, same_language=True)
    # "ferry" alone covers too little of the question to be worth quoting.
    assert texts(session, query, kept) == [TIMETABLE]


@pytest.mark.parametrize(("floor", "shown"), [(0.25, [BAKERY]), (0.9, [])])
def test_relevance_refuses_a_weak_match_above_the_floor(session, floor, shown):
    # Two of the question's five words: enough at the default floor, not at 0.9.
    query, candidates = ranked(session, "plum cake prices at the market")
    kept = relevance.lexically_relevant(query, candidates, floor, same_language=True)
    assert texts(session, query, kept) == shown


def test_relevance_never_quotes_a_passage_for_its_title_alone(session):
    query, _ = ranked(session, "ferry timetable")
    # The article title holds every word; the passage itself none of them.
    title_only = search.Scored(1, 1, score=5.0, coverage=1.0, body_matches={})
    assert relevance.lexically_relevant(query, [title_only], 0.25, same_language=True) == []


def test_quote_is_the_sentence_that_answers_with_its_neighbours(session):
    query, candidates = ranked(session, "when will the new ferry sail")
    assert quote(session, query, candidates[0]) == (
        "After a long debate about fuel costs, it voted to buy a second ferry for the Varna "
        "line. The new boat will sail for the first time in June. Tickets stay at two euros "
        "for adults."
    )
