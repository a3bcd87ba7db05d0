"""Whether anything stored answers a question: nothing relevant is better
than noise.

A passage is relevant on its words when enough of the question's weight
matched (``ARCHIVIST_MIN_CONFIDENCE``), or on its meaning when its best
sentence stands out from the store's own spread of cosines for this question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from knowledge.expansion import SURE_MATCH

if TYPE_CHECKING:
    from knowledge.fusion import Candidate
    from knowledge.query import Query
    from knowledge.search import Scored
    from knowledge.semantic import Similarities

#: A best sentence this many standard deviations above the store's mean
#: cosine (for this question) is about what was asked, whatever the words.
#: Calibrated with benchmarks/abstention.py: with half of XQuAD stored, 95-99%
#: of the questions about stored articles are answered and 11-14% of the
#: others, in en-en, ro-ro and en-ro.
SURE_Z = 1.8
#: Below this, a lexical match alone is not believed: the words match but the
#: meaning is elsewhere ("the capital of Mongolia" over a store of French news).
DOUBT_Z = 1.1
#: The same two in a store too small for a spread of its own, judged against
#: the background sentences (calibrated on stores of 3 and 10 XQuAD articles).
SMALL_SURE_Z = 2.2
SMALL_DOUBT_Z = 1.4
#: Spread below which a store is too uniform to judge by z-score.
MIN_SPREAD = 0.02
#: How much more of the question must match when it names something unknown.
UNKNOWN_NAME_FLOOR = 1.3
#: How much less must match when the question's language is not the store's.
CROSS_LANGUAGE_FLOOR = 0.8
#: Share of the floor enough for a passage whose own text holds two of the
#: question's words, or one of its names: that is evidence beyond coverage.
STRONG_FLOOR_SHARE = 0.5
#: Of the question's words, how many a passage's own text must hold for that
#: to count as evidence beyond coverage.
STRONG_MATCHES = 2
#: Passages scoring below this share of the best are not worth showing
#: (lexical scores), or this many standard deviations below it (fused).
TRAILING_SHARE = 0.25
TRAILING_GAP = 3.0
#: Once one passage shows the question is about something stored, this many of
#: the best are shown even if their own evidence is weaker.
SHOWN_ONCE_RELEVANT = 5


def _floor(query: Query, floor: float, same_language: bool) -> tuple[float, bool]:
    """The share of the question's weight a passage must match, and whether the
    question names something no stored text holds.

    Across languages half of a question's words have no counterpart, so where
    the store is not written in the question's language the floor is lower.
    A name no stored text holds, where the store is written in the question's
    language, says the question is about something not stored: then more is
    needed. Across languages names are spelled apart (Warsaw, Varșovia).
    """
    unknown_name = same_language and any(
        t.term in query.names and not t.expansions for t in query.terms
    )
    if unknown_name:
        return floor * UNKNOWN_NAME_FLOOR, True
    if not same_language:
        return floor * CROSS_LANGUAGE_FLOOR, False
    return floor, False


def _lexically_sure(query: Query, scored: Scored, floor: float, unknown_name: bool) -> bool:
    """Enough of the question matched; a lower share is enough when the passage
    text itself holds two of the question's words, or a name from it."""
    if scored.score <= 0 or not (scored.body_matches or scored.heading_matches):
        # A passage is quoted for what it or its heading says; the article
        # title alone matches every passage of the article.
        return False
    if scored.coverage >= floor:
        return True
    if unknown_name:
        return False
    strong = len(scored.body_matches) >= STRONG_MATCHES or any(
        scored.body_matches.get(name, 0.0) >= SURE_MATCH for name in query.names
    )
    return strong and scored.coverage >= STRONG_FLOOR_SHARE * floor


def lexically_relevant(
    query: Query, ranked: list[Scored], floor: float, same_language: bool
) -> list[Scored]:
    """Passages worth quoting on their words alone: enough of the question
    covered, and not far behind the best."""
    floor, unknown_name = _floor(query, floor, same_language)
    confident = [s for s in ranked if _lexically_sure(query, s, floor, unknown_name)]
    if not any(s.body_matches for s in confident):
        return []
    best = confident[0].score
    return [s for s in confident if s.score >= TRAILING_SHARE * best]


def relevant_candidates(
    query: Query,
    candidates: list[Candidate],
    found: Similarities,
    min_confidence: float,
    same_language: bool,
    abstain: bool = True,
) -> list[Candidate]:
    """Candidates worth quoting, by words or by meaning.

    The meaning is judged by the best sentence's cosine as a z-score against
    this question's cosines over the whole store: raw cosines shift with the
    language pair and the model, the spread does not.
    """
    mean, spread = found.spread()
    spread = max(spread, MIN_SPREAD)
    floor, unknown_name = _floor(query, min_confidence, same_language)
    sure_z, doubt_z = (SMALL_SURE_Z, SMALL_DOUBT_Z) if found.borrowed else (SURE_Z, DOUBT_Z)

    def z(candidate: Candidate) -> float | None:
        cosine = candidate.sentence if candidate.sentence is not None else candidate.cosine
        return None if cosine is None else (cosine - mean) / spread

    def meaningful(candidate: Candidate) -> bool:
        evidence = z(candidate)
        lexical = candidate.lexical is not None and _lexically_sure(
            query, candidate.lexical, floor, unknown_name
        )
        if evidence is None:
            return lexical
        if lexical:
            return evidence >= doubt_z
        return evidence >= sure_z and not unknown_name

    flags = [meaningful(c) for c in candidates]
    if not abstain:
        flags = [True] * len(candidates)
    if not any(flags):
        return []
    # The question is about something stored: the best few are shown whatever
    # their own evidence (the answer is often in the second passage), the rest
    # only where they are relevant themselves.
    best = candidates[0].score
    return [
        c
        for n, (c, relevant) in enumerate(zip(candidates, flags, strict=True))
        if (relevant or n < SHOWN_ONCE_RELEVANT) and c.score >= best - TRAILING_GAP
    ]
