"""The real embedding model, with its vectors kept on disk between benchmark runs.

Embedding XQuAD's ten languages takes minutes; a benchmark that tunes ranking
runs many times over the same texts. ``CachedEmbedder`` wraps Archivist's own
embedder and keeps every vector it made in a SQLite file keyed by the model's
name, the kind (query or passage) and the text's hash, so a second run embeds
nothing it has seen. The vectors are the model's own: nothing is approximated.

    embedder = cached_embedder()          # None when semantic search cannot run
    Archivist(config, embedder=embedder)
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache" / "embeddings.sqlite"


class CachedEmbedder:
    def __init__(self, inner, path: Path = CACHE) -> None:
        self._inner = inner
        self.name = inner.name
        self.dim = inner.dim
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self._lock = threading.Lock()
        #: texts embedded by the model in this process (not found in the cache)
        self.computed = 0

    def _key(self, kind: str, text: str) -> str:
        digest = hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()
        return f"{self.name}|{kind}|{digest}"

    def _embed(self, kind: str, texts: Sequence[str]) -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
                )
                for key, blob in rows:
                    found[key] = np.frombuffer(blob, dtype=np.float32)
        todo = [i for i, key in enumerate(keys) if key not in found]
        if todo:
            embed = self._inner.queries if kind == "query" else self._inner.passages
            made = np.asarray(embed([texts[i] for i in todo]), dtype=np.float32)
            self.computed += len(todo)
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(keys[i], made[n].tobytes()) for n, i in enumerate(todo)],
                )
                self._db.commit()
            for n, i in enumerate(todo):
                found[keys[i]] = made[n]
        return np.stack([found[key] for key in keys]) if keys else np.empty((0, self.dim))

    def queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed("query", texts)

    def passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed("passage", texts)


def cached_embedder(path: Path = CACHE) -> CachedEmbedder | None:
    """The model behind a disk cache, or None where semantic search cannot run."""
    from knowledge import embedding

    status = embedding.semantic_status("auto")
    if not status.enabled:
        return None
    return CachedEmbedder(embedding.shared_embedder(), path)
