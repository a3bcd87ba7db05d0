"""From a question to the excerpts that answer it: one path, five steps.

1. **Analyse** the question: its weighted, expanded terms, the kinds of answer
   it asks for, its names and language (``query.build_query``).
2. **Candidates**: the passages the full-text index finds for those terms
   (``search.rank``), and, with semantic search on, the passages whose summary
   vectors lie nearest the question's vector (``fusion.embed_question``).
3. **Fuse** the two: the lexical score and the cosine, each a z-score among
   the candidates, weighed ``fusion.LEXICAL_WEIGHT`` to
   ``fusion.SEMANTIC_WEIGHT``. The best candidates are then re-scored by their
   best sentence instead of their summary: an answer is usually one sentence
   of a passage about several things.
4. **Decide relevance** (``relevance``): enough of the question's weight
   matched (lexical), or a best sentence that stands out from the store's own
   spread of cosines for this question (semantic); nothing relevant is better
   than noise.
5. **Choose quotes** (``answer``): the run of sentences that matches the
   question's words, the asked kind of answer, and the question's meaning best.

Without semantic search (off, unusable, or nothing embedded yet) steps 2-5 are
the lexical path alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from knowledge import answer, fusion, search, store
from knowledge.errors import InvalidQuery
from knowledge.fusion import Candidate
from knowledge.query import build_query
from knowledge.relevance import lexically_relevant, relevant_candidates
from knowledge.sentences import split_sentences

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.embedding import Embedder
    from knowledge.expansion import Expander
    from knowledge.fulltext import FullText
    from knowledge.query import Query
    from knowledge.semantic import VectorIndex
    from knowledge.types import Excerpt

#: Lexical candidates whose quotes are drawn to rank them, with semantic search on.
SEMANTIC_RERANK = 5
#: The quote-kind bonus is split between the whole quote and its sentences
#: that hold a matched word: full weight where the kind stands beside one.
QUOTE_BONUS_SHARE = 0.5


@dataclass(frozen=True)
class Searcher:
    """What one store searches with: its full-text seam, the vocabulary
    expander, and, where semantic search runs, the embedder and vector index."""

    fulltext: FullText
    expander: Expander
    embedder: Embedder | None = None
    vectors: VectorIndex | None = None
    retrieval: str = "fused"
    #: Say "nothing relevant" when nothing is; off only to measure ranking alone.
    abstain: bool = True

    @property
    def semantic(self) -> bool:
        """Whether questions are also compared by meaning."""
        return (
            self.embedder is not None and self.vectors is not None and self.retrieval != "lexical"
        )


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
    embedding = None
    if searcher.semantic:
        embedding = fusion.embed_question(
            session, searcher.embedder, searcher.vectors, question, collections, generation
        )

    # 1. Analyse.
    total_passages = searcher.expander.passage_count(session)
    query = build_query(session, searcher.expander, question, total_passages)
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
    similarities = fusion.similarities(embedding)
    same_language = query.language in searcher.expander.languages(session)

    if similarities is None:
        relevant = lexically_relevant(query, lexical, min_confidence, same_language)
        chosen = [Candidate(s.passage_id, s.article_id, s, score=s.score) for s in relevant]
        sentences: dict[int, list[tuple[int, int, float]]] = {}
    else:
        vector, found = similarities
        # 3. Fuse.
        candidates = fusion.fuse(lexical, found, searcher.retrieval)
        rescored = candidates[: fusion.RESCORE]
        sentences = fusion.sentence_cosines(
            session, searcher.vectors, vector, found, [c.passage_id for c in rescored]
        )
        fusion.rescore(rescored, sentences, searcher.retrieval)
        candidates.sort(key=lambda c: (-c.score, c.passage_id))
        # 4. Decide relevance.
        chosen = relevant_candidates(
            query, candidates, found, min_confidence, same_language, searcher.abstain
        )

    # 5. Choose quotes.
    page = chosen[offset : offset + k]
    wanted = [c.passage_id for c in page]
    if similarities is not None:
        missing = [p for p in wanted if p not in sentences]
        sentences.update(fusion.sentence_cosines(session, searcher.vectors, *similarities, missing))
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
            meaning = fusion.sentence_weights(sentences.get(candidate.passage_id))
            excerpt = answer.excerpt(
                query, index, scored, *loaded[candidate.passage_id], meaning=meaning
            )
        excerpts.append(replace(excerpt, score=round(candidate.score, 4)))
    return Ranked(
        tuple(excerpts),
        len(chosen),
        tuple(t.term for t in query.terms if t.expansions),
    )


def _lexical(
    session: Session,
    searcher: Searcher,
    query: Query,
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
    query: Query,
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
