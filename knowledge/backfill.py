"""Vectors for stored passages that have none: embedded in batches, on
demand (``archivist embed``) or by a background worker (the bot).

A passage is embedded sentence by sentence (the sentences quotes are cut
from); its summary vector is the normalised mean of its sentences. Both are
stored as int8 rows with a float32 scale each: a quarter of float32, the same
cosines to three decimals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from knowledge import vectorstore
from knowledge.sentences import split_sentences

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.embedding import Embedder

log = logging.getLogger(__name__)

#: The largest int8 magnitude: each row's largest component is stored as it.
INT8_LIMIT = 127
#: Seconds the worker sleeps when nothing waits, and at least after a failure.
IDLE_SECONDS = 2.0
RETRY_SECONDS = 5.0
#: Seconds ``stop`` waits for the batch in progress.
STOP_SECONDS = 10.0


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 rows and their float32 scales: ``vectors ≈ rows * scales[:, None]``."""
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    scales = np.abs(vectors).max(axis=1) / INT8_LIMIT
    scales[scales == 0] = 1.0
    rows = np.clip(np.rint(vectors / scales[:, None]), -INT8_LIMIT, INT8_LIMIT).astype(np.int8)
    return rows, scales.astype(np.float32)


def _normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def embed_pending(embedder: Embedder, pending: Sequence[vectorstore.PendingPassage]) -> list[dict]:
    """Vectors for passages waiting for them, as rows for ``vectorstore.add_vectors``."""
    texts = [t for p in pending for t in p.texts]
    if not texts:
        return []
    vectors = np.asarray(embedder.passages(texts), dtype=np.float32)
    rows = []
    at = 0
    for passage in pending:
        own = vectors[at : at + len(passage.texts)]
        at += len(passage.texts)
        summary, summary_scale = quantize(_normalised(own.mean(axis=0)))
        sentences, scales = quantize(own)
        rows.append(
            {
                "passage_id": passage.passage_id,
                "collection": passage.collection,
                "summary": summary.tobytes(),
                "summary_scale": float(summary_scale[0]),
                "sentences": sentences.tobytes(),
                "scales": scales.tobytes(),
                "bounds": np.asarray(passage.sentences, dtype=np.int32).tobytes(),
            }
        )
    return rows


def embed_some(sessions: Callable[[], Session], embedder: Embedder, limit: int) -> int:
    """Embed up to ``limit`` passages that have no vectors; returns how many were
    stored (0: none waits).

    On PostgreSQL the passages are claimed (``FOR UPDATE SKIP LOCKED``) in a
    transaction held while the model runs (a second or two for a batch), so
    workers in several processes never embed the same passage: each takes the
    next unclaimed batch. On SQLite reading, embedding and writing are separate
    steps, so the single write lock is not held while the model runs; two
    processes there could embed a passage twice, and the second set of vectors
    is then skipped on insert (``ON CONFLICT DO NOTHING``): wasted work, never
    a wrong or doubled row.
    """
    with sessions() as probe:
        postgres = probe.get_bind().dialect.name == "postgresql"
    if postgres:
        with sessions() as session, session.begin():
            pending = vectorstore.pending_passages(session, limit, split_sentences, claim=True)
            if not pending:
                return 0
            vectorstore.add_vectors(session, embed_pending(embedder, pending))
        return len(pending)
    with sessions() as session:
        pending = vectorstore.pending_passages(session, limit, split_sentences)
    if not pending:
        return 0
    rows = embed_pending(embedder, pending)
    with sessions() as session, session.begin():
        vectorstore.add_vectors(session, rows)
    return len(pending)


class EmbeddingWorker:
    """Embeds stored passages that have no vectors, in a background thread.

    Text is searchable lexically the moment it is stored; this catches the
    vectors up, a small batch at a time, so a question never waits behind it
    for long (the engine uses one core). It resumes from the store: after a
    restart it finds the passages still waiting. It looks again when the
    store's generation changes (any process's ingest), or every ``idle``
    seconds.

    Args:
        embed: embeds one batch, returning how many passages it did (0: none waits).
        generation: the store's generation, read cheaply.
    """

    def __init__(
        self,
        embed: Callable[[], int],
        generation: Callable[[], int],
        *,
        idle: float = IDLE_SECONDS,
        name: str = "embedding",
    ) -> None:
        self._embed = embed
        self._generation = generation
        self._idle = idle
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.embedded = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Finish the batch in progress (within ``timeout``) and stop."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        seen: int | None = None
        reported = False
        while not self._stop.is_set():
            try:
                current = self._generation()
                if current == seen:
                    self._stop.wait(self._idle)
                    continue
                done = self._embed()
            except Exception:  # noqa: BLE001 - a worker must outlive a bad moment of the store
                log.exception("background embedding failed; trying again shortly")
                self._stop.wait(max(self._idle, RETRY_SECONDS))
                continue
            if done:
                self.embedded += done
                if not reported:
                    log.info("embedding stored passages in the background")
                    reported = True
                continue
            if reported:
                log.info("every stored passage has vectors (%d embedded)", self.embedded)
                reported = False
            # Nothing waited as of this generation: sleep until it changes.
            seen = current
            self._stop.wait(self._idle)
