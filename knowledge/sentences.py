"""Sentence ranges in a text, aware of abbreviations, initials, numbers, URLs,
closing quotes and tweet attributions.

Every result is an offset range into the text given, so ``text[start:end]`` is
the verbatim sentence; every loop is bounded by the length of its input.
"""

from __future__ import annotations

import re
import unicodedata

from knowledge.dates import MONTH_NAMES
from knowledge.links import ATTRIBUTION, URL_START

Range = tuple[int, int]

BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_NONSPACE = re.compile(r"\S")
_ALNUM = re.compile(r"[^\W_]")

# Sentence ends: a run of terminators plus any closing quotes or brackets.
# French sets » off with a (narrow) space; German closes with «.
_TERMINATOR = re.compile(r"(?:[.!?…]+|[。！？]+)(?:[\"'”’»«)\]」』）]|[ \u00a0\u202f]»)*")
WORD = re.compile(r"[^\W\d_]+")
_DOTTED = re.compile(r"(?:\w\.)+\w")  # u.s, e.g, ș.a.m.d
CLOSERS = "\"'”’»«)]」』） \u00a0\u202f"
OPENERS = "„“\"«‘'‹(¿¡[‚"
DASHES = "—–-"
_MAX_TOKEN_LOOKBACK = 64

# Words whose period never ends a sentence: titles before names, "nr." before
# numbers, "e.g." before examples. English, Romanian, German, French.
_NEVER_FINAL = frozenset(
    """
    mr mrs ms messrs dr prof rev hon gen col lt capt cpt sgt maj adm gov sen rep pres st mt ft
    no nos vol vols p pp fig figs ch sec art approx cf e.g i.e viz vs v dept jan feb apr jun jul
    aug sep sept oct nov dec
    dl dlui dna dnei dnul dra d-l d-na d-lui d-nei d-ra conf lect asist ing av ec arh plt pr
    nr pct alin lit cap pag tab ed str bd bld sos șos şos jud mun sect ap bl sc et aprox cca
    resp ex pt
    z.b bzw ca hr fr vgl ggf evtl inkl d.h s u.a
    mme mlle mgr ste env
    """.split()
)
# After "U.S." or an initial, a new sentence starts only with one of these.
_STARTERS = frozenset(
    """
    the this that these those it its he she they we i but and in on at after as an his her their
    there then however meanwhile yet so if when while
    acest această aceasta acesta aceste acești el ea ei ele eu noi dar iar în la pe după cu un
    și apoi însă totuși astfel când dacă
    """.split()
)


def trim(text: str, start: int, end: int) -> Range | None:
    """``(start, end)`` without surrounding whitespace, or None if nothing is left."""
    first = _NONSPACE.search(text, start, end)
    if first is None:
        return None
    start = first.start()
    while text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Range]:
    """Sentence ranges within ``text[start:end]``, as absolute offsets, trimmed.

    A blank line always ends a sentence; a single line break never does on its
    own (hard wraps), except after a tweet credit ``— Name (@handle) July 12, 2025``.
    """
    end = len(text) if end is None else min(max(end, 0), len(text))
    start = min(max(start, 0), end)
    sentences: list[Range] = []
    block_start = start
    for gap in BLANK_LINE.finditer(text, start, end):
        _block_sentences(text, block_start, gap.start(), sentences)
        block_start = gap.end()
    _block_sentences(text, block_start, end, sentences)
    return sentences


def _block_sentences(text: str, start: int, end: int, out: list[Range]) -> None:
    block = trim(text, start, end)
    if block is None:
        return
    start, end = block
    cuts: list[int] = []
    for m in _TERMINATOR.finditer(text, start, end):
        if _ends_sentence(text, cuts[-1] if cuts else start, m, end):
            cuts.append(m.end())
    for m in ATTRIBUTION.finditer(text, start, end):
        if m.group("date") and _can_start_sentence(text, m.end(), end, strong=False):
            cuts.append(m.end())
    cuts.sort()
    first = len(out)
    cursor = start
    for cut in [*cuts, end]:
        sentence = trim(text, cursor, cut)
        cursor = cut
        if sentence is None:
            continue
        # Stray emoji or "!!!" after a sentence end is not a sentence of its own.
        if len(out) > first and (
            not _ALNUM.search(text, *sentence) or not _ALNUM.search(text, *out[-1])
        ):
            out[-1] = (out[-1][0], sentence[1])
        else:
            out.append(sentence)


def _ends_sentence(text: str, sentence_start: int, match: re.Match[str], end: int) -> bool:
    """Whether the terminator run ``match`` closes the sentence begun at ``sentence_start``."""
    pos, after = match.span()
    if after >= end:
        return False  # the block's end closes it anyway
    run = match.group().rstrip(CLOSERS)
    if not text[after].isspace():
        # Dots inside 3.5, U.S.A or example.com never end a sentence; CJK stops do.
        return run[-1] in "。！？"
    # The token before the terminator, bounded so a megabyte-long word stays cheap.
    token_start = pos
    limit = max(sentence_start, pos - _MAX_TOKEN_LOOKBACK)
    while token_start > limit and not text[token_start - 1].isspace():
        token_start -= 1
    token = text[token_start:pos].lstrip(OPENERS)
    if run == ".":
        word = token.lower()
        if word in _NEVER_FINAL:
            return False
        next_word = _next_word(text, after, end)
        if _DOTTED.fullmatch(word) and token[:1].isupper():
            return next_word in _STARTERS  # U.S. President / U.S. The ...
        if len(word) == 1 and word.isalpha() and token.isupper():
            return next_word in _STARTERS  # J. R. R. Tolkien
        numbered = _skip_space(text, sentence_start, pos) == token_start
        if word.isdigit() and len(word) <= 3 and (numbered or next_word in MONTH_NAMES):
            return False  # "1. Item" lists, "12. Juli"
    elif run in ("...", "…") and pos > 0 and text[pos - 1] in "([":
        return False  # (...) marks an elision inside a quote
    return _can_start_sentence(text, after, end, strong="?" in run or "!" in run)


def _next_word(text: str, pos: int, end: int) -> str | None:
    """The next word after ``pos`` in lower case, unless it is itself an initial ("A.")."""
    match = WORD.match(text, _skip_space(text, pos, end), min(end, pos + 80))
    if match is None or text[match.end() : match.end() + 1] == ".":
        return None
    return match.group().lower()


def _skip_space(text: str, pos: int, end: int) -> int:
    first = _NONSPACE.search(text, pos, end)
    return end if first is None else first.start()


def _can_start_sentence(text: str, pos: int, end: int, *, strong: bool) -> bool:
    """Whether what follows ``pos`` can open a new sentence.

    ``strong`` (after ? or !) lets a lower-case word start one, as chat-style
    writing does; a URL, @handle or dash never does: it belongs to the sentence
    before (a tweet's picture link and credit).
    """
    pos = _skip_space(text, pos, end)
    if pos >= end:
        return False
    char = text[pos]
    if char in DASHES or char == "@" or URL_START.match(text, pos, end):
        return False
    if char.isupper() or char.istitle() or char.isdigit() or char in OPENERS:
        return True
    if char.islower():
        return strong
    if char.isalpha():
        return True  # scripts without case
    return unicodedata.category(char).startswith("S")  # emoji, symbols
