"""Archivist's engine: store articles, find the passages that answer a question.

A library with no Discord in it. Open a store, ingest, ask::

    from knowledge import Archivist, KnowledgeConfig

    with Archivist(KnowledgeConfig(database_url="sqlite:///archive.db")) as archive:
        archive.ingest_url("https://example.com/news/lavrov-kim")
        answer = archive.ask("who met Kim and where")
        for excerpt in answer.excerpts:
            print(excerpt.quote, excerpt.title, [link.url for link in excerpt.links])

Every result is a frozen dataclass from ``knowledge.types``; every error a
``knowledge.errors.KnowledgeError`` whose message can be shown to a user.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

# The embedding engine, numpy's BLAS and the lexical search share the cores: a
# BLAS thread pool per core only makes them queue (and costs a buffer per
# thread). Set before anything imports numpy; a value the user set is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from knowledge.config import KnowledgeConfig
from knowledge.errors import KnowledgeError
from knowledge.types import (
    GLOBAL_COLLECTION,
    Answer,
    ArticleChoice,
    ArticleDetail,
    ArticleSummary,
    Document,
    Excerpt,
    Forgotten,
    Gap,
    GapReport,
    HelpfulPair,
    Ingested,
    IngestOutcome,
    Link,
    Span,
    Stats,
    VoteRecorded,
)

if TYPE_CHECKING:
    from knowledge.service import Archivist


def __getattr__(name: str):
    # The service pulls in SQLAlchemy, rapidfuzz and the ranking code: a
    # command that only needs an error class or a dataclass (``archivist
    # --help``) must not pay for them.
    if name == "Archivist":
        from knowledge.service import Archivist

        return Archivist
    raise AttributeError(f"module 'knowledge' has no attribute {name!r}")


__all__ = [
    "GLOBAL_COLLECTION",
    "Answer",
    "Archivist",
    "ArticleChoice",
    "ArticleDetail",
    "ArticleSummary",
    "Document",
    "Excerpt",
    "Forgotten",
    "Gap",
    "GapReport",
    "HelpfulPair",
    "IngestOutcome",
    "Ingested",
    "KnowledgeConfig",
    "KnowledgeError",
    "Link",
    "Span",
    "Stats",
    "VoteRecorded",
]
