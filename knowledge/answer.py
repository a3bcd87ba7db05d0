"""Turning ranked passages into excerpts: the verbatim sentences that answer.

A quote is the sentence that matches the question best, widened to a
neighbouring sentence when that adds matched terms or the quote would
otherwise be too short to read on its own. Quotes are always a slice of the
stored article text, cut at sentence boundaries (or, for a sentence too long to
show whole, at word boundaries), so every face can show and link it verbatim.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from knowledge import search, text
from knowledge.passages import split_sentences
from knowledge.types import Excerpt, Link, Span

if TYPE_CHECKING:
    from knowledge.models import Article, Passage
    from knowledge.search import Query, Scored

#: Longest quote built from whole sentences, in characters.
MAX_QUOTE = 480
#: A quote shorter than this takes in a neighbouring sentence for context.
MIN_QUOTE = 160
_URL_LIKE = re.compile(r"^(?:https?://|www\.|discord\.com/channels/)", re.IGNORECASE)


def excerpt(
    query: Query,
    index: dict[str, list[tuple[int, float]]],
    scored: Scored,
    passage: Passage,
    article: Article,
) -> Excerpt:
    body = article.text
    sentences = split_sentences(body, passage.start, passage.end) or [(passage.start, passage.end)]
    matches = [_sentence_matches(body, s, e, index) for s, e in sentences]
    gains = [sum(query.terms[i].weight * v for i, v in m.items()) for m in matches]
    if query.kinds:
        # "When ..." wants the sentence with the year, not only the one with the words.
        for n, (s, e) in enumerate(sentences):
            if gains[n]:
                gains[n] += search.quote_bonus(query, body[s:e])
    best = max(range(len(sentences)), key=lambda i: (gains[i], -i))
    first = last = best
    covered = dict(matches[best])

    def length(a: int, b: int) -> int:
        return sentences[b][1] - sentences[a][0]

    while True:
        options = []
        for n in (first - 1, last + 1):
            if 0 <= n < len(sentences) and length(min(first, n), max(last, n)) <= MAX_QUOTE:
                gain = sum(
                    query.terms[i].weight * (v - covered.get(i, 0.0))
                    for i, v in matches[n].items()
                    if v > covered.get(i, 0.0)
                )
                options.append((gain, n == last + 1, n))
        if not options:
            break
        gain, _, n = max(options)
        if gain <= 0 and length(first, last) >= MIN_QUOTE:
            break
        first, last = min(first, n), max(last, n)
        for i, v in matches[n].items():
            covered[i] = max(v, covered.get(i, 0.0))

    start, end = sentences[first][0], sentences[last][1]
    if end - start > MAX_QUOTE * 1.5:
        start, end = _window(body, start, end, index)

    highlights = []
    matched_terms: dict[str, None] = {}
    for token in text.tokens(body, start, end):
        hits = index.get(token.term)
        if hits:
            highlights.append(Span(token.start - start, token.end - start))
            for i, _ in hits:
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


def _sentence_matches(
    body: str, start: int, end: int, index: dict[str, list[tuple[int, float]]]
) -> dict[int, float]:
    found: dict[int, float] = {}
    for token in text.tokens(body, start, end):
        for i, value in index.get(token.term, ()):
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
    lo = max(start, anchor - MAX_QUOTE // 3)
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
        links.append(Link(article.url, article.url.split("://", 1)[-1][:60], "article"))
    if article.source_ref and _URL_LIKE.match(article.source_ref):
        links.append(Link(article.source_ref, "posted message", "posted"))
    seen: set[str] = set()
    unique = []
    for link in links:
        if link.url not in seen:
            seen.add(link.url)
            unique.append(link)
    return tuple(unique)
