"""Finding the passages that answer a question.

Three steps, each bounded:

1. **Expand.** Every weighted term of the question is matched against the
   stored vocabulary: the same word, its lemmas and stems in English and
   Romanian, cognates sharing a stem (``discuss`` ~ ``discutat``,
   ``inauguration`` ~ ``inaugurare``), also when spelled apart
   (``pharmacy`` ~ ``farmacie``, ``technician`` ~ ``tehnician``), and close
   spellings (``Sergey`` ~ ``Serghei``), scored 0..1 with rapidfuzz.
2. **Candidates.** The database's own full-text index returns the passages
   that contain any expanded word, best first by its BM25-style rank.
3. **Rank.** Candidates are scored in Python: BM25 weighting over the
   similarity-weighted term matches in the passage body, plus a smaller share
   for matches in the article title and the passage heading, which is how a
   passage about "the North Korean leader" belongs to an article titled with
   Kim's name.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from threading import Lock
from typing import TYPE_CHECKING

from rapidfuzz.distance import Indel, JaroWinkler, Prefix

from knowledge import store, text

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.fulltext import FullText

#: Candidates fetched from the full-text index per question.
CANDIDATES = 250
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
#: BM25 parameters and the weight of title/heading matches relative to body ones.
K1, B = 1.2, 0.75
CONTEXT_WEIGHT = 0.8
AVERAGE_PASSAGE_TERMS = 110.0
ARTICLE_WEIGHT = 0.3
TOPIC_DISCOUNT = 0.3
NUMBER_WEIGHT = 1.5
#: A stop-listed word in at most this share of passages counts as content.
RARE_SHARE = 0.05
RARE_MIN_PASSAGES = 40
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


#: How a chat message may lead up to its question: "ok so does anybody know
#: how many ...", "can you tell me where ...".
_PREAMBLE = text.FILLER | frozenset(
    "does do did can could would you u i we me us tell know knows".split()
)


def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of answer a question asks for: "who met Kim and where" asks a
    person and a place."""
    folded = text.fold(question)
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
    #: a word any news store holds (text.GENERIC)
    generic: bool = False


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
    languages: tuple[str, ...] = text.LANGUAGES

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


def similarity(term: str, word: str, languages: tuple[str, ...] = text.LANGUAGES) -> float:
    """How surely a stored ``word`` is a form of the query ``term``, 0..1, with
    word forms of ``languages``."""
    if term == word:
        return 1.0
    if term.isdigit() or word.isdigit() or "." in term or "." in word:
        return 0.0
    term_forms = text.variants(term, languages) | {term}
    word_forms = text.variants(word, languages) | {word}
    if term_forms & word_forms:
        return SAME_FORM
    # Ties broken by spelling: set order changes with every process's hash seed.
    shortest_term = min(term_forms, key=_length_then_spelling)
    shortest_word = min(word_forms, key=_length_then_spelling)
    shared = Prefix.similarity(shortest_term, shortest_word)
    shorter = min(len(shortest_term), len(shortest_word))
    best = 0.0
    # Cognates across languages share their stem: discuss ~ discut(at).
    if shared >= 5 and shared >= shorter - 1:
        best = SURE_MATCH
    else:
        # ... also when spelled apart: pharmacy ~ farmacie, physician ~ fizician.
        term_key, word_key = text.cognate_key(shortest_term), text.cognate_key(shortest_word)
        shared = Prefix.similarity(term_key, word_key)
        if shared >= 5 and shared >= min(len(term_key), len(word_key)) - 1:
            best = COGNATE_SIMILARITY
    shortest = min(len(term), len(word))
    if shortest >= 4 and term[0] == word[0]:
        # Short words differ in few letters and mean different things
        # (start, state): they must be closer to count. Spelling variants
        # keep their first letter; heating and eating are different words.
        close = Indel.normalized_similarity(term, word)
        if shortest >= 7 or close >= SHORT_WORD_LIKENESS:
            best = max(best, close * SAME_FORM)
    # Names transliterated differently keep their opening: Sergey ~ Serghei.
    if shortest >= 5 and Prefix.similarity(term, word) >= 4:
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

    def __init__(self, ttl: float = 60.0, size: int = 4096) -> None:
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
        self, session: Session, term: str, languages: tuple[str, ...] = text.LANGUAGES
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
        short = len(term) < 3 and not text.irregular_forms(term, languages)
        if term.isdigit() or "." in term or short:
            dfs = store.document_frequencies(session, [term])
            if term not in dfs:
                return Expansion({}, {}, 0)
            return Expansion({term: 1.0}, {term: dfs[term]}, dfs[term])
        forms = text.variants(term, languages) | {term}
        forms |= text.romanian_spellings(min(forms, key=_length_then_spelling))
        prefixes = {form[:4] if len(form) >= 6 else form[:3] for form in forms}
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
        return {t for t in listed if len(t) > 3 and 0 < dfs.get(t, 0) <= RARE_SHARE * total}

    built = []
    stored = expander.languages(session)
    language = text.question_language(question, stored)
    languages = text.word_languages(language, stored)
    for term in text.query_terms(question, keep=rare, language=language):
        expansion = expander.expand(session, term, languages)
        df = expansion.df
        idf = math.log(1 + (total - df + 0.5) / (df + 0.5))
        if term.isdigit() and len(term) >= 3:
            # A number in a question is as precise as a name.
            idf *= NUMBER_WEIGHT
        generic = not term.isdigit() and text.generic(term)
        built.append(QueryTerm(term, idf, expansion.words, expansion.frequencies, generic))
    return Query(
        question,
        tuple(built),
        asked_kinds(question),
        text.names(question),
        language,
        languages,
    )


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
        heading = bool(row.heading) and any(term in index for term in text.terms(row.heading or ""))
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
