"""Expanding a question's terms against the stored vocabulary.

Every weighted term of a question is matched against the words the store
holds: the same word, its lemmas and stems (:mod:`knowledge.wordforms`),
cognates sharing a stem (``discuss`` ~ ``discutat``, ``inauguration`` ~
``inaugurare``), also when spelled apart (``pharmacy`` ~ ``farmacie``,
``technician`` ~ ``tehnician``), and close spellings (``Sergey`` ~
``Serghei``), scored 0..1 with rapidfuzz.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from threading import Lock
from typing import TYPE_CHECKING

from rapidfuzz.distance import Indel, JaroWinkler, Prefix

from knowledge import store
from knowledge.wordforms import (
    LANGUAGES,
    MIN_FORM_CHARS,
    cognate_key,
    irregular_forms,
    romanian_spellings,
    variants,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

#: Stored words looked at per query term when expanding it.
VOCABULARY_SCAN = 3000
#: Expanded words kept per query term.
EXPANSIONS = 40
#: Similarity below which a stored word does not count as the query term.
MIN_SIMILARITY = 0.72
#: Similarity of a stored word sharing a form (lemma, stem) with the term: as
#: sure as the word itself short of being it, and a bar no spelling likeness
#: reaches.
SAME_FORM = 0.95
#: A term matched at least this closely is the word itself or a sure form of it
#: (a cognate sharing the stem scores this much).
SURE_MATCH = 0.85
#: Similarity of cognates that share a stem only once spelled alike.
COGNATE_SIMILARITY = 0.8
#: Spelling likeness (Indel) a word under 7 letters needs to count: short words
#: differ in few letters and mean different things (start, state).
SHORT_WORD_LIKENESS = 0.85
#: Jaro-Winkler likeness from which two names are one transliterated apart
#: (Sergey ~ Serghei), and what is taken off it: a name is never a sure match.
NAME_LIKENESS = 0.88
NAME_DISCOUNT = 0.12
#: A language counts as the store's when at least this share of passages is in it.
STORE_LANGUAGE_SHARE = 0.05
#: Letters two words' shortest forms must share at their start to be forms of
#: one stem (discuss ~ discut-at), short of the shorter one's last letter.
COGNATE_STEM = 5
#: Words shorter than this are not compared by spelling at all: too few
#: letters to tell a variant from another word.
SPELLING_MIN = 4
#: Words this long or longer count by spelling likeness alone; shorter ones
#: need :data:`SHORT_WORD_LIKENESS`.
SHORT_WORD = 7
#: Names are compared from this length, and only where they open alike.
NAME_MIN = 5
NAME_OPENING = 4
#: A stored word is looked for under the first letters of each form of the
#: term: four of a long form (six letters or more), three of a shorter one.
LONG_FORM = 6
LONG_PREFIX, SHORT_PREFIX = 4, 3
#: Seconds an expansion and the store's passage count are trusted: other
#: processes' ingests show up within this, besides the generation check.
CACHE_SECONDS = 60.0
#: Expanded terms remembered (the cache is emptied when full).
CACHED_TERMS = 4096


def similarity(term: str, word: str, languages: tuple[str, ...] = LANGUAGES) -> float:
    """How surely a stored ``word`` is a form of the query ``term``, 0..1, with
    word forms of ``languages``."""
    if term == word:
        return 1.0
    if term.isdigit() or word.isdigit() or "." in term or "." in word:
        return 0.0
    term_forms = variants(term, languages) | {term}
    word_forms = variants(word, languages) | {word}
    if term_forms & word_forms:
        return SAME_FORM
    # Ties broken by spelling: set order changes with every process's hash seed.
    shortest_term = min(term_forms, key=_length_then_spelling)
    shortest_word = min(word_forms, key=_length_then_spelling)
    shared = Prefix.similarity(shortest_term, shortest_word)
    shorter = min(len(shortest_term), len(shortest_word))
    best = 0.0
    # Cognates across languages share their stem: discuss ~ discut(at).
    if shared >= COGNATE_STEM and shared >= shorter - 1:
        best = SURE_MATCH
    else:
        # ... also when spelled apart: pharmacy ~ farmacie, physician ~ fizician.
        term_key, word_key = cognate_key(shortest_term), cognate_key(shortest_word)
        shared = Prefix.similarity(term_key, word_key)
        if shared >= COGNATE_STEM and shared >= min(len(term_key), len(word_key)) - 1:
            best = COGNATE_SIMILARITY
    shortest = min(len(term), len(word))
    if shortest >= SPELLING_MIN and term[0] == word[0]:
        # Short words differ in few letters and mean different things
        # (start, state): they must be closer to count. Spelling variants
        # keep their first letter; heating and eating are different words.
        close = Indel.normalized_similarity(term, word)
        if shortest >= SHORT_WORD or close >= SHORT_WORD_LIKENESS:
            best = max(best, close * SAME_FORM)
    # Names transliterated differently keep their opening: Sergey ~ Serghei.
    if shortest >= NAME_MIN and Prefix.similarity(term, word) >= NAME_OPENING:
        jaro = JaroWinkler.similarity(term, word)
        if jaro >= NAME_LIKENESS:
            best = max(best, jaro - NAME_DISCOUNT)
    return best if best >= MIN_SIMILARITY else 0.0


def _length_then_spelling(form: str) -> tuple[int, str]:
    return len(form), form


@dataclass(frozen=True)
class Expansion:
    """A query term's stored forms: similarity and passage count of each, and
    the term's own document frequency."""

    words: dict[str, float]
    frequencies: dict[str, int]
    df: int


class Expander:
    """Expands query terms against the stored vocabulary, with a short-lived cache
    (of the passage count too).

    The cache is cleared whenever this process changes the store, and entries
    expire after ``ttl`` seconds so that other processes' ingests show up.
    """

    def __init__(self, ttl: float = CACHE_SECONDS, size: int = CACHED_TERMS) -> None:
        self._ttl = ttl
        self._size = size
        self._cache: dict[tuple[str, tuple[str, ...]], tuple[float, Expansion]] = {}
        self._lock = Lock()
        self._total: tuple[float, int, frozenset[str]] | None = None

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._total = None

    def passage_count(self, session: Session) -> int:
        """Passages stored, for inverse document frequencies; counting 100,000
        rows costs milliseconds a question, and a count a minute old weighs
        terms the same."""
        return self._facts(session)[0]

    def languages(self, session: Session) -> frozenset[str]:
        """Languages of at least :data:`STORE_LANGUAGE_SHARE` of the stored passages."""
        return self._facts(session)[1]

    def _facts(self, session: Session) -> tuple[int, frozenset[str]]:
        now = time.monotonic()
        with self._lock:
            cached = self._total
        if cached and now - cached[0] < self._ttl:
            return cached[1], cached[2]
        counts = store.language_counts(session)
        total = max(sum(counts.values()), 1)
        languages = frozenset(
            lang for lang, n in counts.items() if lang and n >= STORE_LANGUAGE_SHARE * total
        )
        with self._lock:
            self._total = (now, total, languages)
        return total, languages

    def expand(
        self, session: Session, term: str, languages: tuple[str, ...] = LANGUAGES
    ) -> Expansion:
        """Stored words matching ``term`` in ``languages``, their similarity and frequency."""
        now = time.monotonic()
        key = (term, languages)
        with self._lock:
            hit = self._cache.get(key)
        if hit and now - hit[0] < self._ttl:
            return hit[1]
        expansion = self._expand(session, term, languages)
        with self._lock:
            if len(self._cache) >= self._size:
                self._cache.clear()
            self._cache[key] = (now, expansion)
        return expansion

    def _expand(self, session: Session, term: str, languages: tuple[str, ...]) -> Expansion:
        short = len(term) < MIN_FORM_CHARS and not irregular_forms(term, languages)
        if term.isdigit() or "." in term or short:
            dfs = store.document_frequencies(session, [term])
            if term not in dfs:
                return Expansion({}, {}, 0)
            return Expansion({term: 1.0}, {term: dfs[term]}, dfs[term])
        forms = variants(term, languages) | {term}
        forms |= romanian_spellings(min(forms, key=_length_then_spelling))
        prefixes = {
            form[:LONG_PREFIX] if len(form) >= LONG_FORM else form[:SHORT_PREFIX] for form in forms
        }
        scored: dict[str, float] = {}
        dfs: dict[str, int] = {}
        for prefix in sorted(prefixes):
            for word, df in store.vocabulary(session, prefix, VOCABULARY_SCAN):
                if word in scored:
                    continue
                value = similarity(term, word, languages)
                if value:
                    scored[word] = value
                    dfs[word] = df
        best = sorted(scored.items(), key=lambda kv: (-kv[1], -dfs[kv[0]]))[:EXPANSIONS]
        # The term is as common as its most common sure form (itself, its
        # lemma or stem); only where it has none, as its closest cognate. A
        # loose cognate (stators ~ states) must not make a rare word common.
        df = max((dfs[w] for w, s in best if s >= SAME_FORM), default=0)
        if not df and best:
            top = best[0][1]
            df = max(dfs[w] for w, s in best if s == top)
        return Expansion(dict(best), {w: dfs[w] for w, _ in best}, df)
