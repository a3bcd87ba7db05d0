"""Text normalisation shared by indexing and querying.

Both sides of a match go through the same functions, so that a question typed
in plain ASCII finds text written with diacritics, typographic quotes or
another thousands separator:

* Unicode is NFKC-normalised, case-folded and stripped of combining marks, so
  ``ș`` (comma below), ``ş`` (cedilla) and ``s`` are one letter;
* numbers lose their group separators: ``20.000``, ``20,000`` and ``20 000``
  are all ``20000``;
* words are runs of letters or digits; everything else separates them.

The forms a word may take (lemmas, stems, irregular verbs) are in
:mod:`knowledge.wordforms`; what a question's words say (its language, stop
words, names) in :mod:`knowledge.question`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

#: A number with thousands groups (1,234,567 / 20.000 / 20 000), or a plain
#: number with an optional decimal part, or a run of letters.
_TOKEN = re.compile(
    # Links and @handles are matched to be skipped: "photos" in
    # @penhale_photos or a word in a URL path is not what a passage says.
    r"(?P<link>(?:https?://|www\.)\S+"
    r"|\b(?:pic\.twitter\.com|t\.co|x\.com|twitter\.com|youtu\.be)/\S*"
    r"|(?<![\w.])@\w+)"
    r"|\d{1,3}(?:(?:[.,]|[ \u00a0\u202f](?=\d{3}\b))\d{3})+(?![.,]?\d)"
    r"|\d+(?:[.,]\d+)?"
    # Soft hyphens, zero-width spaces, joiners and word joiners inside a word
    # are invisible: "Bundes\u00adregierung" is one word, folded without them.
    r"|[^\W\d_]+(?:[\u00ad\u200b-\u200d\u2060\ufeff]+[^\W\d_]+)*",
)
_GROUP_SEPARATORS = re.compile(r"[.,\s\u00a0\u202f]")
#: Longer runs of letters or digits are not words (a hash, base64, a key held
#: down): they are neither indexed nor searched. The vocabulary column holds 200.
MAX_TERM_CHARS = 64
#: Distinct words whose folded form is remembered: a large store's vocabulary.
FOLDED_WORDS_CACHED = 262144


def fold(text: str) -> str:
    """Case-fold and strip diacritics: ``Știință`` -> ``stiinta``."""
    if text.isascii():  # most words: nothing to decompose, casefold is lower
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class Token:
    """A word of the original text: its normalised form and where it stands."""

    term: str
    start: int
    end: int


def tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[Token]:
    """Yield the normalised words of ``text[start:end]`` with absolute offsets.

    Links and @handles are not words: they are skipped, and so are terms
    longer than :data:`MAX_TERM_CHARS`.
    """
    for match in _TOKEN.finditer(text, start, len(text) if end is None else end):
        if match.lastgroup == "link":
            continue
        raw = match.group()
        if raw[0].isdigit():
            if len(raw) > 4 and _GROUP_SEPARATORS.search(raw) and not _is_decimal(raw):
                term = _GROUP_SEPARATORS.sub("", raw)
            else:
                term = raw.replace(",", ".")
        else:
            term = _fold_word(raw)
        if term and len(term) <= MAX_TERM_CHARS:
            yield Token(term, match.start(), match.end())


@lru_cache(maxsize=FOLDED_WORDS_CACHED)
def _fold_word(word: str) -> str:
    # Words repeat: folding each once keeps indexing and quoting fast.
    term = fold(word)
    # Folding can expose non-letters (e.g. "ﬁ" -> "fi" is fine, "½" is not).
    return term if term.isalnum() else "".join(ch for ch in term if ch.isalnum())


def _is_decimal(raw: str) -> bool:
    """``3,5`` or ``12.75`` are decimals; ``20.000`` and ``1,234,567`` are not."""
    parts = re.split(r"[.,\s\u00a0\u202f]", raw)
    return len(parts) == 2 and len(parts[1]) != 3


def terms(text: str) -> list[str]:
    """The normalised words of a text, in order."""
    return [token.term for token in tokens(text)]


def search_text(text: str) -> str:
    """What the full-text index stores for a piece of text: its terms, space separated."""
    return " ".join(terms(text))
