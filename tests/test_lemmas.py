"""Lemma dictionaries decoded once a machine: built on first use, read after."""

from __future__ import annotations

import sqlite3

from simplemma import Lemmatizer
from simplemma.strategies import DefaultStrategy

from knowledge.lemmas import CachedDictionaries


def lemmatizer(folder) -> Lemmatizer:
    return Lemmatizer(
        lemmatization_strategy=DefaultStrategy(dictionary_factory=CachedDictionaries(folder))
    )


def cache_files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_first_use_writes_the_cache_and_later_processes_read_it(tmp_path):
    assert lemmatizer(tmp_path).lemmatize("met", "en") == "meet"
    [name] = cache_files(tmp_path)
    assert name.startswith("lemmas-simplemma-") and name.endswith("-en.sqlite")

    # A later lemmatizer answers from the file: change a row and it says so.
    with sqlite3.connect(tmp_path / name) as connection:
        connection.execute("UPDATE lemma SET lemma = 'encounter' WHERE form = 'met'")
    fresh = lemmatizer(tmp_path)
    assert fresh.lemmatize("met", "en") == "encounter"
    assert fresh.lemmatize("bought", "en") == "buy"
    assert fresh.lemmatize("xqzzv", "en") == "xqzzv"


def test_an_unwritable_folder_still_gives_lemmas(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    assert lemmatizer(blocker / "cache").lemmatize("running", "en") == "run"
    assert cache_files(tmp_path) == ["not-a-folder"]


def test_a_damaged_cache_file_is_rebuilt(tmp_path):
    lemmatizer(tmp_path).lemmatize("met", "en")
    [name] = cache_files(tmp_path)
    (tmp_path / name).write_bytes(b"not a database" * 100)
    assert lemmatizer(tmp_path).lemmatize("met", "en") == "meet"
    assert lemmatizer(tmp_path).lemmatize("went", "en") == "go"
    assert cache_files(tmp_path) == [name]  # no temporary file left behind
