"""The database tables, as SQLAlchemy 2.x typed models.

Full-text structures that differ per database (SQLite FTS5 table, PostgreSQL
tsvector column) are created by ``knowledge.fulltext``, not here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class SchemaVersion(Base):
    __tablename__ = "schema_version"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    applied_at: Mapped[datetime]


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("collection", "fingerprint", name="uq_articles_fingerprint"),
        UniqueConstraint("collection", "canonical_url", name="uq_articles_canonical_url"),
        Index("ix_articles_collection_added", "collection", "added_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    canonical_url: Mapped[str | None] = mapped_column(Text)
    #: sha256 of the article's normalised terms: the same text with other
    #: whitespace, quotes or diacritics is the same article.
    fingerprint: Mapped[str] = mapped_column(String(64))
    published: Mapped[str | None] = mapped_column(String(32))
    author: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    body_start: Mapped[int] = mapped_column(default=0)
    source_kind: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime]
    passage_count: Mapped[int] = mapped_column(default=0)

    passages: Mapped[list[Passage]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Passage.ordinal",
    )


class Passage(Base):
    __tablename__ = "passages"
    __table_args__ = (Index("ix_passages_article", "article_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    #: Copied from the article so the full-text query filters without a join.
    collection: Mapped[str] = mapped_column(String(100), index=True)
    ordinal: Mapped[int]
    start: Mapped[int]
    end: Mapped[int]
    heading: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(8))
    #: JSON list of [url, label, kind].
    links: Mapped[str] = mapped_column(Text, default="[]")
    #: Normalised terms of the passage text, and of the article title plus heading.
    body_terms: Mapped[str] = mapped_column(Text)
    context_terms: Mapped[str] = mapped_column(Text)
    #: Kinds of answer the passage holds ("place time number person"), so a
    #: "where" question can prefer passages that name a place.
    features: Mapped[str] = mapped_column(String(40), default="")

    article: Mapped[Article] = relationship(back_populates="passages")


class Term(Base):
    """How many passages contain each normalised term: document frequencies for
    ranking, and the vocabulary that fuzzy query terms are expanded against."""

    __tablename__ = "terms"

    term: Mapped[str] = mapped_column(
        String(200).with_variant(String(200, collation="C"), "postgresql"), primary_key=True
    )
    #: Passages whose text holds the term: its document frequency.
    df: Mapped[int] = mapped_column(default=0)
    #: Passages whose title or heading holds it; such words stay in the
    #: vocabulary even where no passage text uses them.
    cf: Mapped[int] = mapped_column(default=0)


class Meta(Base):
    """Small facts about the store itself, e.g. that the examples were offered once."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class PassageVector(Base):
    """A passage's vectors for semantic search, made after it is stored.

    Each sentence has an int8 vector with its own scale (as good as float32
    for cosines here, a quarter of the size); the passage has the normalised
    mean of its sentences, the first-pass summary. A row's absence means the
    passage waits to be embedded. Rows go with their passage (cascade).
    """

    __tablename__ = "passage_vectors"

    passage_id: Mapped[int] = mapped_column(
        ForeignKey("passages.id", ondelete="CASCADE"), primary_key=True
    )
    #: Copied from the passage so the in-memory index filters without a join.
    collection: Mapped[str] = mapped_column(String(100), index=True)
    #: int8 summary vector and its scale.
    summary: Mapped[bytes] = mapped_column(LargeBinary)
    summary_scale: Mapped[float]
    #: int8 sentence vectors (rows of the model's dimension), float32 scales,
    #: and int32 (start, end) pairs: each sentence's offsets in the article text.
    sentences: Mapped[bytes] = mapped_column(LargeBinary)
    scales: Mapped[bytes] = mapped_column(LargeBinary)
    bounds: Mapped[bytes] = mapped_column(LargeBinary)


class AskedQuestion(Base):
    """A question asked in a server that found nothing relevant: what is missing.

    Only the question, who asked (an opaque id the face chooses) and when; the
    rest of the message is never kept.
    """

    __tablename__ = "asked_questions"
    __table_args__ = (Index("ix_asked_questions_collection_at", "collection", "asked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The asker's home collection (a server's own, or the shared one for direct messages).
    collection: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(100), index=True)
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]


class Vote(Base):
    """A member's Helpful / Not helpful on one answer: one row per answer and person."""

    __tablename__ = "votes"
    __table_args__ = (
        UniqueConstraint("answer_ref", "user_id", name="uq_votes_answer_user"),
        Index("ix_votes_collection_at", "collection", "voted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection: Mapped[str] = mapped_column(String(100))
    #: What the face calls the answer (a Discord message id): votes on it replace each other.
    answer_ref: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[str] = mapped_column(String(100), index=True)
    helpful: Mapped[bool]
    question: Mapped[str] = mapped_column(Text)
    #: JSON list of [article id, passage id] of the excerpts shown, best first.
    excerpts: Mapped[str] = mapped_column(Text, default="[]")
    voted_at: Mapped[datetime]
