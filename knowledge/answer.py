"""Turning ranked passages into excerpts: the verbatim sentences that answer.

A quote is the run of one or two sentences (three when short) that matches
the question best, and a lone sentence takes in a neighbour: the answer to a
question is often in the sentence after the one that repeats its words.
Quotes are always a slice of the stored article text, cut at sentence
boundaries (or, for a sentence too long to show whole, at word boundaries), so
every face can show and link it verbatim.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from knowledge import search, text
from knowledge.sentences import split_sentences
from knowledge.types import Excerpt, Link, Span

if TYPE_CHECKING:
    from knowledge.models import Article, Passage
    from knowledge.query import Query
    from knowledge.search import Scored

#: Longest quote built from whole sentences, in characters.
MAX_QUOTE = 480
#: A quote shorter than this takes in a neighbouring sentence for context.
MIN_QUOTE = 160
#: The same where the passage was found by meaning in another language than
#: the question's, or holds none of its words: which sentence answers is less
#: sure, so the quote shows more around it.
MIN_QUOTE_BY_MEANING = 240
#: Most sentences in a run scored as one quote.
RUN = 3
#: A run of sentences longer than this many times MAX_QUOTE is one over-long
#: sentence: a window of it is shown, cut at words.
OVERLONG = 1.5
#: Characters of that window shown before its first matched word.
LEAD = MAX_QUOTE // 3
#: Characters of an article's address shown as its link's label.
LINK_LABEL_CHARS = 60
_URL_LIKE = re.compile(r"^(?:https?://|www\.|discord\.com/channels/)", re.IGNORECASE)


def excerpt(
    query: Query,
    index: dict[str, list[tuple[int, float]]],
    scored: Scored,
    passage: Passage,
    article: Article,
    *,
    meaning: dict[tuple[int, int], float] | None = None,
) -> Excerpt:
    """The quote of one passage for the question.

    ``meaning`` gives sentences (by their offsets) their closeness to the
    question's meaning, 0..1, where semantic search runs.
    """
    body = article.text
    sentences = split_sentences(body, passage.start, passage.end) or [(passage.start, passage.end)]
    # The passage is tokenised once: its matched words serve both choosing
    # the sentences and highlighting them.
    hits = [
        (token, index[token.term])
        for token in text.tokens(body, passage.start, passage.end)
        if token.term in index
    ]
    matches = [_sentence_matches(hits, s, e) for s, e in sentences]
    closeness = [(meaning or {}).get(bounds, 0.0) for bounds in sentences]
    by_meaning = meaning is not None and (not hits or passage.language != query.language)
    min_quote = MIN_QUOTE_BY_MEANING if by_meaning else MIN_QUOTE
    first, last = _choose(query, body, sentences, matches, closeness, min_quote)
    start, end = sentences[first][0], sentences[last][1]
    if end - start > MAX_QUOTE * OVERLONG:
        start, end = _window(body, start, end, index)

    highlights = []
    matched_terms: dict[str, None] = {}
    for token, found in hits:
        if start <= token.start and token.end <= end:
            highlights.append(Span(token.start - start, token.end - start))
            for i, _ in found:
                matched_terms[query.terms[i].term] = None

    return Excerpt(
        article_id=article.id,
        passage_id=passage.id,
        title=article.title,
        date=article.published,
        author=article.author,
        quote=body[start:end],
        quote_start=start,
        quote_end=end,
        clipped_start=start > passage.start,
        clipped_end=end < passage.end,
        highlights=tuple(highlights),
        matched_terms=tuple(matched_terms),
        score=round(scored.score, 4),
        language=passage.language,
        heading=passage.heading,
        links=source_links(passage, article),
        passage=body[passage.start : passage.end],
        passage_start=passage.start,
        passage_end=passage.end,
    )


def _choose(
    query: Query,
    body: str,
    sentences: list[tuple[int, int]],
    matches: list[dict[int, float]],
    closeness: list[float],
    min_quote: int = MIN_QUOTE,
) -> tuple[int, int]:
    """First and last sentence of the quote: the run of one or two sentences
    (three when short) that matches the question best, then widened.

    Scoring runs rather than single sentences lets a weak match next to the
    asked kind of answer ("when" -> a year) win over a slightly better match
    without it; where semantic search runs, the sentence closest to the
    question's meaning counts as much as all of its words. A lone sentence takes
    in a neighbour, the next one unless the
    previous adds more: answers tend to follow the sentence that names the topic.
    """

    def length(a: int, b: int) -> int:
        return sentences[b][1] - sentences[a][0]

    kinds: dict[int, set[str]] = {}

    def held(n: int) -> set[str]:
        if n not in kinds:
            s, e = sentences[n]
            kinds[n] = query.kinds.intersection(search.answer_kinds(body[s:e]).split())
        return kinds[n]

    def gain(a: int, b: int) -> float:
        covered: dict[int, float] = {}
        for n in range(a, b + 1):
            for i, v in matches[n].items():
                covered[i] = max(v, covered.get(i, 0.0))
        meaning = max(closeness[a : b + 1]) * query.total_weight
        if not covered:
            return meaning
        value = meaning + sum(query.terms[i].weight * v for i, v in covered.items())
        if query.kinds:
            found = set().union(*(held(n) for n in range(a, b + 1)))
            value += search.QUOTE_KIND_BONUS * query.total_weight * len(found) / len(query.kinds)
        return value

    count = len(sentences)
    best_key: tuple[float, int, int] | None = None
    first = last = 0
    for a in range(count):
        for b in range(a, min(a + RUN, count)):
            if b > a and length(a, b) > MAX_QUOTE:
                break
            if b - a >= 2 and length(a, b) > min_quote * 2:
                break
            # Fewest sentences for the same score, then the earliest.
            key = (gain(a, b), a - b, -a)
            if best_key is None or key > best_key:
                best_key, first, last = key, a, b
    base = gain(first, last)
    # One sentence takes a neighbour; two take a third only when short.
    while last == first or (last - first < RUN - 1 and length(first, last) < min_quote):
        options = []
        for n in (first - 1, last + 1):
            if 0 <= n < count and length(min(first, n), max(last, n)) <= MAX_QUOTE:
                extra = gain(min(first, n), max(last, n)) - base
                options.append((extra, n == last + 1, n))
        if not options:
            break
        extra, _, n = max(options)
        first, last = min(first, n), max(last, n)
        base += extra
    return first, last


def _sentence_matches(
    hits: list[tuple[text.Token, list[tuple[int, float]]]], start: int, end: int
) -> dict[int, float]:
    found: dict[int, float] = {}
    for token, terms in hits:
        if start <= token.start < end:
            for i, value in terms:
                if value > found.get(i, 0.0):
                    found[i] = value
    return found


def _window(
    body: str, start: int, end: int, index: dict[str, list[tuple[int, float]]]
) -> tuple[int, int]:
    """A MAX_QUOTE-long stretch of one over-long sentence, around its first match,
    cut at word boundaries."""
    anchor = start
    for token in text.tokens(body, start, end):
        if token.term in index:
            anchor = token.start
            break
    lo = max(start, anchor - LEAD)
    hi = min(end, lo + MAX_QUOTE)
    if lo > start:
        space = body.find(" ", lo, anchor + 1)
        lo = space + 1 if space != -1 else lo
    if hi < end:
        space = body.rfind(" ", lo, hi)
        hi = space if space > lo else hi
    while hi > lo and body[hi - 1] in " ,;:–-":
        hi -= 1
    return lo, hi


def source_links(passage: Passage, article: Article) -> tuple[Link, ...]:
    """Links quoted in the passage, then the article's URL, then where it was posted."""
    links = [Link(url, label, kind) for url, label, kind in json.loads(passage.links or "[]")]
    if article.url:
        links.append(
            Link(article.url, article.url.split("://", 1)[-1][:LINK_LABEL_CHARS], "article")
        )
    if article.source_ref and _URL_LIKE.match(article.source_ref):
        links.append(Link(article.source_ref, "posted message", "posted"))
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            unique.append(link)
    return tuple(unique)
