"""Configuration of the knowledge core: plain values, no environment reading.

``runtime.settings.load_settings`` builds this from the environment and ``.env``.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.types import GLOBAL_COLLECTION

DEFAULT_DATABASE_URL = "sqlite:///archivist.db"


@dataclass(frozen=True)
class KnowledgeConfig:
    database_url: str = DEFAULT_DATABASE_URL
    default_collection: str = GLOBAL_COLLECTION
    #: Largest file or pasted text accepted, in bytes.
    max_document_bytes: int = 5_000_000
    #: Largest HTTP response body read, in bytes.
    max_download_bytes: int = 5_000_000
    connect_timeout: float = 5.0
    #: Whole-request budget, headers and body, in seconds.
    fetch_timeout: float = 15.0
    max_redirects: int = 5
    #: Fetch loopback / private / link-local addresses too (tests, intranets).
    allow_private_urls: bool = False
    user_agent: str = "Archivist/0.1 (+https://github.com/archivist-bot)"
    #: Excerpts per answer.
    top_k: int = 3
    #: Below this share of the question's weight matched, say nothing relevant is stored.
    min_confidence: float = 0.25
    #: Semantic search: "auto" (where the model can run), "on" (required) or "off".
    semantic: str = "auto"
    #: Which evidence ranks passages: "fused" (lexical and semantic, the default),
    #: or one alone, "lexical" or "semantic", to measure each in the benchmarks.
    retrieval: str = "fused"
    #: Whether to answer "nothing relevant" when the evidence is weak; turned off
    #: only by the benchmarks, to measure ranking apart from abstention.
    abstain: bool = True
    #: Keep the questions that found nothing and the votes on answers (with their
    #: question), for ``gaps`` and ``feedback``; off, nothing of either is stored.
    log_questions: bool = True
