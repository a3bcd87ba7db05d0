"""Encoding labels, and reading text that is not UTF-8 and does not say what it is.

:func:`codec_for` turns a declared label into a Python codec, or None when it
names no text encoding.

Legacy European text is almost always Windows-1252 / Latin-1 (Western) or
Windows-1250 / ISO-8859-2 (Central European). Every byte sequence decodes in
all of them, so "does it decode" cannot choose; statistical detectors lean to
windows-1250 and turn a Latin-1 "Café naïve" into "Café naďve". We decode with
each candidate and keep the one whose text has the fewest unlikely characters:

* a symbol glued to a letter (``maºini``, ``Za¿ó³æ``: a letter in the other code page);
* a control character from the 0x80-0x9F range;
* a Latin letter foreign to the language the text reads as (``crčme`` in French,
  ``Øeka`` in Czech), for the languages in :data:`ALPHABETS`;
* for other text, runs of accented Latin letters (Cyrillic read as Western bytes);
* a letter of another script glued to an ASCII letter (``Cafй``: Latin read as Cyrillic).

Ties go to the earlier candidate: UTF-8 with a few stray Western bytes, then
windows-1252, windows-1250, ISO-8859-2, windows-1251, then what charset_normalizer
guesses (Greek and other scripts).
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata

from knowledge.language import detect_language

log = logging.getLogger(__name__)

CANDIDATES = ("cp1252", "cp1250", "iso8859-2", "cp1251")
#: Enough text to judge by, little enough to stay quick on a large file.
SAMPLE_CHARS = 20_000

#: Non-ASCII letters each language writes with (lower case; old cedilla forms too).
ALPHABETS = {
    "fr": "àâæçéèêëîïôœùûüÿ",
    "es": "áéíñóúüç",
    "pt": "áâãàçéêíóôõú",
    "it": "àèéìíîòóùú",
    "ca": "àçéèíïòóúü",
    "de": "äöüß",
    "nl": "éëïóöü",
    "sv": "åäöé",
    "da": "æøåé",
    "no": "æøåéó",
    "fi": "äöå",
    "ro": "ăâîșțşţ",
    "pl": "ąćęłńóśźż",
    "cs": "áčďéěíňóřšťúůýž",
    "sk": "áäčďéíĺľňóôŕšťúýž",
    "hu": "áéíóöőúüű",
    "hr": "čćđšž",
    "sl": "čšž",
    "sq": "çë",
    "tr": "çğıöşüâî",
}
#: Non-ASCII punctuation and spaces that sit next to words in ordinary text.
TYPOGRAPHY = frozenset("\u00a0«»‹›‘’‚“”„–—…•·¡¿°€£¥§©®™±×÷½¼¾")
_SURROGATE = re.compile("[\udc80-\udcff]+")
_MULTIBYTE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
# Browsers read these labels as windows-1252 (WHATWG Encoding), and so do pages.
_WEB_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}
#: Python text codecs that are not character encodings a document can be written in.
_NOT_ENCODINGS = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7"}
)


def codec_for(label: str | None) -> str | None:
    """Python's name for an encoding label (web aliases applied), or None if unknown.

    Only character encodings count: a page declaring ``rot13``, ``base64`` or
    ``zlib`` (codecs Python knows, but not encodings) is read as if it declared
    nothing, and so is a label that is not a name at all.
    """
    if not label:
        return None
    label = label.strip().lower()
    label = _WEB_ALIASES.get(label, label)
    if not label.isprintable() or not label.isascii():
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # rot13, base64, hex, zlib, bz2, uu, quopri: bytes-to-bytes or str-to-str.
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_ENCODINGS:
        return None
    return info.name


def decode_legacy(data: bytes, *, name: str = "input") -> str | None:
    """The most plausible reading of ``data`` that is not valid UTF-8, or None."""
    best: tuple[int, str, str] | None = None
    for codec, text in _readings(data):
        score = implausibility(text[:SAMPLE_CHARS])
        if best is None or score < best[0]:
            best = (score, codec, text)
    if best is None:
        return None
    log.debug("%s decoded as %s (%d unlikely characters)", name, best[1], best[0])
    return best[2]


def implausibility(text: str) -> int:
    """How many characters of ``text`` look like a wrong decoding (weighted)."""
    alphabet = ALPHABETS.get(detect_language(text) or "")
    score = 0
    for i, ch in enumerate(text):
        if ch < "\x80":
            continue
        category = unicodedata.category(ch)
        if category == "Cc":
            score += 5
        elif category.startswith("L"):
            if not _latin(ch):
                score += 3 if _by_an_ascii_letter(text, i) else 0  # "Cafй"
                continue
            if alphabet is not None:
                score += 3 if ch.lower() not in alphabet else 0
            elif i + 1 < len(text) and text[i + 1] >= "\x80" and _latin(text[i + 1]):
                score += 1
        elif not ch.isspace() and ch not in TYPOGRAPHY and _by_a_letter(text, i):
            score += 3
    return score


def _readings(data: bytes):
    """(codec, text) for every candidate that decodes ``data`` at all."""
    if _MULTIBYTE.search(data):
        # Real UTF-8 with a stray Windows byte or two (a pasted apostrophe).
        text = data.decode("utf-8", "surrogateescape")
        yield "utf-8+cp1252", _SURROGATE.sub(_western, text)
    from charset_normalizer import from_bytes  # a second's import, needed by few inputs

    seen = set()
    guess = from_bytes(data[: 512 * 1024]).best()
    guessed = codec_for(guess.encoding) if guess is not None else None
    for codec in (*CANDIDATES, guessed):
        if codec is None or codec in seen:
            continue
        seen.add(codec)
        try:
            yield codec, data.decode(codec)
        except (UnicodeError, LookupError):
            continue


def _western(match: re.Match[str]) -> str:
    raw = match.group().encode("utf-8", "surrogateescape")
    return "".join(_byte_as_western(b) for b in raw)


def _byte_as_western(byte: int) -> str:
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:  # the five bytes cp1252 leaves undefined
        return bytes([byte]).decode("latin-1")


def _latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


def _by_an_ascii_letter(text: str, i: int) -> bool:
    return (i > 0 and text[i - 1].isascii() and text[i - 1].isalpha()) or (
        i + 1 < len(text) and text[i + 1].isascii() and text[i + 1].isalpha()
    )


def _by_a_letter(text: str, i: int) -> bool:
    return (i > 0 and text[i - 1].isalpha()) or (i + 1 < len(text) and text[i + 1].isalpha())
