"""Plain values the core takes and returns. Never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Collection used by the command line and shared with every Discord server.
GLOBAL_COLLECTION = "global"
#: Where the bundled example articles live: read by the command line with the
#: shared collection, never by a Discord server, and emptied once the user
#: stores an article of their own.
EXAMPLES_COLLECTION = "examples"


@dataclass(frozen=True)
class Link:
    """A source link shown with an excerpt.

    ``kind`` is one of ``"article"`` (the article's own URL), ``"quoted"`` (a URL
    standing inside the passage, e.g. a tweet's pic.twitter.com link),
    ``"attribution"`` (an ``@handle`` credited in the passage) or ``"posted"``
    (where the article was posted, e.g. a Discord message jump link).
    """

    url: str
    label: str
    kind: str


@dataclass(frozen=True)
class Document:
    """An article ready to be stored: text plus metadata, before splitting.

    Produced by ``knowledge.plaintext``, ``knowledge.extract`` and
    ``knowledge.sources`` from text, HTML, files, URLs or JSON Lines records.
    """

    text: str
    title: str | None = None
    url: str | None = None
    canonical_url: str | None = None
    date: str | None = None  # ISO 8601, possibly partial: "2025", "2025-07", "2025-07-12"
    author: str | None = None
    source_kind: str = "text"  # "text" | "file" | "html" | "url" | "jsonl"
    source_ref: str | None = None  # file path, "file.jsonl:3", or a message link
    #: Where the body starts in ``text``: a title line or front matter before it
    #: is stored verbatim but not split into passages.
    body_start: int = 0
    #: Where the markup allows headings (offsets of ``<h1>``-``<h6>`` and all-bold
    #: paragraphs, from HTML); None when they are guessed from the text alone.
    heading_starts: frozenset[int] | None = None


@dataclass(frozen=True)
class PassageDraft:
    """One passage of an article, as offsets into the article text."""

    start: int
    end: int
    heading: str | None = None
    language: str | None = None
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class ArticleSummary:
    id: int
    collection: str
    title: str
    date: str | None
    author: str | None
    url: str | None
    languages: tuple[str, ...]
    passage_count: int
    added_at: str  # ISO 8601 UTC
    added_by: str | None
    source_kind: str
    source_ref: str | None


@dataclass(frozen=True)
class ArticleDetail:
    summary: ArticleSummary
    opening: str  # the first passage, verbatim
    characters: int


@dataclass(frozen=True)
class Ingested:
    """Outcome of storing one document: the new article, or the one it duplicates."""

    article: ArticleSummary
    duplicate: bool = False


@dataclass(frozen=True)
class IngestOutcome:
    """One line of a multi-source ingest: what came in and what became of it."""

    source: str
    result: Ingested | None = None
    error: str | None = None


@dataclass(frozen=True)
class Span:
    """Half-open character range ``[start, end)`` within an excerpt's quote."""

    start: int
    end: int


@dataclass(frozen=True)
class Excerpt:
    """A verbatim quote from one passage, with where it came from.

    ``quote == article_text[quote_start:quote_end]`` always holds.
    ``clipped_start`` / ``clipped_end`` say whether the quote was trimmed from
    its passage, so a face shows an ellipsis there.
    """

    article_id: int
    passage_id: int
    title: str
    date: str | None
    author: str | None
    quote: str
    quote_start: int
    quote_end: int
    clipped_start: bool
    clipped_end: bool
    highlights: tuple[Span, ...]
    matched_terms: tuple[str, ...]
    score: float
    language: str | None
    heading: str | None
    links: tuple[Link, ...]
    #: The whole passage the quote was taken from, and its offsets in the article.
    passage: str
    passage_start: int
    passage_end: int


@dataclass(frozen=True)
class Answer:
    question: str
    excerpts: tuple[Excerpt, ...]
    terms: tuple[str, ...] = ()  # the normalised search terms that carried weight
    total: int = 0  # relevant passages found, of which ``excerpts`` is a page
    offset: int = 0

    @property
    def found(self) -> bool:
        return bool(self.excerpts)


@dataclass(frozen=True)
class Stats:
    articles: int
    passages: int
    characters: int
    languages: dict[str, int] = field(default_factory=dict)  # passages per language
    collections: dict[str, int] = field(default_factory=dict)  # articles per collection
    database: str = ""
    #: Passages that have vectors for semantic search (of ``passages``).
    embedded: int = 0
    #: Whether semantic search is on in this process, and why not when it is off.
    semantic: bool = False
    semantic_reason: str = ""


@dataclass(frozen=True)
class VoteRecorded:
    """Outcome of a Helpful / Not helpful vote."""

    helpful: bool
    #: The same person's earlier vote on this answer was replaced.
    replaced: bool = False
    #: False when question logging is off: nothing was kept.
    stored: bool = True


@dataclass(frozen=True)
class Gap:
    """Questions nobody could answer (or whose answer was not helpful), near-duplicates
    grouped under their most frequent phrasing."""

    question: str
    count: int
    unanswered: int
    not_helpful: int
    last_asked: str  # ISO 8601 UTC
    #: Other phrasings grouped with it, most frequent first (a few at most).
    variants: tuple[str, ...] = ()


@dataclass(frozen=True)
class GapReport:
    """One page of gaps, most frequent first."""

    gaps: tuple[Gap, ...]
    total: int  # groups in all
    offset: int = 0
    days: int | None = None


@dataclass(frozen=True)
class HelpfulPair:
    """A question and one passage shown in an answer voted Helpful: a benchmark case."""

    question: str
    article_id: int
    passage_id: int
    rank: int  # 1 for the first excerpt shown
    votes: int
    collection: str
    last_voted: str  # ISO 8601 UTC


@dataclass(frozen=True)
class Forgotten:
    """What ``forget_user`` deleted."""

    questions: int
    votes: int


@dataclass(frozen=True)
class ArticleChoice:
    """An article as offered while typing its title: id, title and date only."""

    id: int
    title: str
    date: str | None
