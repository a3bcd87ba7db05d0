"""Scoring the passages that answer a query (:mod:`knowledge.query`).

1. **Candidates.** The database's own full-text index returns the passages
   that contain any expanded word (:mod:`knowledge.expansion`), best first by
   its BM25-style rank.
2. **Rank.** Candidates are scored in Python: BM25 weighting over the
   similarity-weighted term matches in the passage body, plus a smaller share
   for matches in the article title and the passage heading, which is how a
   passage about "the North Korean leader" belongs to an article titled with
   Kim's name, and a bonus when the passage holds the kind of answer asked for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowledge.expansion import SURE_MATCH
from knowledge.text import terms

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.fulltext import FullText
    from knowledge.query import Query

#: Candidates fetched from the full-text index per question.
CANDIDATES = 250
#: BM25 parameters and the weight of title/heading matches relative to body ones.
K1, B = 1.2, 0.75
CONTEXT_WEIGHT = 0.8
#: Length (in terms) BM25 compares each passage with: about a paragraph of news.
AVERAGE_PASSAGE_TERMS = 110.0
#: Share of its article's best score lent to each passage of the article.
ARTICLE_WEIGHT = 0.3
#: Weight of a body match on a word the title or heading already holds.
TOPIC_DISCOUNT = 0.3
#: Full-text lookups per question: fuzzy forms per term, and words in all.
FUZZY_LOOKUPS = 3
MAX_LOOKUPS = 48
#: Words always looked up, whatever the backend's postings budget.
MIN_LOOKUPS = 3
#: Score bonus, as a share of the question's weight, for a passage holding the
#: kind of answer asked for ("where" -> a place), and a larger one when the
#: quote itself holds it.
KIND_BONUS = 0.2
QUOTE_KIND_BONUS = 0.5
#: Best candidates whose quotes are drawn before the final order is set.
RERANK = 15

#: Capital letters that start a name (the kinds "place" and "person").
_UPPER = "A-ZĂÂÎȘŞȚŢÉÈÖÜÇ"
_KIND_PATTERNS = {
    "place": re.compile(
        r"\b(?:in|at|near|from|outside|inside|la|în|din|lângă|langa|spre|pe)\s+"
        r"(?:the\s+|(?:city|town|village|region|port|capital|resort) of\s+|"
        r"[a-zăâîșşțţ]+(?:-[a-zăâîșşțţ]+)?\s+)?"
        rf"[{_UPPER}][\w-]+"
    ),
    "time": re.compile(
        r"\b(?:1[0-9]{3}|20[0-9]{2})\b|\b(?:january|february|march|april|june|july|august|"
        r"september|october|november|december|ianuarie|februarie|martie|aprilie|iunie|"
        r"iulie|septembrie|octombrie|noiembrie|decembrie)\b|"
        # "may" and "mai" are also a verb and "more": only with a day number.
        r"\b\d{1,2}\s+(?:may|mai)\b|\b(?:may|mai)\s+\d{1,2}\b",
        re.IGNORECASE,
    ),
    # Numbers written as words count too: "drei", "three", "trei".
    "number": re.compile(
        r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|"
        r"thirty|forty|fifty|hundred|thousand|million|billion|dozen|"
        r"unu|una|doi|două|doua|trei|patru|cinci|șase|şase|sase|șapte|şapte|sapte|opt|nouă|"
        r"noua|zece|douăzeci|sute|sută|mii|milioane|"
        r"eins|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|zwölf|zwanzig|hundert|"
        r"tausend|millionen|"
        r"deux|trois|quatre|cinq|sept|huit|neuf|dix|vingt|cent|mille)\b",
        re.IGNORECASE,
    ),
    "person": re.compile(rf"(?<![.!?]\s)\b[{_UPPER}][a-zăâîșşțţé]+\s+[{_UPPER}][a-zăâîșşțţé]+"),
}


def answer_kinds(passage_text: str) -> str:
    """The kinds of answer a passage holds, space separated, stored at ingest."""
    return " ".join(
        kind for kind, pattern in _KIND_PATTERNS.items() if pattern.search(passage_text)
    )


def quote_bonus(query: Query, quote: str) -> float:
    """Extra score for a quote that holds the kind of answer the question asks for."""
    if not query.kinds:
        return 0.0
    held = query.kinds.intersection(answer_kinds(quote).split())
    return QUOTE_KIND_BONUS * query.total_weight * len(held) / len(query.kinds)


@dataclass
class Scored:
    passage_id: int
    article_id: int
    score: float
    #: share of the question's weight the passage (body or context) matches
    coverage: float
    body_matches: dict[str, float] = field(default_factory=dict)
    #: whether the passage's own heading (not only the article title) matches
    heading_matches: bool = False


def candidate_words(query: Query, budget: int) -> list[str]:
    """The stored words to look up in the full-text index, most telling first.

    Every posting costs time, so each term brings its surest forms and a few
    fuzzier ones, and words are taken by weight until their postings fill a
    budget: the most common words are then left to ranking, which still
    counts them in the passages the rarer words found.
    """
    value: dict[str, float] = {}
    postings: dict[str, int] = {}
    for qt in query.terms:
        ordered = sorted(qt.expansions.items(), key=lambda kv: -kv[1])
        for n, (word, similarity_) in enumerate(ordered):
            if similarity_ >= SURE_MATCH or n < FUZZY_LOOKUPS:
                value[word] = max(similarity_ * qt.weight, value.get(word, 0.0))
                postings[word] = qt.frequencies.get(word, 0)
    chosen: list[str] = []
    spent = 0
    for word in sorted(value, key=lambda w: -value[w]):
        if len(chosen) == MAX_LOOKUPS:
            break
        if chosen and spent + postings[word] > budget and len(chosen) >= MIN_LOOKUPS:
            continue
        chosen.append(word)
        spent += postings[word]
    return chosen


def rank(
    session: Session,
    backend: FullText,
    query: Query,
    collections: Sequence[str],
    limit: int = CANDIDATES,
) -> list[Scored]:
    """Candidate passages of ``collections`` scored for ``query``, best first."""
    words = candidate_words(query, backend.posting_budget)
    if not words:
        return []
    rows = backend.candidates(session, words, collections, limit)
    index = query.word_index()
    total_weight = query.total_weight or 1.0
    results = []
    for row in rows:
        body = row.body_terms.split()
        tf = [0.0] * len(query.terms)
        body_best = [0.0] * len(query.terms)
        # Set intersection and list.count run in C; a loop over every word
        # of every candidate would not.
        for word in index.keys() & set(body):
            count = body.count(word)
            for i, value in index[word]:
                tf[i] += value * count
                if value > body_best[i]:
                    body_best[i] = value
        context_best = [0.0] * len(query.terms)
        for word in index.keys() & set(row.context_terms.split()):
            for i, value in index[word]:
                if value > context_best[i]:
                    context_best[i] = value
        norm = K1 * (1 - B + B * len(body) / AVERAGE_PASSAGE_TERMS)
        score = 0.0
        covered = 0.0
        matches: dict[str, float] = {}
        for i, qt in enumerate(query.terms):
            if tf[i]:
                # A word already in the title or heading says less about which
                # of the article's passages answers: the article is about it.
                known = TOPIC_DISCOUNT if context_best[i] >= SURE_MATCH else 1.0
                score += known * qt.weight * body_best[i] * (tf[i] * (K1 + 1)) / (tf[i] + norm)
                matches[qt.term] = body_best[i]
            score += CONTEXT_WEIGHT * qt.weight * context_best[i]
            covered += qt.weight * max(body_best[i], context_best[i])
        if query.kinds and matches:
            # The kind of answer counts beside the question's words, as much as
            # they match: a digit is no answer to "how many" in a passage
            # about something else.
            held = query.kinds.intersection(row.features.split())
            share = sum(qt.weight * body_best[i] for i, qt in enumerate(query.terms))
            score += KIND_BONUS * share * len(held) / len(query.kinds)
        if query.unanchored:
            # Only words any news store holds match: nothing here is about
            # what was asked, however many of them a passage holds.
            covered = 0.0
        heading = bool(row.heading) and any(term in index for term in terms(row.heading or ""))
        results.append(
            Scored(row.id, row.article_id, score, covered / total_weight, matches, heading)
        )
    # A passage of the article that answers best is likelier to answer than an
    # equal one elsewhere: the article's best score lends each passage a share.
    article_best: dict[int, float] = {}
    for scored in results:
        best = article_best.get(scored.article_id, 0.0)
        article_best[scored.article_id] = max(scored.score, best)
    for scored in results:
        scored.score += ARTICLE_WEIGHT * article_best[scored.article_id]
    results.sort(key=lambda s: (-s.score, s.passage_id))
    return results
