"""From a question to the excerpts that answer it: one path, five steps.

1. **Analyse** the question: its weighted, expanded terms, the kinds of answer
   it asks for, its names and language (``search.build_query``).
2. **Candidates**: the passages the full-text index finds for those terms
   (``search.rank``), and, with semantic search on, the passages whose summary
   vectors lie nearest the question's vector.
3. **Fuse** the two: the lexical score as a share of the best one, and the
   cosine placed between the 1st and the 50th nearest passage, weighed
   ``LEXICAL_WEIGHT`` to ``SEMANTIC_WEIGHT``. The best candidates are then
   re-scored by their best sentence instead of their summary: an answer is
   usually one sentence of a passage about several things.
4. **Decide relevance**: enough of the question's weight matched (lexical),
   or a best sentence that stands out from the store's own spread of cosines
   for this question (semantic); nothing relevant is better than noise.
5. **Choose quotes**: the run of sentences that matches the question's words,
   the asked kind of answer, and the question's meaning best.

Without semantic search (off, unusable, or nothing embedded yet) steps 2-5 are
the lexical path alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from knowledge import answer, search, store, text
from knowledge.errors import InvalidQuery
from knowledge.sentences import split_sentences

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy.orm import Session

    from knowledge.embedding import Embedder
    from knowledge.fulltext import FullText
    from knowledge.semantic import Similarities, Snapshot, VectorIndex
    from knowledge.types import Excerpt

#: Lexical candidates whose quotes are drawn to rank them, with semantic search on.
SEMANTIC_RERANK = 5
#: Questions embedded at once, each beside its own lexical search.
QUESTION_THREADS = 2
#: Nearest passages by summary vector taken as candidates, and the rank whose
#: cosine is the bottom of the semantic scale.
NEAREST = 50
#: Weights of the two kinds of evidence in the fused score, each a z-score
#: among the candidates (tuned on XQuAD en-en, ro-ro and en-ro).
LEXICAL_WEIGHT = 0.3
SEMANTIC_WEIGHT = 0.7
#: How far below the lowest candidate one with no such evidence scores, in
#: standard deviations.
MISSING_BELOW = 0.5
#: Best fused candidates re-scored by their best sentence.
RESCORE = 30
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
#: The quote-kind bonus is split between the whole quote and its sentences
#: that hold a matched word: full weight where the kind stands beside one.
QUOTE_BONUS_SHARE = 0.5
#: Passages scoring below this share of the best are not worth showing
#: (lexical scores), or this many standard deviations below it (fused).
TRAILING_SHARE = 0.25
TRAILING_GAP = 3.0
#: Once one passage shows the question is about something stored, this many of
#: the best are shown even if their own evidence is weaker.
SHOWN_ONCE_RELEVANT = 5
#: Weight of the question's meaning in choosing the quoted sentences, as a
#: share of the question's lexical weight.
QUOTE_MEANING_WEIGHT = 1.0


@dataclass(frozen=True)
class Searcher:
    """What one store searches with: its full-text seam, the vocabulary
    expander, and, where semantic search runs, the embedder and vector index."""

    fulltext: FullText
    expander: search.Expander
    embedder: Embedder | None = None
    vectors: VectorIndex | None = None
    retrieval: str = "fused"
    #: Say "nothing relevant" when nothing is; off only to measure ranking alone.
    abstain: bool = True


@dataclass
class Candidate:
    passage_id: int
    article_id: int
    lexical: search.Scored | None = None
    #: cosine of the passage's summary vector with the question's (None: no vectors)
    cosine: float | None = None
    #: best sentence cosine, once re-scored
    sentence: float | None = None
    score: float = 0.0


@dataclass(frozen=True)
class Ranked:
    """The relevant passages in order, their quotes drafted for those shown."""

    excerpts: tuple[Excerpt, ...]
    total: int
    terms: tuple[str, ...]


def answer_question(
    session: Session,
    searcher: Searcher,
    question: str,
    collections: Sequence[str],
    *,
    k: int,
    offset: int,
    min_confidence: float,
    generation: int | None = None,
) -> Ranked:
    """The excerpts answering ``question`` from ``collections``, one page of them.

    ``generation`` is the store's, when the caller has just read it.
    """
    # The question's vector and its cosines with the store's passages are made
    # in the background while the words are analysed and looked up: the model
    # and numpy leave the interpreter lock, so the two overlap (and a cold
    # process loads the model while it reads the question).
    embedding = _embed_question(session, searcher, question, collections, generation)

    # 1. Analyse.
    total_passages = searcher.expander.passage_count(session)
    query = search.build_query(session, searcher.expander, question, total_passages)
    if not query.terms:
        raise InvalidQuery(
            "Your question has only common words; add a name, place or topic to search for."
        )
    index = query.word_index()

    # 2. Candidates: words here, meaning from the background.
    lexical: list[search.Scored] = []
    drafted: dict[int, Excerpt] = {}
    if searcher.retrieval != "semantic":
        lexical, drafted = _lexical(session, searcher, query, index, collections)
    similarities = _similarities(embedding)
    same_language = query.language in searcher.expander.languages(session)

    if similarities is None:
        relevant = _lexically_relevant(query, lexical, min_confidence, same_language)
        chosen = [Candidate(s.passage_id, s.article_id, s, score=s.score) for s in relevant]
        sentences: dict[int, list[tuple[int, int, float]]] = {}
    else:
        vector, found = similarities
        # 3. Fuse.
        candidates = _fuse(lexical, found, searcher.retrieval)
        sentences = _sentences(
            session, searcher, vector, found, [c.passage_id for c in candidates[:RESCORE]]
        )
        _rescore(candidates[:RESCORE], sentences, searcher.retrieval)
        candidates.sort(key=lambda c: (-c.score, c.passage_id))
        # 4. Decide relevance.
        chosen = _relevant(
            query, candidates, found, min_confidence, same_language, searcher.abstain
        )

    # 5. Choose quotes.
    page = chosen[offset : offset + k]
    wanted = [c.passage_id for c in page]
    if similarities is not None:
        missing = [p for p in wanted if p not in sentences]
        sentences.update(_sentences(session, searcher, *similarities, missing))
    loaded = store.load_passages(session, wanted)
    excerpts = []
    for candidate in page:
        if candidate.passage_id not in loaded:
            continue
        if candidate.passage_id in drafted and not sentences.get(candidate.passage_id):
            excerpt = drafted[candidate.passage_id]
        else:
            scored = candidate.lexical or search.Scored(
                candidate.passage_id, candidate.article_id, candidate.score, 0.0
            )
            meaning = _sentence_weights(sentences.get(candidate.passage_id))
            excerpt = answer.excerpt(
                query, index, scored, *loaded[candidate.passage_id], meaning=meaning
            )
        excerpts.append(replace(excerpt, score=round(candidate.score, 4)))
    return Ranked(
        tuple(excerpts),
        len(chosen),
        tuple(t.term for t in query.terms if t.expansions),
    )


# --- lexical ---------------------------------------------------------------------


def _lexical(
    session: Session,
    searcher: Searcher,
    query: search.Query,
    index: dict[str, list[tuple[int, float]]],
    collections: Sequence[str],
) -> tuple[list[search.Scored], dict[int, Excerpt]]:
    """Full-text candidates scored for the question's words, best first.

    The quotes of the best are drawn first: a passage whose quote holds the
    kind of answer asked for ("where" -> a place) moves up, so ranking and
    quoting agree.
    """
    ranked = search.rank(session, searcher.fulltext, query, collections)
    # With meaning to fuse, the lexical order matters less far down: the best
    # few are enough to move up by their quotes.
    drafts = search.RERANK if searcher.embedder is None else SEMANTIC_RERANK
    drafted = _draft(session, query, index, ranked[:drafts])
    for scored in ranked[:drafts]:
        if scored.passage_id in drafted and scored.body_matches:
            excerpt = drafted[scored.passage_id]
            matched = _matched_sentences(excerpt)
            scored.score += QUOTE_BONUS_SHARE * search.quote_bonus(query, excerpt.quote)
            scored.score += (1 - QUOTE_BONUS_SHARE) * search.quote_bonus(query, matched)
    ranked.sort(key=lambda s: (-s.score, s.passage_id))
    return ranked, drafted


def _draft(
    session: Session,
    query: search.Query,
    index: dict[str, list[tuple[int, float]]],
    scored: list[search.Scored],
) -> dict[int, Excerpt]:
    loaded = store.load_passages(session, [s.passage_id for s in scored])
    return {
        s.passage_id: answer.excerpt(query, index, s, *loaded[s.passage_id])
        for s in scored
        if s.passage_id in loaded
    }


def _matched_sentences(excerpt: Excerpt) -> str:
    """The sentences of a quote that hold a matched word: the place a "where"
    question asks for should stand beside what it asks about."""
    quote = excerpt.quote
    kept = [
        quote[start:end]
        for start, end in split_sentences(quote)
        if any(start <= span.start < end for span in excerpt.highlights)
    ]
    return " ".join(kept)


def _floor(query: search.Query, floor: float, same_language: bool) -> tuple[float, bool]:
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


def _lexically_sure(
    query: search.Query, scored: search.Scored, floor: float, unknown_name: bool
) -> bool:
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
    strong = len(scored.body_matches) >= 2 or any(
        scored.body_matches.get(name, 0.0) >= search.SURE_MATCH for name in query.names
    )
    return strong and scored.coverage >= STRONG_FLOOR_SHARE * floor


def _lexically_relevant(
    query: search.Query, ranked: list[search.Scored], floor: float, same_language: bool
) -> list[search.Scored]:
    """Passages worth quoting on their words alone: enough of the question
    covered, and not far behind the best."""
    floor, unknown_name = _floor(query, floor, same_language)
    confident = [s for s in ranked if _lexically_sure(query, s, floor, unknown_name)]
    if not any(s.body_matches for s in confident):
        return []
    best = confident[0].score
    return [s for s in confident if s.score >= TRAILING_SHARE * best]


# --- semantic ----------------------------------------------------------------------


def _embed_question(
    session: Session,
    searcher: Searcher,
    question: str,
    collections: Sequence[str],
    generation: int | None,
) -> Future | None:
    """The question's vector and its cosines with the store's passages, being
    made in the background; None when semantic search is off."""
    if searcher.embedder is None or searcher.vectors is None or searcher.retrieval == "lexical":
        return None
    # The session stays in this thread.
    snapshot = searcher.vectors.current(session, generation)
    if not len(snapshot.ids):
        return None  # nothing embedded yet: words alone, and no model to wake
    return _question_pool().submit(_question_vector, searcher, snapshot, question, collections)


def _question_vector(
    searcher: Searcher, snapshot: Snapshot, question: str, collections: Sequence[str]
) -> tuple[np.ndarray, Similarities]:
    import numpy as np  # only where semantic search runs: it comes with the model

    # Chat filler is never searched for by its words; by meaning neither.
    vector = np.asarray(searcher.embedder.queries([text.without_chat(question)])[0], np.float32)
    return vector, searcher.vectors.similarities_in(snapshot, vector, collections)


@lru_cache(maxsize=1)
def _question_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=QUESTION_THREADS, thread_name_prefix="question-vector")


def _similarities(embedding: Future | None) -> tuple[np.ndarray, Similarities] | None:
    """The question's vector and its cosines; None when semantic search is off
    or nothing here has vectors yet."""
    if embedding is None:
        return None
    vector, found = embedding.result()
    if not len(found):
        return None
    return vector, found


def _sentences(
    session: Session,
    searcher: Searcher,
    vector: np.ndarray,
    found: Similarities,
    passage_ids: list[int],
) -> dict[int, list[tuple[int, int, float]]]:
    """Sentence cosines of the passages, with their language's pull taken out
    as from their summaries."""
    sentences = searcher.vectors.sentence_similarities(session, vector, passage_ids)
    shifts = found.shifts_of(list(sentences))
    return {
        pid: [(a, b, cosine - shifts.get(pid, 0.0)) for a, b, cosine in rows]
        for pid, rows in sentences.items()
    }


def _scale(value: float, low: float, high: float) -> float:
    if high <= low:
        return 1.0 if value >= high else 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


def _fuse(lexical: list[search.Scored], found: Similarities, retrieval: str) -> list[Candidate]:
    """Lexical candidates and the nearest passages, scored together.

    Each kind of evidence counts by how far a passage stands out in it: the
    lexical scores and the cosines of the candidates become z-scores before
    they are weighed. A signal that does not tell the candidates apart (every
    passage of one article names Kim) then weighs little, and a sharp one (the
    one passage saying "discutat") much.
    """
    candidates: dict[int, Candidate] = {}
    for scored in lexical:
        candidates[scored.passage_id] = Candidate(scored.passage_id, scored.article_id, scored)
    for pid, _ in found.nearest(NEAREST):
        if pid not in candidates:
            # Semantic-only candidates' articles are known once their passages load.
            candidates[pid] = Candidate(pid, 0)
    cosines = found.of(list(candidates))
    for candidate in candidates.values():
        candidate.cosine = cosines.get(candidate.passage_id)
    ordered = list(candidates.values())
    _weigh(ordered, [c.cosine for c in ordered], retrieval)
    return sorted(ordered, key=lambda c: (-c.score, c.passage_id))


def _standardised(values: list[float | None], missing_below: float = MISSING_BELOW) -> list[float]:
    """z-scores of the values present; an absent value scores below the lowest."""
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return [0.0 if v is not None else -missing_below for v in values]
    mean = sum(present) / len(present)
    spread = (sum((v - mean) ** 2 for v in present) / len(present)) ** 0.5
    spread = max(spread, 1e-6, 1e-3 * abs(mean))
    scores = [(v - mean) / spread if v is not None else None for v in values]
    floor = min(s for s in scores if s is not None) - missing_below
    return [s if s is not None else floor for s in scores]


def _weigh(candidates: list[Candidate], semantic: list[float | None], retrieval: str) -> None:
    """Set each candidate's score from its lexical score and ``semantic`` value."""
    meaning = _standardised(semantic)
    if retrieval == "semantic":
        for candidate, z in zip(candidates, meaning, strict=True):
            candidate.score = z
        return
    words = _standardised([c.lexical.score if c.lexical else None for c in candidates])
    for candidate, lexical, z in zip(candidates, words, meaning, strict=True):
        candidate.score = LEXICAL_WEIGHT * lexical + SEMANTIC_WEIGHT * z


def _rescore(
    candidates: list[Candidate],
    sentences: dict[int, list[tuple[int, int, float]]],
    retrieval: str,
) -> None:
    """Score the best candidates again by their best sentence instead of their
    summary; they stay ahead of the candidates not re-scored."""
    for candidate in candidates:
        rows = sentences.get(candidate.passage_id)
        candidate.sentence = max(cos for _, _, cos in rows) if rows else None
    floor = min((c.score for c in candidates), default=0.0)
    _weigh(candidates, [c.sentence or c.cosine for c in candidates], retrieval)
    lowest = min((c.score for c in candidates), default=0.0)
    for candidate in candidates:
        candidate.score += max(0.0, floor - lowest)


def _relevant(
    query: search.Query,
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


def _sentence_weights(
    sentences: list[tuple[int, int, float]] | None,
) -> dict[tuple[int, int], float] | None:
    """Each sentence's closeness to the question, 0..1 among its passage's
    sentences, for choosing which to quote (None where semantic search is off)."""
    if not sentences:
        return None
    values = [cos for _, _, cos in sentences]
    high, low = max(values), min(values)
    return {(a, b): _scale(cos, low, high) * QUOTE_MEANING_WEIGHT for a, b, cos in sentences}
