"""Split an article into passages that read well as quotes.

Pure functions over plain strings; every result is an offset range into the
text it was given, so ``text[start:end]`` is always the verbatim passage.
:func:`split_passages` takes the paragraphs and headings
(:mod:`knowledge.paragraphs`), joins ``:`` intros to what they introduce, merges
tiny lines, and cuts long paragraphs at sentence boundaries
(:mod:`knowledge.sentences`); each passage carries its links
(:mod:`knowledge.links`) and language (:mod:`knowledge.language`).

Every loop is bounded by the length of its input, so a 5 MB article or a
megabyte without a single space splits in linear time.
"""

from __future__ import annotations

import math
import re
import unicodedata

from knowledge.language import detect_language
from knowledge.links import ATTRIBUTION, find_links
from knowledge.paragraphs import is_signature, sections
from knowledge.sentences import DASHES, Range, split_sentences, trim
from knowledge.types import PassageDraft

#: Paragraphs shorter than this are merged into a neighbour (emoji lines, "Read more").
MIN_PASSAGE_CHARS = 40
# A short paragraph opening with one of these continues the one before it.
_CONTINUATION_STARTS = DASHES + ")]”’»,.;:"


def split_passages(
    text: str,
    body_start: int = 0,
    *,
    max_chars: int = 1500,
    heading_starts: frozenset[int] | None = None,
) -> list[PassageDraft]:
    """Split ``text[body_start:]`` into passages, each at most ``max_chars`` long.

    Args:
        text: The whole article text; offsets in the result index into it.
        body_start: Where the body starts; anything before (a title line) is skipped.
        max_chars: Longest passage; longer paragraphs are cut at sentence boundaries.
        heading_starts: Where the source's markup put headings (HTML); only
            paragraphs starting there may be headings. None: guess from the text.

    Returns:
        Passages in text order, non-overlapping, trimmed of surrounding whitespace.
    """
    if max_chars < 20:
        raise ValueError(f"max_chars must be at least 20, got {max_chars}")
    body_start = min(max(body_start, 0), len(text))
    drafts: list[PassageDraft] = []
    for heading, units in sections(text, body_start, heading_starts):
        for unit in _merge_short(text, _join_intros(text, units)):
            pieces = [unit] if unit[1] - unit[0] <= max_chars else _chunk(text, *unit, max_chars)
            for start, end in pieces:
                drafts.append(
                    PassageDraft(
                        start=start,
                        end=end,
                        heading=heading,
                        language=detect_language(text[start:end]),
                        links=find_links(text, start, end),
                    )
                )
    return drafts


def _join_intros(text: str, units: list[Range]) -> list[Range]:
    """A paragraph ending with ':' is one passage with the paragraph it introduces."""
    out: list[Range] = []
    joining = False
    for start, end in units:
        if joining:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
        joining = text[end - 1] == ":"
    return out


def _merge_short(text: str, units: list[Range]) -> list[Range]:
    """Merge paragraphs under MIN_PASSAGE_CHARS into the next one, or the previous."""
    out: list[Range] = []
    carry: int | None = None  # start of short paragraphs waiting for the next one
    for start, end in units:
        own_start = start
        if carry is not None:
            start, carry = carry, None
        if out and ATTRIBUTION.match(text, start, end):
            # A credit line "— Name (@handle) date" belongs to the tweet above it.
            out[-1] = (out[-1][0], end)
        elif end - start >= MIN_PASSAGE_CHARS:
            out.append((start, end))
        elif out and (text[start].islower() or text[start] in _CONTINUATION_STARTS):
            out[-1] = (out[-1][0], end)
        elif (
            out
            and start == own_start
            and text[out[-1][1] - 1] in '.!?…"”»)'
            and is_signature(text[start:end])
        ):
            # A signature ("Greta Albers, Oberdorf") ends the letter above; carried
            # forward it would be glued to the next letter's headline.
            out[-1] = (out[-1][0], end)
        else:
            carry = start
    if carry is not None:
        last_end = units[-1][1]
        if out:
            out[-1] = (out[-1][0], last_end)
        else:
            out.append((carry, last_end))
    return out


def _chunk(text: str, start: int, end: int, max_chars: int) -> list[Range]:
    """Cut a long range into roughly equal pieces at sentence boundaries."""
    atoms: list[Range] = []
    for sentence in split_sentences(text, start, end):
        if sentence[1] - sentence[0] <= max_chars:
            atoms.append(sentence)
        else:
            atoms.extend(_split_long_sentence(text, *sentence, max_chars))
    chunks: list[Range] = []
    i = 0
    while i < len(atoms):
        chunk_start = atoms[i][0]
        remaining = end - chunk_start
        target = remaining / math.ceil(remaining / max_chars)
        j = i
        while j + 1 < len(atoms):
            now = atoms[j][1] - chunk_start
            after = atoms[j + 1][1] - chunk_start
            if after > max_chars or now >= target or after - target > target - now:
                break
            j += 1
        chunks.append((chunk_start, atoms[j][1]))
        i = j + 1
    return chunks


def _split_long_sentence(text: str, start: int, end: int, max_chars: int) -> list[Range]:
    """Cut one over-long sentence at clause breaks, else spaces, else (no spaces) anywhere."""
    pieces: list[Range] = []
    cursor = start
    while end - cursor > max_chars:
        target = cursor + (end - cursor) // math.ceil((end - cursor) / max_chars)
        low, high = cursor + max_chars // 3, cursor + max_chars
        cut = _best_break(text, low, target, high)
        piece = trim(text, cursor, cut)
        if piece:
            pieces.append(piece)
        nxt = trim(text, cut, end)
        if nxt is None:
            return pieces
        cursor = nxt[0]
    pieces.append((cursor, end))
    return pieces


def _joins_previous(text: str, pos: int) -> bool:
    """Whether ``text[pos]`` is glued to the character before (marks, ZWJ, skin tones)."""
    char = text[pos]
    return bool(
        unicodedata.combining(char)
        or char in "\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or text[pos - 1] == "\u200d"
    )


_CLAUSE_BREAK = re.compile(r"[,;:)\]—–]\s")


def _best_break(text: str, low: int, target: int, high: int) -> int:
    """The cut position in (low, high] nearest ``target``: clause, then word, then character."""
    window = text[low:high]
    # Line ends first: a table's rows (and a poem's lines) stay whole.
    lines = [low + m.start() for m in re.finditer("\n", window) if m.start() > 0]
    if lines:
        nearest = min(lines, key=lambda p: abs(p - target))
        if abs(nearest - target) <= (high - low) // 2:
            return nearest
    best = None
    for match in _CLAUSE_BREAK.finditer(window):
        pos = low + match.start() + 1
        if best is None or abs(pos - target) < abs(best - target):
            best = pos
    if best is not None and abs(best - target) <= (high - low) // 4:
        return best
    left = window.rfind(" ", 0, target - low)
    left = max(left, window.rfind("\n", 0, target - low))
    right = min(
        (p for p in (window.find(" ", target - low), window.find("\n", target - low)) if p != -1),
        default=-1,
    )
    spaces = [low + p for p in (left, right) if p > 0]
    if spaces:
        return min(spaces, key=lambda p: abs(p - target))
    cut = high
    # Without any space, at least keep emoji sequences and combining marks whole.
    while cut > low + 1 and _joins_previous(text, cut):
        cut -= 1
    return cut
