"""Split an article into passages that read well as quotes.

Pure functions over plain strings; every result is an offset range into the
text it was given, so ``text[start:end]`` is always the verbatim passage.

* :func:`split_passages` - paragraphs, with headings attached, ``:`` intros
  joined to what they introduce, tiny lines merged, long paragraphs cut at
  sentence boundaries.
* :func:`split_sentences` - sentence ranges, aware of abbreviations, initials,
  numbers, URLs, closing quotes and tweet attributions.
* :func:`find_links` - URLs and ``— Name (@handle) date`` tweet credits.
* :func:`detect_language` - ISO 639-1 guess with py3langid.

Every loop is bounded by the length of its input, so a 5 MB article or a
megabyte without a single space splits in linear time.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from knowledge.dates import MONTH_NAMES
from knowledge.types import Link, PassageDraft

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

log = logging.getLogger(__name__)

#: Paragraphs shorter than this are merged into a neighbour (emoji lines, "Read more").
MIN_PASSAGE_CHARS = 40
#: A plain line longer than this is body text, never a heading.
MAX_HEADING_CHARS = 120
#: Links kept per passage; a link farm should not flood an excerpt.
MAX_LINKS = 20
#: Letters needed before a language guess is worth making.
MIN_LANGUAGE_LETTERS = 20
#: Below this probability py3langid is guessing; say "unknown" instead.
MIN_LANGUAGE_CONFIDENCE = 0.3
#: Above this probability the first language guess is not second-guessed.
_SURE_LANGUAGE = 0.9
#: Characters of a passage given to the language identifier.
LANGUAGE_SAMPLE_CHARS = 2000

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
_LINE = re.compile(r"[^\n]+")
_NONSPACE = re.compile(r"\S")
_ALNUM = re.compile(r"[^\W_]")
_LETTER = re.compile(r"[^\W\d_]")
_ATX_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})(?:[ \t]+([^\n]*?))??(?:[ \t]+#+)?[ \t\r]*$", re.M)
_SETEXT_UNDERLINE = re.compile(r"[ \t]{0,3}(?:={3,}|-{3,})[ \t\r]*")
_FENCE = re.compile(r"^[ \t]{0,3}(?:```|~~~)", re.M)
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(.+?)\1")
_RULE = re.compile(r"(?:[-_*=~#.·•—–][ \t]*){3,}")

_URL_CHARS = r"[\w\-.~:/?#\[\]@!$&()*+,;=%]"
_URL = re.compile(
    rf"(?<![\w@])(?:https?://|www\.){_URL_CHARS}{{1,2000}}"
    rf"|(?<![\w@./-])(?:pic\.twitter\.com|t\.co|youtu\.be|x\.com|twitter\.com)/{_URL_CHARS}{{1,2000}}",
    re.IGNORECASE,
)
_URL_START = re.compile(
    r"(?:https?://|www\.|pic\.twitter\.com/|t\.co/|youtu\.be/|x\.com/|twitter\.com/)", re.I
)
_URL_TRAILING = ".,;:!?'\"”’»…*"
# "July 12, 2025" or "12 iulie 2025"
_DATE = (
    r"(?:[A-Z][a-z]{2,8}\.?[^\S\n]+\d{1,2},?[^\S\n]+\d{4}"
    r"|\d{1,2}[^\S\n]+[^\W\d_]{3,9}\.?[^\S\n]+\d{4})"
)
# "— Display Name (@handle) July 12, 2025", as embedded tweets are pasted.
_ATTRIBUTION = re.compile(
    r"(?<!\S)[—–-]{1,2}[^\S\n]*[^()\n—–]{1,80}?[^\S\n]*\(@(?P<handle>[A-Za-z0-9_]{1,15})\)"
    rf"(?P<date>[^\S\n]*{_DATE})?"
)
_HANDLE = re.compile(r"@[A-Za-z0-9_]{1,15}")
_LANGUAGE_NOISE = re.compile(r"[^\w\s'’.,;:!?„”“\"«»()\-]+")

# Sentence ends: a run of terminators plus any closing quotes or brackets.
# French sets » off with a (narrow) space; German closes with «.
_TERMINATOR = re.compile(r"(?:[.!?…]+|[。！？]+)(?:[\"'”’»«)\]」』）]|[ \u00a0\u202f]»)*")
_WORD = re.compile(r"[^\W\d_]+")
_DOTTED = re.compile(r"(?:\w\.)+\w")  # u.s, e.g, ș.a.m.d
_CLOSERS = "\"'”’»«)]」』） \u00a0\u202f"
_OPENERS = "„“\"«‘'‹(¿¡[‚"
_DASHES = "—–-"
# A short paragraph opening with one of these continues the one before it.
_CONTINUATION_STARTS = _DASHES + ")]”’»,.;:"
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
# "Photo: …", "Bild: …": an image credit, never a heading.
_CREDIT = re.compile(
    r"(?i)^[(\[]?(?:photos?|fotos?|bild(?:er)?|images?|pictures?|credits?|quelle|source|"
    r"illustrations?|grafik|copyright)\s*:"
)
# "By Jane Doe", "Par Marie Dupont", "Von Gregory Lipinski": a byline.
_BYLINE_WORDS = frozenset("by von par per door av di da från".split())
_NAME_PARTICLES = frozenset("von van der den de du la le di da y und and et".split())
# Short lines pasted from page furniture; they look like headings but are not.
_BOILERPLATE = frozenset(
    [
        "read more", "read also", "see also", "related", "advertisement", "share", "photo",
        "video", "citește și", "citeste si", "citește mai mult", "vezi și", "vezi si",
        "publicitate", "foto", "lire aussi", "weiterlesen", "mehr lesen", "anzeige",
    ]
)  # fmt: skip
# py3langid codes folded into the ISO 639-1 language they are read and searched
# as; their probabilities add up. Nigerian Pidgin and the French creoles share
# most words with English and French, and name-heavy English news ("Lavrov shook
# hands with Kim in Wonsan") otherwise comes back as "pcm".
_LANGUAGE_ALIASES = {
    "pcm": "en", "gcf": "fr", "gcr": "fr",
    "ary": "ar", "arz": "ar", "uzs": "uz", "gug": "gn", "yue": "zh", "wuu": "zh",
    "hbo": "he", "grc": "el",
}  # fmt: skip

Range = tuple[int, int]


# --------------------------------------------------------------------- passages


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
    for heading, units in _sections(text, body_start, heading_starts):
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


def _trim(text: str, start: int, end: int) -> Range | None:
    """``(start, end)`` without surrounding whitespace, or None if nothing is left."""
    first = _NONSPACE.search(text, start, end)
    if first is None:
        return None
    start = first.start()
    while text[end - 1].isspace():
        end -= 1
    return start, end


def _paragraphs(text: str, body_start: int) -> list[tuple[Range, str | None]]:
    """Paragraph ranges, each with its heading text if it is a markdown heading."""
    end = len(text)
    if _BLANK_LINE.search(text, body_start, end):
        blocks: list[Range] = []
        start = body_start
        for gap in _BLANK_LINE.finditer(text, body_start, end):
            blocks.append((start, gap.start()))
            start = gap.end()
        blocks.append((start, end))
        out: list[tuple[Range, str | None]] = []
        in_fence = False
        for block in blocks:
            fences = len(_FENCE.findall(text, *block))
            if in_fence or fences:
                # "# comment" inside a fenced code block is not a heading.
                trimmed = _trim(text, *block)
                if trimmed:
                    out.append((trimmed, None))
            else:
                out.extend(_split_block(text, *block))
            in_fence ^= fences % 2 == 1
        return out
    return _line_paragraphs(text, body_start, end)


def _split_block(text: str, start: int, end: int) -> list[tuple[Range, str | None]]:
    """One blank-line block: markdown headings split off, the rest one paragraph."""
    out: list[tuple[Range, str | None]] = []
    cursor = start
    for match in _ATX_HEADING.finditer(text, start, end):
        before = _trim(text, cursor, match.start())
        if before:
            out.append((before, None))
        title = _clean_heading(match.group(2) or "")
        line = _trim(text, match.start(), match.end())
        if line:
            out.append((line, title or None))
        cursor = match.end()
    rest = _trim(text, cursor, end)
    if rest is None:
        return out
    # Setext: "Title" underlined with === or --- on the next line.
    first_nl = text.find("\n", rest[0], rest[1])
    if first_nl != -1:
        second_nl = text.find("\n", first_nl + 1, rest[1])
        underline_end = rest[1] if second_nl == -1 else second_nl
        if _SETEXT_UNDERLINE.fullmatch(text, first_nl + 1, underline_end):
            title = _clean_heading(text[rest[0] : first_nl])
            if title:
                out.append(((rest[0], underline_end), title))
                rest = _trim(text, underline_end, rest[1])
    if rest:
        out.append((rest, None))
    return out


def _line_paragraphs(text: str, start: int, end: int) -> list[tuple[Range, str | None]]:
    """No blank lines anywhere: each line is a paragraph, except obvious hard wraps."""
    out: list[tuple[Range, str | None]] = []
    in_fence = False
    for match in _LINE.finditer(text, start, end):
        line = _trim(text, *match.span())
        if line is None:
            continue
        if _FENCE.match(text, match.start(), match.end()):
            in_fence = not in_fence
        heading = not in_fence and _ATX_HEADING.fullmatch(text, match.start(), match.end())
        if heading:
            out.append((line, _clean_heading(heading.group(2) or "") or None))
            continue
        prev = out[-1] if out else None
        # A line that stops mid-sentence and a next line starting in lower case
        # are one wrapped paragraph.
        if (
            prev is not None
            and prev[1] is None
            and text[prev[0][1] - 1] not in '.!?…:"”»'
            and text[line[0]].islower()
        ):
            out[-1] = ((prev[0][0], line[1]), None)
        else:
            out.append((line, None))
    return out


def _clean_heading(raw: str) -> str:
    """Heading text without markdown markers or emphasis wrapping the whole line."""
    title = " ".join(raw.split())
    wrapped = _EMPHASIS.fullmatch(title)
    return wrapped.group(2).strip() if wrapped else title


def _looks_like_heading(text: str, start: int, end: int) -> bool:
    """A short single line with no sentence-final punctuation (questions allowed)."""
    if end - start > MAX_HEADING_CHARS or "\n" in text[start:end]:
        return False
    line = text[start:end]
    letters = _LETTER.findall(line)
    if len(letters) < 2 or letters[0].islower() or line[0] in "-*•–—+>|":
        return False
    last = line.rstrip(" \t" + _CLOSERS + "*_")
    if not last or last[-1] in ".!…:;,":
        return False
    if _URL.search(line) or _ATTRIBUTION.search(line):
        return False
    if " ".join(_WORD.findall(line.lower())) in _BOILERPLATE:
        return False
    if _CREDIT.match(line) or "©" in line or _is_byline(line):
        return False
    return len(split_sentences(line)) == 1


def _is_byline(line: str) -> bool:
    """``By Jane Doe``, ``Par Marie Dupont, envoyée spéciale``: a name after "by"."""
    words = re.split(r"[,|/]", line, maxsplit=1)[0].split()
    if len(words) < 2 or words[0].lower() not in _BYLINE_WORDS:
        return False
    names = words[1:]
    return (
        len(names) <= 5
        and names[0][:1].isupper()
        and all(w[:1].isupper() or w.lower() in _NAME_PARTICLES for w in names)
    )


def _is_signature(line: str) -> bool:
    """A name, perhaps with a place: "Jonas Weber", "— Greta Albers, Oberdorf"."""
    name, _, place = line.strip().lstrip(_DASHES + " ").partition(",")
    words = name.split()
    return (
        1 <= len(words) <= 4
        and "\n" not in line.strip()
        and len(place) <= 40
        and all(w[:1].isupper() or w.lower() in _NAME_PARTICLES for w in words)
        and words[0][:1].isupper()
        and not any(ch.isdigit() for ch in name)
    )


def _sections(
    text: str, body_start: int, heading_starts: frozenset[int] | None = None
) -> list[tuple[str | None, list[Range]]]:
    """Group paragraphs under their headings; a rule line (---) also breaks a group."""
    paragraphs = [p for p in _paragraphs(text, body_start) if not _is_rule(text, *p[0])]
    kinds: list[str] = []  # "md", "plain" (heading-like) or "text"
    for index, (rng, md_title) in enumerate(paragraphs):
        after_intro = index > 0 and text[paragraphs[index - 1][0][1] - 1] == ":"
        if md_title is not None and not after_intro:
            kinds.append("md")
        elif (
            not after_intro
            and (heading_starts is None or rng[0] in heading_starts)
            and _looks_like_heading(text, *rng)
        ):
            kinds.append("plain")
        else:
            kinds.append("text")

    sections: list[tuple[str | None, list[Range]]] = [(None, [])]
    previous_end = body_start
    for index, (rng, md_title) in enumerate(paragraphs):
        kind = kinds[index]
        has_next = index + 1 < len(paragraphs)
        if kind == "md":
            # A markdown heading with nothing under it is still content: its own passage.
            sections.append((md_title, []) if has_next else (sections[-1][0], [rng]))
        elif kind == "plain" and has_next and kinds[index + 1] == "text":
            sections.append((_clean_heading(text[rng[0] : rng[1]]), []))
        else:
            if _is_rule_between(text, previous_end, rng[0]):
                sections.append((sections[-1][0], []))
            sections[-1][1].append(rng)
        previous_end = rng[1]
    return [s for s in sections if s[1]]


def _is_rule(text: str, start: int, end: int) -> bool:
    return end - start < 200 and _RULE.fullmatch(text, start, end) is not None


def _is_rule_between(text: str, start: int, end: int) -> bool:
    """Whether a dropped rule line (--- or ***) separates two paragraphs."""
    if end - start < 3:
        return False
    return any(_is_rule(text, *m.span()) for m in _LINE.finditer(text, start, end))


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
        if out and _ATTRIBUTION.match(text, start, end):
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
            and _is_signature(text[start:end])
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
        piece = _trim(text, cursor, cut)
        if piece:
            pieces.append(piece)
        nxt = _trim(text, cut, end)
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


# -------------------------------------------------------------------- sentences


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Range]:
    """Sentence ranges within ``text[start:end]``, as absolute offsets, trimmed.

    A blank line always ends a sentence; a single line break never does on its
    own (hard wraps), except after a tweet credit ``— Name (@handle) July 12, 2025``.
    """
    end = len(text) if end is None else min(max(end, 0), len(text))
    start = min(max(start, 0), end)
    sentences: list[Range] = []
    block_start = start
    for gap in _BLANK_LINE.finditer(text, start, end):
        _block_sentences(text, block_start, gap.start(), sentences)
        block_start = gap.end()
    _block_sentences(text, block_start, end, sentences)
    return sentences


def _block_sentences(text: str, start: int, end: int, out: list[Range]) -> None:
    block = _trim(text, start, end)
    if block is None:
        return
    start, end = block
    cuts: list[int] = []
    for m in _TERMINATOR.finditer(text, start, end):
        if _ends_sentence(text, cuts[-1] if cuts else start, m, end):
            cuts.append(m.end())
    for m in _ATTRIBUTION.finditer(text, start, end):
        if m.group("date") and _can_start_sentence(text, m.end(), end, strong=False):
            cuts.append(m.end())
    cuts.sort()
    first = len(out)
    cursor = start
    for cut in [*cuts, end]:
        sentence = _trim(text, cursor, cut)
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
    run = match.group().rstrip(_CLOSERS)
    if not text[after].isspace():
        # Dots inside 3.5, U.S.A or example.com never end a sentence; CJK stops do.
        return run[-1] in "。！？"
    # The token before the terminator, bounded so a megabyte-long word stays cheap.
    token_start = pos
    limit = max(sentence_start, pos - _MAX_TOKEN_LOOKBACK)
    while token_start > limit and not text[token_start - 1].isspace():
        token_start -= 1
    token = text[token_start:pos].lstrip(_OPENERS)
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
    match = _WORD.match(text, _skip_space(text, pos, end), min(end, pos + 80))
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
    if char in _DASHES or char == "@" or _URL_START.match(text, pos, end):
        return False
    if char.isupper() or char.istitle() or char.isdigit() or char in _OPENERS:
        return True
    if char.islower():
        return strong
    if char.isalpha():
        return True  # scripts without case
    return unicodedata.category(char).startswith("S")  # emoji, symbols


# ------------------------------------------------------------------------ links


def find_links(text: str, start: int = 0, end: int | None = None) -> tuple[Link, ...]:
    """URLs and tweet credits inside ``text[start:end]``, in order, deduplicated.

    Bare ``pic.twitter.com/…``, ``t.co/…``, ``youtu.be/…`` and ``x.com/…`` links
    and ``www.`` hosts get ``https://``. A credit ``— Name (@handle) July 12, 2025``
    becomes an ``attribution`` link to ``https://x.com/handle``.
    """
    end = len(text) if end is None else min(max(end, 0), len(text))
    start = min(max(start, 0), end)
    found: list[tuple[int, Link]] = []
    for match in _URL.finditer(text, start, end):
        url = _clean_url(match.group())
        if url:
            found.append((match.start(), Link(url=url, label=_url_label(url), kind="quoted")))
        if len(found) > MAX_LINKS * 2:
            break
    for match in _ATTRIBUTION.finditer(text, start, end):
        handle = match.group("handle")
        link = Link(url=f"https://x.com/{handle}", label=f"@{handle}", kind="attribution")
        found.append((match.start(), link))
        if len(found) > MAX_LINKS * 4:
            break
    found.sort(key=lambda item: item[0])
    links: dict[str, Link] = {}
    for _, link in found:
        links.setdefault(link.url, link)
        if len(links) >= MAX_LINKS:
            break
    return tuple(links.values())


def _clean_url(raw: str) -> str | None:
    """Strip trailing punctuation and unbalanced brackets; add a scheme if missing."""
    url = raw
    while url and (
        url[-1] in _URL_TRAILING
        or (url[-1] == ")" and url.count(")") > url.count("("))
        or (url[-1] == "]" and url.count("]") > url.count("["))
    ):
        url = url[:-1]
    if not url.lower().startswith(("http://", "https://")):
        url = "https://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    if "." not in host.strip("."):
        return None
    return url


def _url_label(url: str) -> str:
    """``host/path`` without scheme or ``www.``, at most 60 characters."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    label = host + parts.path.rstrip("/")
    if parts.query:
        label += "?" + parts.query
    return label if len(label) <= 60 else label[:59] + "…"


# --------------------------------------------------------------------- language


@functools.cache
def _identifier() -> LanguageIdentifier:
    """One py3langid model for the process; loading it takes about half a second."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    log.debug("loading the language identification model")
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's dominant language, or None if it cannot tell.

    URLs, tweet credits, @handles and emoji are ignored. Languages without an
    ISO 639-1 code come back as py3langid's ISO 639-3 code (e.g. ``"ace"``).
    """
    sample = text[: LANGUAGE_SAMPLE_CHARS * 2]
    sample = _URL.sub(" ", sample)
    sample = _ATTRIBUTION.sub(" ", sample)
    sample = _HANDLE.sub(" ", sample)
    sample = _LANGUAGE_NOISE.sub(" ", sample)[:LANGUAGE_SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LANGUAGE_LETTERS:
        return None
    scores = _language_scores(sample)
    code = max(scores, key=scores.__getitem__)
    if scores[code] < _SURE_LANGUAGE:
        # Names say little about the language and news is full of them: a second
        # opinion on the text without them settles "Kim met Lavrov in Wonsan".
        unnamed = _without_names(sample)
        if len(_LETTER.findall(unnamed)) >= MIN_LANGUAGE_LETTERS:
            second = _language_scores(unnamed)
            scores = {c: (p + second.get(c, 0.0)) / 2 for c, p in scores.items()}
            code = max(scores, key=scores.__getitem__)
    if code == "zxx" or scores[code] < MIN_LANGUAGE_CONFIDENCE:
        return None
    return code


def _language_scores(sample: str) -> dict[str, float]:
    """Probability per language, py3langid's near-duplicate codes folded together."""
    scores: dict[str, float] = {}
    for code, probability in _identifier().rank(sample):
        code = _LANGUAGE_ALIASES.get(code, code)
        scores[code] = scores.get(code, 0.0) + probability
    return scores


def _without_names(text: str) -> str:
    """``text`` without capitalised words inside sentences (names, mostly)."""
    kept: list[str] = []
    previous = "."
    for token in text.split():
        first = token.lstrip(_OPENERS)[:1]
        if not (first.isupper() and previous[-1] not in ".!?:…"):
            kept.append(token)
        previous = token
    return " ".join(kept)
