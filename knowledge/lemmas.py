"""Lemma dictionaries that a fresh process can open in a millisecond.

simplemma ships each language's dictionary lzma-compressed and front-coded;
decoding one into a dict takes 0.2-0.6 s of pure Python (English 180,000
forms, Romanian 345,000), which was most of a cold ``archivist ask``. A
question needs a few dozen lookups, so the first process to need a language
writes its decoded dictionary once to an indexed SQLite file in the cache
folder, and every later process looks its words up there.

The cache folder is ``ARCHIVIST_CACHE_DIR``, else systemd's
``CACHE_DIRECTORY``, else ``$XDG_CACHE_HOME/archivist`` or
``~/.cache/archivist``. Files are named by simplemma's version, written to a
temporary name and renamed into place, so processes racing to build one never
read half a file. Where the folder cannot be written, or a file cannot be
read, the language is decoded in memory as before: slower, never wrong.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries.dictionary_factory import (
    CachingDictionaryFactory,
    DecodedStrMapping,
    DefaultDictionaryFactory,
)

log = logging.getLogger(__name__)

#: Rows written a statement; the whole file is one transaction either way.
_INSERT_BATCH = 10_000


def cache_dir() -> Path:
    """Where the decoded dictionaries are kept (see the module's docstring)."""
    for variable in ("ARCHIVIST_CACHE_DIR", "CACHE_DIRECTORY"):
        if value := os.environ.get(variable, "").strip():
            # systemd may list several folders, separated by colons.
            return Path(value.split(":")[0])
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "archivist"


def _version() -> str:
    from importlib.metadata import version

    return version("simplemma")


class SQLiteMapping(DecodedStrMapping):
    """One language's forms -> lemmas, read from an indexed SQLite file.

    One read-only connection, shared by threads under a lock: a lookup takes
    microseconds, and questions in a bot are answered from several threads.
    """

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(
            f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False
        )
        self._lock = threading.Lock()
        with self._lock:  # a file that is not ours fails here, not on first use
            self._connection.execute("SELECT count(*) FROM lemma WHERE form = ''").fetchone()

    def _lookup(self, key: str) -> str | None:
        with self._lock:
            row = self._connection.execute(
                "SELECT lemma FROM lemma WHERE form = ?", (key,)
            ).fetchone()
        return row[0] if row else None

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            rows = self._connection.execute("SELECT form FROM lemma ORDER BY form").fetchall()
        return (form for (form,) in rows)

    def __len__(self) -> int:
        with self._lock:
            return self._connection.execute("SELECT count(*) FROM lemma").fetchone()[0]


def _write(path: Path, dictionary: Mapping[str, str]) -> None:
    """Write ``dictionary`` to ``path`` atomically: a temporary file renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        connection = sqlite3.connect(temporary)
        try:
            connection.execute("PRAGMA journal_mode = OFF")
            connection.execute(
                "CREATE TABLE lemma (form TEXT PRIMARY KEY, lemma TEXT NOT NULL) WITHOUT ROWID"
            )
            items = iter(dictionary.items())
            while batch := [pair for _, pair in zip(range(_INSERT_BATCH), items, strict=False)]:
                connection.executemany("INSERT INTO lemma VALUES (?, ?)", batch)
            connection.commit()
        finally:
            connection.close()
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class CachedDictionaries(CachingDictionaryFactory):
    """simplemma's shipped dictionaries, decoded once per machine, not per process."""

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__(cache_max_size=16)
        self._folder = folder
        self._decoded = DefaultDictionaryFactory(cache_max_size=16)

    def _get_dictionary_uncached(self, lang: str) -> Mapping[str, str]:
        folder = self._folder or cache_dir()
        path = folder / f"lemmas-simplemma-{_version()}-{lang}.sqlite"
        if path.exists():
            try:
                return SQLiteMapping(path)
            except sqlite3.Error as exc:
                log.warning("lemma cache %s unreadable (%s): rebuilding it", path, exc)
        dictionary = self._decoded.get_dictionary(lang)  # ValueError if unsupported
        try:
            _write(path, dictionary)
        except (OSError, sqlite3.Error) as exc:
            log.info("lemma cache not written to %s (%s): decoding in memory", folder, exc)
        return dictionary


@lru_cache(maxsize=1)
def lemmatizer() -> Lemmatizer:
    """The process's lemmatizer over :class:`CachedDictionaries`."""
    return Lemmatizer(
        lemmatization_strategy=DefaultStrategy(dictionary_factory=CachedDictionaries())
    )
