"""The paragraphs of an article and the headings over them.

Blank lines separate paragraphs (or, in text without any, lines do, hard wraps
joined); Markdown ATX and Setext headings, and short heading-like lines, head a
section; rule lines (``---``) break one. Bylines, image credits and page
furniture ("Read more") are never headings.
"""

from __future__ import annotations

import re

from knowledge.links import ATTRIBUTION, URL
from knowledge.sentences import BLANK_LINE, CLOSERS, DASHES, WORD, Range, split_sentences, trim

#: A plain line longer than this is body text, never a heading.
MAX_HEADING_CHARS = 120

_LINE = re.compile(r"[^\n]+")
_LETTER = re.compile(r"[^\W\d_]")
_ATX_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})(?:[ \t]+([^\n]*?))??(?:[ \t]+#+)?[ \t\r]*$", re.M)
_SETEXT_UNDERLINE = re.compile(r"[ \t]{0,3}(?:={3,}|-{3,})[ \t\r]*")
_FENCE = re.compile(r"^[ \t]{0,3}(?:```|~~~)", re.M)
_EMPHASIS = re.compile(r"(\*{1,3}|_{1,3})(.+?)\1")
_RULE = re.compile(r"(?:[-_*=~#.·•—–][ \t]*){3,}")
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


def _paragraphs(text: str, body_start: int) -> list[tuple[Range, str | None]]:
    """Paragraph ranges, each with its heading text if it is a markdown heading."""
    end = len(text)
    if BLANK_LINE.search(text, body_start, end):
        blocks: list[Range] = []
        start = body_start
        for gap in BLANK_LINE.finditer(text, body_start, end):
            blocks.append((start, gap.start()))
            start = gap.end()
        blocks.append((start, end))
        out: list[tuple[Range, str | None]] = []
        in_fence = False
        for block in blocks:
            fences = len(_FENCE.findall(text, *block))
            if in_fence or fences:
                # "# comment" inside a fenced code block is not a heading.
                trimmed = trim(text, *block)
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
        before = trim(text, cursor, match.start())
        if before:
            out.append((before, None))
        title = _clean_heading(match.group(2) or "")
        line = trim(text, match.start(), match.end())
        if line:
            out.append((line, title or None))
        cursor = match.end()
    rest = trim(text, cursor, end)
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
                rest = trim(text, underline_end, rest[1])
    if rest:
        out.append((rest, None))
    return out


def _line_paragraphs(text: str, start: int, end: int) -> list[tuple[Range, str | None]]:
    """No blank lines anywhere: each line is a paragraph, except obvious hard wraps."""
    out: list[tuple[Range, str | None]] = []
    in_fence = False
    for match in _LINE.finditer(text, start, end):
        line = trim(text, *match.span())
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
    last = line.rstrip(" \t" + CLOSERS + "*_")
    if not last or last[-1] in ".!…:;,":
        return False
    if URL.search(line) or ATTRIBUTION.search(line):
        return False
    if " ".join(WORD.findall(line.lower())) in _BOILERPLATE:
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


def is_signature(line: str) -> bool:
    """A name, perhaps with a place: "Jonas Weber", "— Greta Albers, Oberdorf"."""
    name, _, place = line.strip().lstrip(DASHES + " ").partition(",")
    words = name.split()
    return (
        1 <= len(words) <= 4
        and "\n" not in line.strip()
        and len(place) <= 40
        and all(w[:1].isupper() or w.lower() in _NAME_PARTICLES for w in words)
        and words[0][:1].isupper()
        and not any(ch.isdigit() for ch in name)
    )


def sections(
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
