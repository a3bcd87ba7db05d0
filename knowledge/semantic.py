"""Semantic search: the summary vectors in memory, a question's cosines with them.

A passage's summary vector is the normalised mean of its sentences' vectors
(made and stored by :mod:`knowledge.backfill`). A question is compared with
every summary at once (one matrix product), which finds the nearest passages
in milliseconds at 100,000 passages; the sentences of the few candidates that
survive fusion are then read from the store to re-score them and to help
choose the quoted sentences.

The summary matrix is loaded on first use and refreshed when the store's
generation changes, so another process's ingest or embedding shows up on the
next question.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from knowledge import store, vectorstore
from knowledge.backfill import quantize

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.embedding import Embedder

log = logging.getLogger(__name__)

#: Passages whose decoded sentence vectors are kept in memory.
SENTENCE_CACHE = 4096


@dataclass(frozen=True)
class Snapshot:
    """The summary vectors as of one store generation, read-only."""

    generation: int
    ids: np.ndarray  # int64, sorted
    codes: np.ndarray  # int32 collection code per row
    languages: np.ndarray  # int32 language code per row
    matrix: np.ndarray  # float32 summary vectors, one row per id
    names: tuple[str | None, ...]  # code -> collection or language


#: How many passages' weight a language's mean cosine is shrunk towards the
#: overall mean with: a language of two passages says little about its pull.
LANGUAGE_PRIOR = 5
#: Passages a store needs for its own spread of cosines to say what is unrelated.
OWN_SPREAD = 100
BACKGROUND_TEXT = Path(__file__).resolve().parent / "data" / "background.txt"
BACKGROUND_VECTORS = BACKGROUND_TEXT.with_name("background.npz")


def background_sentences() -> list[str]:
    lines = BACKGROUND_TEXT.read_text(encoding="utf-8").splitlines()
    return [line.split("\t", 1)[1] for line in lines if line and not line.startswith("#")]


def background_vectors(embedder: Embedder) -> np.ndarray:
    """Vectors of the unrelated background sentences: shipped for the bundled
    model (embedding them takes seconds), made here for any other."""
    sentences = background_sentences()
    if BACKGROUND_VECTORS.is_file():
        with np.load(BACKGROUND_VECTORS) as shipped:
            if str(shipped["model"]) == embedder.name and len(shipped["scales"]) == len(sentences):
                return shipped["rows"].astype(np.float32) * shipped["scales"][:, None]
    log.info("embedding the background sentences for %s", embedder.name)
    return np.asarray(embedder.passages(sentences), dtype=np.float32)


def save_background_vectors(embedder: Embedder) -> Path:
    """Write the shipped background vectors for ``embedder`` (run on a model change)."""
    vectors = np.asarray(embedder.passages(background_sentences()), dtype=np.float32)
    rows, scales = quantize(vectors)
    np.savez_compressed(BACKGROUND_VECTORS, model=embedder.name, rows=rows, scales=scales)
    return BACKGROUND_VECTORS


@dataclass(frozen=True)
class Similarities:
    """A question's cosines with the summaries of the passages it may see, and
    with the unrelated background sentences."""

    ids: np.ndarray
    #: Cosines with each language's pull taken out (see ``VectorIndex.similarities``).
    cosines: np.ndarray
    background: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))
    #: What was taken out of each passage's cosines: the same is taken out of
    #: its sentences' cosines.
    shifts: np.ndarray = field(default_factory=lambda: np.empty(0, np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def nearest(self, n: int) -> list[tuple[int, float]]:
        """The ``n`` passages closest to the question, closest first."""
        if not len(self.ids):
            return []
        n = min(n, len(self.ids))
        top = np.argpartition(-self.cosines, n - 1)[:n]
        top = top[np.lexsort((self.ids[top], -self.cosines[top]))]
        return [(int(self.ids[i]), float(self.cosines[i])) for i in top]

    def of(self, passage_ids: Sequence[int]) -> dict[int, float]:
        """Summary cosines of the given passages that have vectors."""
        return self._lookup(passage_ids, self.cosines)

    def shifts_of(self, passage_ids: Sequence[int]) -> dict[int, float]:
        return self._lookup(passage_ids, self.shifts)

    def _lookup(self, passage_ids: Sequence[int], values: np.ndarray) -> dict[int, float]:
        if not len(self.ids) or not len(passage_ids) or not len(values):
            return {}
        wanted = np.asarray(passage_ids, dtype=np.int64)
        at = np.clip(np.searchsorted(self.ids, wanted), 0, len(self.ids) - 1)
        found = self.ids[at] == wanted
        return {int(p): float(values[i]) for p, i in zip(wanted[found], at[found], strict=True)}

    @property
    def borrowed(self) -> bool:
        """Whether the store is too small for a spread of its own."""
        return len(self.cosines) < OWN_SPREAD

    def spread(self) -> tuple[float, float]:
        """Mean and standard deviation of the cosines: where an unrelated
        passage lies for this question. A store of ``OWN_SPREAD`` passages or
        more has a spread of its own; a smaller one, often a few articles on
        one topic, borrows the background's."""
        every = self.cosines
        if self.borrowed:
            every = np.concatenate([self.cosines, self.background])
        if not len(every):
            return 0.0, 0.0
        return float(every.mean()), float(every.std())


class VectorIndex:
    """The summary vectors of every embedded passage, in memory, kept in step
    with the store."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._background: np.ndarray | None = None
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._sentences: OrderedDict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = OrderedDict()

    def clear(self) -> None:
        with self._lock:
            self._snapshot = None
            self._sentences.clear()

    def current(self, session: Session, generation: int | None = None) -> Snapshot:
        """The matrix as of the store's generation now (reloaded if it changed);
        ``similarities_in`` works on it without a session, in any thread.
        ``generation``, when the caller has just read it, saves reading it again."""
        if generation is None:
            generation = store.generation(session)
        snapshot = self._snapshot
        if snapshot is not None and snapshot.generation == generation:
            return snapshot
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None or snapshot.generation != generation:
                snapshot = self._reload(session, generation, snapshot)
                self._snapshot = snapshot
                self._sentences.clear()
            return snapshot

    @staticmethod
    def _reload(session: Session, generation: int, old: Snapshot | None) -> Snapshot:
        """Bring the matrix up to date: keep the rows still stored, add the new ones."""
        if old is None or not len(old.ids):
            expected = vectorstore.count_vectors(session)
            chunks = vectorstore.vector_index_rows(session)
            return _snapshot(generation, chunks, expected, (), None)
        now = np.asarray(vectorstore.vector_ids(session), dtype=np.int64)
        keep = np.isin(old.ids, now)
        added = now[~np.isin(now, old.ids)]
        chunks: Iterable[list] = []
        if len(added):
            wanted = set(added.tolist())
            chunks = (
                [r for r in chunk if r[0] in wanted]
                for chunk in vectorstore.vector_index_rows(session, int(added.min()) - 1)
            )
        kept = (old.ids[keep], old.codes[keep], old.languages[keep], old.matrix[keep])
        return _snapshot(generation, chunks, len(added), old.names, kept)

    def similarities_in(
        self, snapshot: Snapshot, query: np.ndarray, collections: Sequence[str]
    ) -> Similarities:
        """The question's cosines with the passages of ``collections``.

        A multilingual model puts text in the question's language a little
        closer to it, whatever it says: over a Romanian article quoting English
        tweets, an English question would find the tweets first. Each
        language's mean cosine (shrunk towards the overall mean where few
        passages share the language) is taken out, so passages compete on what
        they say.
        """
        wanted = set(collections)
        codes = [i for i, name in enumerate(snapshot.names) if name in wanted]
        mask = np.isin(snapshot.codes, codes)
        if not mask.any():
            return Similarities(np.empty(0, np.int64), np.empty(0, np.float32))
        if self._background is None:
            self._background = background_vectors(self._embedder)
        every = mask.all()
        # The whole product, then the rows wanted: selecting rows of the
        # matrix first would copy them, up to the whole matrix a question.
        raw = snapshot.matrix @ query
        ids = snapshot.ids if every else snapshot.ids[mask]
        raw = raw if every else raw[mask]
        languages = snapshot.languages if every else snapshot.languages[mask]
        shifts = _language_shifts(raw, languages)
        return Similarities(ids, raw - shifts, self._background @ query, shifts)

    def _sentence_rows(
        self, session: Session, passage_ids: Sequence[int]
    ) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The passages' sentence vectors, (int8 rows, scales, offsets) by passage,
        read from the store only where the cache does not hold them."""
        with self._lock:
            cached = {p: self._sentences[p] for p in passage_ids if p in self._sentences}
        missing = [p for p in passage_ids if p not in cached]
        if missing:
            loaded = {}
            for pid, (vectors, scales, bounds) in vectorstore.sentence_vectors(
                session, missing
            ).items():
                # Kept as stored (int8 and scales): a quarter of float32 in memory.
                bounds_array = np.frombuffer(bounds, dtype=np.int32).reshape(-1, 2)
                loaded[pid] = (
                    np.frombuffer(vectors, dtype=np.int8).reshape(len(bounds_array), -1),
                    np.frombuffer(scales, dtype=np.float32),
                    bounds_array,
                )
            with self._lock:
                for pid, value in loaded.items():
                    self._sentences[pid] = value
                while len(self._sentences) > SENTENCE_CACHE:
                    self._sentences.popitem(last=False)
            cached.update(loaded)
        return cached

    def sentence_similarities(
        self, session: Session, query: np.ndarray, passage_ids: Sequence[int]
    ) -> dict[int, list[tuple[int, int, float]]]:
        """Passage id -> [(start, end, cosine)] of its sentences, for the
        passages that have vectors."""
        result = {}
        for pid, (vectors, scales, bounds) in self._sentence_rows(session, passage_ids).items():
            cosines = (vectors @ query) * scales
            result[pid] = [
                (int(a), int(b), float(c)) for (a, b), c in zip(bounds, cosines, strict=True)
            ]
        return result


def _language_shifts(cosines: np.ndarray, languages: np.ndarray) -> np.ndarray:
    """How far each passage's language lifts or lowers its cosines, per passage."""
    overall = float(cosines.mean())
    shifts = np.zeros_like(cosines)
    for code in np.unique(languages):
        members = languages == code
        count = int(members.sum())
        if count == len(cosines):
            break  # one language: nothing to even out
        mean = (float(cosines[members].sum()) + LANGUAGE_PRIOR * overall) / (count + LANGUAGE_PRIOR)
        shifts[members] = mean - overall
    return shifts


def _snapshot(
    generation: int,
    chunks: Iterable[list[tuple[int, str, str | None, bytes, float]]],
    expected: int,
    names: tuple[str | None, ...],
    kept: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
) -> Snapshot:
    """The in-memory index: rows kept from the last one, plus rows read now.

    New rows are decoded chunk by chunk into arrays made once for ``expected``
    rows, so loading 100,000 summaries costs the matrix and one chunk, not
    copies of the whole. Collections and languages are coded as small
    integers in one table of names.
    """
    table = list(names)
    code_of = {name: i for i, name in enumerate(table)}

    def code(name: str | None) -> int:
        if name not in code_of:
            code_of[name] = len(table)
            table.append(name)
        return code_of[name]

    dim = kept[3].shape[1] if kept is not None and len(kept[0]) else 0
    ids = np.empty(expected, np.int64)
    codes = np.empty(expected, np.int32)
    languages = np.empty(expected, np.int32)
    matrix: np.ndarray | None = np.empty((expected, dim), np.float32) if dim else None
    filled = 0
    for chunk in chunks:
        if not chunk:
            continue
        if matrix is None:
            dim = len(chunk[0][3])
            matrix = np.empty((expected, dim), np.float32)
        room = expected - filled
        chunk = chunk[:room]  # rows stored since the count wait for the next refresh
        end = filled + len(chunk)
        ids[filled:end] = [r[0] for r in chunk]
        codes[filled:end] = [code(r[1]) for r in chunk]
        languages[filled:end] = [code(r[2]) for r in chunk]
        rows = np.frombuffer(b"".join(r[3] for r in chunk), dtype=np.int8).reshape(-1, dim)
        scales = np.asarray([r[4] for r in chunk], dtype=np.float32)
        np.multiply(rows, scales[:, None], out=matrix[filled:end], casting="unsafe")
        filled = end
    if matrix is None:
        matrix = np.empty((0, dim), np.float32)
    ids, codes, languages = ids[:filled], codes[:filled], languages[:filled]
    matrix = matrix[:filled]
    if kept is not None and len(kept[0]):
        if filled:
            ids = np.concatenate([kept[0], ids])
            codes = np.concatenate([kept[1], codes])
            languages = np.concatenate([kept[2], languages])
            matrix = np.concatenate([kept[3], matrix])
        else:
            ids, codes, languages, matrix = kept
    if len(ids) > 1 and np.any(ids[1:] < ids[:-1]):
        order = np.argsort(ids, kind="stable")
        ids, codes, languages, matrix = ids[order], codes[order], languages[order], matrix[order]
    log.debug("vector index at generation %d: %d passages", generation, len(ids))
    return Snapshot(generation, ids, codes, languages, np.ascontiguousarray(matrix), tuple(table))
