"""A question made into a query on the store: its terms weighted by how rare
they are and expanded against the stored vocabulary, the kinds of answer it
asks for, its names and language.

:mod:`knowledge.question` reads the question's words; this module weighs them
against what is stored; :mod:`knowledge.search` scores passages for the query.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from knowledge import store
from knowledge.question import (
    FILLER,
    generic,
    names,
    query_terms,
    question_language,
)
from knowledge.text import fold
from knowledge.wordforms import LANGUAGES, word_languages

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.expansion import Expander

#: A number in a question is as precise as a name: its weight is raised this much.
NUMBER_WEIGHT = 1.5
#: Numbers of at least this many digits (a year, a count) are that precise.
PRECISE_NUMBER_DIGITS = 3
#: A stop-listed word in at most this share of passages counts as content.
RARE_SHARE = 0.05
RARE_MIN_PASSAGES = 40
#: A stop-listed word shorter than this stays a stop word however rare it is.
RARE_MIN_CHARS = 4

#: How a question asks for each kind of answer (the kinds a passage holds are
#: found by :func:`knowledge.search.answer_kinds`).
_QUESTION_KINDS = (
    (
        re.compile(
            r"^(?:where|unde|from where|de unde|in what (?:city|country|place)|wo|woher|wohin|"
            r"ou|d ou)\b"
        ),
        "place",
    ),
    (
        re.compile(
            r"^(?:when|cand|what year|in what year|in ce an|ce an|what date|wann|seit wann|"
            r"in welchem jahr|quand|en quelle annee)\b"
        ),
        "time",
    ),
    (
        re.compile(
            r"^(?:how (?:many|much|long|old|far)|cat|cati|cate|ce numar|wie (?:viele|viel|lang|alt|"
            r"weit|hoch)|combien)\b"
        ),
        "number",
    ),
    (re.compile(r"^(?:who|whom|cine|pe cine|wer|wen|wem|qui)\b"), "person"),
)

#: How a chat message may lead up to its question: "ok so does anybody know
#: how many ...", "can you tell me where ...".
_PREAMBLE = FILLER | frozenset(
    "does do did can could would you u i we me us tell know knows".split()
)


def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of answer a question asks for: "who met Kim and where" asks a
    person and a place."""
    folded = fold(question)
    clauses = re.split(r"[,;?!:]|\b(?:and|si)\b", folded)
    kinds = set()
    for clause in clauses:
        words = clause.split()
        while words and words[0].strip(".") in _PREAMBLE:
            words.pop(0)
        clause = " ".join(words)
        for pattern, kind in _QUESTION_KINDS:
            if pattern.match(clause):
                kinds.add(kind)
    return frozenset(kinds)


@dataclass(frozen=True)
class QueryTerm:
    term: str
    weight: float  # inverse document frequency
    #: stored word -> similarity to the term, 0..1
    expansions: dict[str, float]
    #: stored word -> passages holding it
    frequencies: dict[str, int] = field(default_factory=dict)
    #: a word any news store holds (:data:`knowledge.question.GENERIC`)
    generic: bool = False


@dataclass(frozen=True)
class Query:
    question: str
    terms: tuple[QueryTerm, ...]
    kinds: frozenset[str] = frozenset()
    #: Terms that are names in the question ("Kuechly"): a passage naming them
    #: is on topic even when the question's other words find no counterpart.
    names: frozenset[str] = frozenset()
    #: The language the question is written in (one with a stop list).
    language: str = "en"
    #: The languages whose word forms its terms are matched in.
    languages: tuple[str, ...] = LANGUAGES

    @property
    def unanchored(self) -> bool:
        """Whether every word that says what the question is about, other than
        words any news store holds ("capital", "million"), is unknown to the
        store: then no stored passage is about it."""
        specific = [t for t in self.terms if not t.generic]
        return bool(specific) and not any(t.expansions for t in specific)

    @property
    def total_weight(self) -> float:
        return sum(t.weight for t in self.terms)

    def word_index(self) -> dict[str, list[tuple[int, float]]]:
        """stored word -> [(term index, similarity)], to score texts in one pass."""
        index: dict[str, list[tuple[int, float]]] = {}
        for i, qt in enumerate(self.terms):
            for word, similarity in qt.expansions.items():
                index.setdefault(word, []).append((i, similarity))
        return index


def build_query(session: Session, expander: Expander, question: str, total: int) -> Query:
    """Weighted, expanded terms of ``question``; terms unknown to the store weigh
    as much as the rarest word, so a question about something never stored
    does not look covered by its one common word."""

    def rare(listed: list[str]) -> set[str]:
        # A listed word that few passages use is content here ("areas"); a
        # handful of passages says too little to overrule the list.
        if total < RARE_MIN_PASSAGES:
            return set()
        dfs = store.document_frequencies(session, listed)
        return {
            t
            for t in listed
            if len(t) >= RARE_MIN_CHARS and 0 < dfs.get(t, 0) <= RARE_SHARE * total
        }

    built = []
    stored = expander.languages(session)
    language = question_language(question, stored)
    languages = word_languages(language, stored)
    for term in query_terms(question, keep=rare, language=language):
        expansion = expander.expand(session, term, languages)
        df = expansion.df
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        if term.isdigit() and len(term) >= PRECISE_NUMBER_DIGITS:
            idf *= NUMBER_WEIGHT
        common = not term.isdigit() and generic(term)
        built.append(QueryTerm(term, idf, expansion.words, expansion.frequencies, common))
    return Query(
        question,
        tuple(built),
        asked_kinds(question),
        names(question),
        language,
        languages,
    )
