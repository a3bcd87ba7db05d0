"""The semantic half of ranking: the question's vector, fusion of words and
meaning, and re-scoring by the best sentence.

The question's vector and its cosines with every summary vector
(:class:`knowledge.semantic.VectorIndex`) are made in a small thread pool
while the words are looked up. Each candidate's lexical score and cosine
become z-scores among the candidates and are weighed ``LEXICAL_WEIGHT`` to
``SEMANTIC_WEIGHT``; the best ``RESCORE`` are then scored again by their best
sentence instead of their summary: an answer is usually one sentence of a
passage about several things.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from knowledge.question import without_chat

if TYPE_CHECKING:
    import numpy as np
    from sqlalchemy.orm import Session

    from knowledge.embedding import Embedder
    from knowledge.search import Scored
    from knowledge.semantic import Similarities, Snapshot, VectorIndex

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
#: Weight of the question's meaning in choosing the quoted sentences, as a
#: share of the question's lexical weight.
QUOTE_MEANING_WEIGHT = 1.0
#: The least spread z-scores divide by: an absolute floor, and a share of the
#: mean, so that values equal but for float rounding do not look far apart.
MIN_STANDARD_DEVIATION = 1e-6
MIN_RELATIVE_DEVIATION = 1e-3


@dataclass
class Candidate:
    """A passage that may answer, with its evidence and fused score."""

    passage_id: int
    article_id: int
    lexical: Scored | None = None
    #: cosine of the passage's summary vector with the question's (None: no vectors)
    cosine: float | None = None
    #: best sentence cosine, once re-scored
    sentence: float | None = None
    score: float = 0.0


def embed_question(
    session: Session,
    embedder: Embedder,
    vectors: VectorIndex,
    question: str,
    collections: Sequence[str],
    generation: int | None,
) -> Future | None:
    """The question's vector and its cosines with the store's passages, being
    made in the background; None when nothing is embedded yet."""
    # The session stays in this thread.
    snapshot = vectors.current(session, generation)
    if not len(snapshot.ids):
        return None  # nothing embedded yet: words alone, and no model to wake
    return _question_pool().submit(
        _question_vector, embedder, vectors, snapshot, question, collections
    )


def _question_vector(
    embedder: Embedder,
    vectors: VectorIndex,
    snapshot: Snapshot,
    question: str,
    collections: Sequence[str],
) -> tuple[np.ndarray, Similarities]:
    import numpy as np  # only where semantic search runs: it comes with the model

    # Chat filler is never searched for by its words; by meaning neither.
    vector = np.asarray(embedder.queries([without_chat(question)])[0], np.float32)
    return vector, vectors.similarities_in(snapshot, vector, collections)


@lru_cache(maxsize=1)
def _question_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=QUESTION_THREADS, thread_name_prefix="question-vector")


def similarities(embedding: Future | None) -> tuple[np.ndarray, Similarities] | None:
    """The question's vector and its cosines; None when semantic search is off
    or nothing here has vectors yet."""
    if embedding is None:
        return None
    vector, found = embedding.result()
    if not len(found):
        return None
    return vector, found


def sentence_cosines(
    session: Session,
    vectors: VectorIndex,
    vector: np.ndarray,
    found: Similarities,
    passage_ids: list[int],
) -> dict[int, list[tuple[int, int, float]]]:
    """Sentence cosines of the passages, with their language's pull taken out
    as from their summaries."""
    sentences = vectors.sentence_similarities(session, vector, passage_ids)
    shifts = found.shifts_of(list(sentences))
    return {
        pid: [(a, b, cosine - shifts.get(pid, 0.0)) for a, b, cosine in rows]
        for pid, rows in sentences.items()
    }


def _scale(value: float, low: float, high: float) -> float:
    if high <= low:
        return 1.0 if value >= high else 0.0
    return min(max((value - low) / (high - low), 0.0), 1.0)


def fuse(lexical: list[Scored], found: Similarities, retrieval: str) -> list[Candidate]:
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
    spread = max(spread, MIN_STANDARD_DEVIATION, MIN_RELATIVE_DEVIATION * abs(mean))
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


def rescore(
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


def sentence_weights(
    sentences: list[tuple[int, int, float]] | None,
) -> dict[tuple[int, int], float] | None:
    """Each sentence's closeness to the question, 0..1 among its passage's
    sentences, for choosing which to quote (None where semantic search is off)."""
    if not sentences:
        return None
    values = [cos for _, _, cos in sentences]
    high, low = max(values), min(values)
    return {(a, b): _scale(cos, low, high) * QUOTE_MEANING_WEIGHT for a, b, cos in sentences}
