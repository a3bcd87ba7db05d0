"""How the command line shows answers and articles: terminal text and the JSON schema.

JSON schema of ``archivist ask --json`` (one object) and ``--batch`` (one object per line),
version 1. Fields are only ever added within a version, never renamed or removed::

    {
      "schema": 1,
      "question": "who met Kim and where",
      "terms": ["meet", "kim"],          # normalised search terms that carried weight
      "total": 4,                        # relevant passages found; "excerpts" is one page
      "offset": 0,                       # index of the first excerpt within "total"
      "excerpts": [
        {
          "article_id": 12,
          "passage_id": 345,
          "title": "Lavrov la Wonsan",
          "date": "2025-07-12",          # ISO 8601, possibly partial ("2025-07"), or null
          "author": null,
          "quote": "Serghei Lavrov s-a întâlnit cu Kim Jong Un la Wonsan.",
          "quote_start": 120,            # character offsets (Python str indices, code points)
          "quote_end": 174,              #   into the stored article text: text[start:end] == quote
          "clipped_start": false,        # true: the quote starts inside its passage (show "…")
          "clipped_end": true,           # true: the passage goes on after the quote (show "…")
          "highlights": [[0, 14], [32, 35]],   # [start, end) spans within "quote" of matched words
          "matched_terms": ["lavrov", "kim"],
          "score": 0.87,                 # higher is better; comparable within one answer only
          "language": "ro",              # the passage's language (ISO 639-1) or null
          "heading": null,               # the heading the passage stands under, or null
          "links": [{"url": "https://…", "label": "…", "kind": "article"}]
        }
      ]
    }

``kind`` of a link is one of ``article``, ``quoted``, ``attribution``, ``posted``.
With ``--batch`` a question that cannot be searched gives
``{"schema": 1, "question": "…", "error": "…"}`` on its line instead.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.types import (
        Answer,
        ArticleDetail,
        ArticleSummary,
        Excerpt,
        GapReport,
        HelpfulPair,
        Stats,
    )

SCHEMA_VERSION = 1

BOLD = "\033[1m"
RESET = "\033[0m"
ELLIPSIS = "…"


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The ``--json`` object for one answer (see the module docstring)."""
    return {
        "schema": SCHEMA_VERSION,
        "question": answer.question,
        "terms": list(answer.terms),
        "total": answer.total,
        "offset": answer.offset,
        "excerpts": [excerpt_to_dict(e) for e in answer.excerpts],
    }


def excerpt_to_dict(excerpt: Excerpt) -> dict[str, Any]:
    return {
        "article_id": excerpt.article_id,
        "passage_id": excerpt.passage_id,
        "title": excerpt.title,
        "date": excerpt.date,
        "author": excerpt.author,
        "quote": excerpt.quote,
        "quote_start": excerpt.quote_start,
        "quote_end": excerpt.quote_end,
        "clipped_start": excerpt.clipped_start,
        "clipped_end": excerpt.clipped_end,
        "highlights": [[span.start, span.end] for span in excerpt.highlights],
        "matched_terms": list(excerpt.matched_terms),
        "score": round(float(excerpt.score), 4),
        "language": excerpt.language,
        "heading": excerpt.heading,
        "links": [{"url": ln.url, "label": ln.label, "kind": ln.kind} for ln in excerpt.links],
    }


#: A ``[start, end]`` pair as ``json.dumps(indent=2)`` lays it out. JSON strings cannot hold
#: a raw newline, so this never matches inside a quote.
_SPREAD_PAIR = re.compile(r"\[\n\s*(-?\d+),\n\s*(-?\d+)\n\s*\]")


def answer_json(answer: Answer, *, pretty: bool) -> str:
    """The answer as JSON text: indented for people, one line for ``--batch``."""
    data = answer_to_dict(answer)
    if not pretty:
        return json.dumps(data, ensure_ascii=False)
    return _SPREAD_PAIR.sub(r"[\1, \2]", json.dumps(data, ensure_ascii=False, indent=2))


def error_to_dict(question: str, message: str) -> dict[str, Any]:
    return {"schema": SCHEMA_VERSION, "question": question, "error": message}


def mark(quote: str, excerpt: Excerpt, *, bold: bool) -> str:
    """The quote with its highlight spans marked: ANSI bold, or ``**…**`` for plain text."""
    start_mark, end_mark = (BOLD, RESET) if bold else ("**", "**")
    pieces: list[str] = []
    cursor = 0
    # Spans come from the engine; sort, clamp and skip overlaps so a bad span cannot garble text.
    for span in sorted(excerpt.highlights, key=lambda s: (s.start, s.end)):
        start, end = max(span.start, cursor), min(span.end, len(quote))
        if start >= end:
            continue
        pieces += [quote[cursor:start], start_mark, quote[start:end], end_mark]
        cursor = end
    pieces.append(quote[cursor:])
    return "".join(pieces)


def excerpt_text(excerpt: Excerpt, *, bold: bool) -> str:
    """One excerpt as a quote block with its source line and links."""
    body = mark(excerpt.quote, excerpt, bold=bold)
    if excerpt.clipped_start:
        body = ELLIPSIS + body
    if excerpt.clipped_end:
        body = body + ELLIPSIS
    lines = [f"> {line}" if line.strip() else ">" for line in body.splitlines() or [""]]
    source = f"— {excerpt.title}"
    if excerpt.date:
        source += f" ({excerpt.date})"
    source += f" #{excerpt.article_id}"
    lines.append(source)
    for link in excerpt.links:
        # A label that only repeats the URL ("pic.twitter.com/…") adds nothing.
        label = f"  ({link.label})" if link.label and link.label not in link.url else ""
        lines.append(f"  {link.url}{label}")
    return "\n".join(lines)


def answer_text(answer: Answer, *, bold: bool, more_hint: str | None = None) -> str:
    """Every excerpt of an answer, blank-line separated; or the plain "nothing" message."""
    if not answer.excerpts:
        return nothing_found(answer.question)
    blocks = [excerpt_text(e, bold=bold) for e in answer.excerpts]
    shown_to = answer.offset + len(answer.excerpts)
    if answer.total > shown_to and more_hint:
        first = answer.offset + 1
        shown = f"{first}" if shown_to == first else f"{first}–{shown_to}"
        blocks.append(f"({shown} of {answer.total} passages; {more_hint} for more)")
    return "\n\n".join(blocks)


def past_the_end(page: int, total: int, per_page: int) -> str:
    """A page number beyond the last page of an answer that did find passages."""
    pages = -(-total // per_page)
    which = "page 1" if pages == 1 else f"pages 1–{pages}"
    return f"No page {page}: {_passages(total)} matched ({which})."


def nothing_found(question: str) -> str:
    return (
        f"Nothing relevant is stored for “{nothing_found_subject(question)}”. "
        "Try other words or names, or add the article with `archivist ingest`."
    )


def nothing_found_subject(question: str, width: int = 80) -> str:
    """The question on one line, shortened to ``width`` for repeating it back."""
    shown = " ".join(question.split())
    return shown if len(shown) <= width else shown[: width - 1] + ELLIPSIS


def _passages(n: int) -> str:
    return f"{n} passage" if n == 1 else f"{n} passages"


def article_facts(article: ArticleSummary) -> str:
    """``2025-07-12, ro+en, 9 passages``"""
    facts = []
    if article.date:
        facts.append(article.date)
    if article.languages:
        facts.append("+".join(article.languages))
    facts.append(_passages(article.passage_count))
    return ", ".join(facts)


def ingested_line(article: ArticleSummary, *, duplicate: bool) -> str:
    if duplicate:
        return f"already stored as #{article.id}  {article.title}"
    return f"#{article.id}  {article.title}  ({article_facts(article)})"


def list_line(article: ArticleSummary) -> str:
    return f"#{article.id:<5} {article.title}  ({article_facts(article)})"


def detail_text(detail: ArticleDetail) -> str:
    """``archivist show``: metadata, then the opening passage as a quote."""
    a = detail.summary
    rows = [
        ("date", a.date),
        ("author", a.author),
        ("url", a.url),
        ("languages", ", ".join(a.languages) or None),
        ("passages", f"{a.passage_count} ({detail.characters:,} characters)"),
        ("source", " ".join(x for x in (a.source_kind, a.source_ref) if x)),
        ("added", a.added_at + (f" by {a.added_by}" if a.added_by else "")),
        ("collection", a.collection),
    ]
    lines = [f"#{a.id}  {a.title}"]
    lines += [f"  {name + ':':<12}{value}" for name, value in rows if value]
    lines.append("")
    lines += [f"> {line}" if line.strip() else ">" for line in detail.opening.splitlines()]
    if a.passage_count > 1:
        more = a.passage_count - 1
        lines.append(f"({more} more passage{'s' if more > 1 else ''})")
    return "\n".join(lines)


def stats_text(stats: Stats) -> str:
    def counts(mapping: dict[str, int]) -> str:
        ordered = sorted(mapping.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(f"{k} {v:,}" for k, v in ordered) or "—"

    rows = [
        ("articles", f"{stats.articles:,}"),
        ("passages", f"{stats.passages:,}"),
        ("characters", f"{stats.characters:,}"),
        ("languages", counts(stats.languages) + (" (passages)" if stats.languages else "")),
        ("collections", counts(stats.collections) + (" (articles)" if stats.collections else "")),
        ("semantic", _semantic(stats)),
        ("database", stats.database),  # the service hides any password
    ]
    return "\n".join(f"{name + ':':<13}{value}" for name, value in rows if value)


def _semantic(stats: Stats) -> str:
    if not stats.semantic:
        return f"off: {stats.semantic_reason}"
    waiting = stats.passages - stats.embedded
    done = f"on, {stats.embedded:,} of {stats.passages:,} passages have vectors"
    return done + (f" (`archivist embed` does the other {waiting:,})" if waiting > 0 else "")


# --- gaps and feedback ----------------------------------------------------------------------


def gaps_to_dict(report: GapReport, collection: str) -> dict[str, Any]:
    """``archivist gaps --json``: schema 1, fields only ever added."""
    return {
        "schema": SCHEMA_VERSION,
        "collection": collection,
        "days": report.days,
        "total": report.total,
        "offset": report.offset,
        "gaps": [
            {
                "question": gap.question,
                "count": gap.count,
                "unanswered": gap.unanswered,
                "not_helpful": gap.not_helpful,
                "last_asked": gap.last_asked,
                "variants": list(gap.variants),
            }
            for gap in report.gaps
        ],
    }


def gaps_text(report: GapReport, collection: str) -> str:
    since = f" in the last {report.days} days" if report.days else ""
    if not report.gaps:
        if report.total:
            return f"No gaps from offset {report.offset}; there are {report.total}."
        return f"Nothing went unanswered in “{collection}”{since}."
    lines = []
    for gap in report.gaps:
        kinds = []
        if gap.unanswered:
            kinds.append(f"{gap.unanswered} unanswered")
        if gap.not_helpful:
            kinds.append(f"{gap.not_helpful} not helpful")
        lines.append(
            f"{gap.count:>4}×  {one_line(gap.question)}  ({', '.join(kinds)}; "
            f"last {gap.last_asked})"
        )
        for variant in gap.variants:
            lines.append(f"        also: {one_line(variant)}")
    shown_to = report.offset + len(report.gaps)
    if report.total > shown_to:
        lines.append(
            f"({report.offset + 1}–{shown_to} of {report.total}; --offset {shown_to} for more)"
        )
    return "\n".join(lines)


def pair_to_dict(pair: HelpfulPair) -> dict[str, Any]:
    """One line of ``archivist feedback --json``: a question and a passage that helped."""
    return {
        "schema": SCHEMA_VERSION,
        "question": pair.question,
        "article_id": pair.article_id,
        "passage_id": pair.passage_id,
        "rank": pair.rank,
        "votes": pair.votes,
        "collection": pair.collection,
        "last_voted": pair.last_voted,
    }


def pair_line(pair: HelpfulPair) -> str:
    votes = f"{pair.votes} vote{'s' if pair.votes != 1 else ''}"
    return (
        f"{one_line(pair.question)}  →  #{pair.article_id} passage {pair.passage_id} "
        f"(excerpt {pair.rank}, {votes})"
    )


def one_line(text: str) -> str:
    return " ".join(text.split())
