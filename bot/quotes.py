"""An answer as Discord message content: verbatim quotes fitted to the message limit.

Pure functions, no network: an :class:`~knowledge.types.Answer` becomes one message of
quotes (matched words in bold, cut at sentence or word boundaries, never inside a URL),
each with its title, date and links that do not unfold previews. Every piece of untrusted
text goes through :mod:`bot.markdown` first. Ingest results, article lists and other
replies are :mod:`bot.render`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.markdown import (
    MESSAGE_LIMIT,
    URL_RE,
    clip,
    escape_clipped,
    escape_plain,
    link,
    neutralize_mentions,
    one_line,
)
from knowledge.types import Answer, Excerpt

#: A quote shorter than this is not worth showing; show fewer excerpts instead.
MIN_QUOTE = 160
TITLE_ROOM = 120
#: Title, date and links under a quote; links that do not fit are left out.
ATTRIBUTION_ROOM = 600
LINKS_PER_EXCERPT = 3

NOTHING_HINT = (
    "Try other words, a name or a date from the article, or add the article with `/ingest`."
)
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*(?=\s)")
_LINK_ORDER = {"article": 0, "posted": 1, "quoted": 2, "attribution": 3}


@dataclass(frozen=True)
class RenderedAnswer:
    """Message content for one page of an answer.

    ``shown`` excerpts of the answer fit; the next page starts at
    ``answer.offset + shown``. ``more`` says whether there is a next page.
    """

    content: str
    shown: int
    more: bool


# --- answers -----------------------------------------------------------------------------


def render_answer(answer: Answer, *, limit: int = MESSAGE_LIMIT) -> RenderedAnswer:
    """One message (at most ``limit`` characters) quoting as many excerpts as fit."""
    if not answer.found:
        return RenderedAnswer(render_nothing(answer.question, after=answer.offset), 0, False)
    excerpts = list(answer.excerpts)
    while True:
        attributions = [_attribution(ex) for ex in excerpts]
        shown = len(excerpts)
        total = max(answer.total, answer.offset + shown)
        more = answer.offset + shown < total
        footer = _answer_footer(answer, shown, total, more)
        fixed = len(footer) + sum(len(a) + 3 for a in attributions)  # "\n" + "\n\n" between
        room = limit - fixed
        if room >= MIN_QUOTE * shown or shown == 1:
            break
        excerpts.pop()
    budgets = _share(room, [_full_length(ex) for ex in excerpts])
    blocks = [
        quote_block(ex, budget) + "\n" + attribution
        for ex, budget, attribution in zip(excerpts, budgets, attributions, strict=True)
    ]
    content = "\n\n".join(blocks) + footer
    if len(content) > limit:  # only when a single excerpt's attribution alone is too long
        content = clip(content, limit)
    return RenderedAnswer(content, shown, more)


def render_nothing(question: str, *, after: int = 0) -> str:
    """The plain "nothing relevant stored" reply, with a hint."""
    asked = escape_clipped(one_line(question), 300)
    if after:
        return f"No more relevant excerpts for “{asked}”."
    return f"Nothing relevant stored for “{asked}”. {NOTHING_HINT}"


def _answer_footer(answer: Answer, shown: int, total: int, more: bool) -> str:
    first = answer.offset + 1
    last = answer.offset + shown
    span = f"{first}" if first == last else f"{first}–{last}"
    tail = " · **More** shows the next" if more else ""
    noun = "Excerpt" if first == last else "Excerpts"
    return f"\n-# {noun} {span} of {total}{tail}"


def _share(room: int, needs: list[int]) -> list[int]:
    """Split ``room`` between quotes: short ones get what they need, long ones share the rest."""
    budgets = [0] * len(needs)
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    left = room
    for done, i in enumerate(order):
        fair = left // (len(needs) - done)
        budgets[i] = min(needs[i], fair)
        left -= budgets[i]
    return budgets


def _full_length(ex: Excerpt) -> int:
    return len(_quote_markdown(ex, 0, len(ex.quote)))


def _attribution(ex: Excerpt, limit: int = ATTRIBUTION_ROOM) -> str:
    """``— *Title* (2025-07-12) · [example.com](<https://…>)``, links dropped past ``limit``."""
    title = escape_clipped(one_line(ex.title or "Untitled"), TITLE_ROOM)
    line = f"— *{title}*"
    if ex.date:
        line += f" ({escape_plain(one_line(ex.date))[:40]})"
    seen: set[str] = set()
    links: list[str] = []
    for item in sorted(ex.links, key=lambda li: _LINK_ORDER.get(li.kind, 9)):
        if item.url in seen:
            continue
        seen.add(item.url)
        rendered = link(item.label or _label_for(item.kind), item.url)
        if len(line) + sum(len(x) + 3 for x in links) + len(rendered) + 3 > limit:
            continue
        links.append(rendered)
        if len(links) == LINKS_PER_EXCERPT:
            break
    if links:
        line += " · " + " · ".join(links)
    return line


def _label_for(kind: str) -> str:
    return {"posted": "posted here", "article": "source"}.get(kind, "link")


# --- one quote ---------------------------------------------------------------------------


def quote_block(ex: Excerpt, budget: int) -> str:
    """The excerpt as a blockquote of at most ``budget`` characters (see :func:`fit_window`)."""
    start, end = fit_window(ex, budget)
    return _quote_markdown(ex, start, end)


def fit_window(ex: Excerpt, budget: int) -> tuple[int, int]:
    """The part ``[start, end)`` of ``ex.quote`` to show so the blockquote fits ``budget``.

    Cuts fall after a sentence when that keeps most of the text, else between words,
    never inside a URL; the window keeps the first highlighted word when it can.
    Only a single "word" longer than the whole budget is cut inside it.
    """
    text = ex.quote
    if len(_quote_markdown(ex, 0, len(text))) <= budget:
        return 0, len(text)
    urls = [m.span() for m in URL_RE.finditer(text)]

    def inside_url(pos: int) -> bool:
        return any(a < pos < b for a, b in urls)

    words = [m.start() for m in re.finditer(r"\s", text) if not inside_url(m.start())]
    sentences = [m.end() for m in _SENTENCE_END.finditer(text) if not inside_url(m.end())]
    starts = _start_candidates(ex, text, words, sentences)
    for start in starts:
        ends = [p for p in words if p > start] + [len(text)]
        end = _largest_fitting(ex, start, ends, budget)
        if end is None:
            continue
        sentence_end = _largest_fitting(
            ex, start, [p for p in sentences if start < p <= end], budget
        )
        if sentence_end is not None and sentence_end - start >= 0.6 * (end - start):
            end = sentence_end
        if start == starts[-1] or _keeps_highlight(ex, start, end):
            if start > 0 and not text[end:].strip():  # room left: give the highlight some context
                start = _earliest_fitting_start(ex, text, start, end, sentences, budget)
            return start, end
    # One unbroken run of characters (no usable space): cut it, but not inside a URL.
    start = starts[0] if starts else 0
    chars = [p for p in range(start + 1, len(text)) if not inside_url(p)]
    end = _largest_fitting(ex, start, chars, budget)
    if end is None:
        end = _largest_fitting(ex, start, list(range(start + 1, len(text))), budget)
    return start, end if end is not None else start + 1


def _start_candidates(ex: Excerpt, text: str, words: list[int], sentences: list[int]) -> list[int]:
    """Where a window may start: the quote's start, then just before the first highlight."""
    starts = [0]
    if ex.highlights:
        first = min(span.start for span in ex.highlights)
        before_sentence = [p for p in sentences if p <= first]
        before_word = [p for p in words if p <= first]
        for pos in before_sentence[-1:] + before_word[-1:]:
            pos = _skip_space(text, pos)
            if pos not in starts:
                starts.append(pos)
    return starts


def _earliest_fitting_start(
    ex: Excerpt, text: str, start: int, end: int, sentences: list[int], budget: int
) -> int:
    for candidate in [p for p in reversed(sentences) if p < start][:20]:
        candidate = _skip_space(text, candidate)
        if len(_quote_markdown(ex, candidate, end)) > budget:
            break
        start = candidate
    if start > 0 and len(_quote_markdown(ex, 0, end)) <= budget:
        start = 0
    return start


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _keeps_highlight(ex: Excerpt, start: int, end: int) -> bool:
    return not ex.highlights or any(start <= s.start and s.end <= end for s in ex.highlights)


def _largest_fitting(ex: Excerpt, start: int, ends: list[int], budget: int) -> int | None:
    """Binary search: rendered length grows with ``end``."""
    lo, hi, best = 0, len(ends) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if len(_quote_markdown(ex, start, ends[mid])) <= budget:
            best = ends[mid]
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def _quote_markdown(ex: Excerpt, start: int, end: int) -> str:
    """``ex.quote[start:end]`` as escaped blockquote lines with highlights in bold."""
    text = ex.quote
    urls = [m.span() for m in URL_RE.finditer(text)]
    bold = _bold_spans(ex, start, end, urls)
    pieces: list[str] = []
    cuts = sorted({start, end, *(p for span in bold + urls for p in span if start < p < end)})
    for a, b in zip(cuts, cuts[1:], strict=False):
        segment = text[a:b]
        if any(ba <= a and b <= bb for ba, bb in bold):
            pieces.append("**" + escape_plain(segment) + "**")
        elif any(ua <= a and b <= ub for ua, ub in urls):
            pieces.append(neutralize_mentions(segment))  # a backslash would change the link
        else:
            pieces.append(escape_plain(segment))
    body = "".join(pieces)
    lines = [line.strip() for line in body.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    head = "…" if text[:start].strip() or ex.clipped_start else ""
    tail = ""
    if text[end:].strip() or ex.clipped_end:
        # An ellipsis glued to a URL would become part of the link.
        tail = " …" if any(ub == end for _, ub in urls) else "…"
    lines[0] = head + lines[0]
    lines[-1] = lines[-1] + tail
    return "\n".join("> " + line for line in lines)


def _bold_spans(
    ex: Excerpt, start: int, end: int, urls: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Highlights inside the window, merged, split at line breaks, clear of URLs.

    A highlight touching a URL is dropped: ``**`` next to a URL would join the link.
    """
    text = ex.quote
    spans: list[tuple[int, int]] = []
    for span in sorted(ex.highlights, key=lambda s: s.start):
        a, b = max(span.start, start), min(span.end, end)
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a >= b or any(a <= ub and ua <= b for ua, ub in urls):
            continue
        if spans and (a <= spans[-1][1] or not text[spans[-1][1] : a].strip(" \t")):
            # Touching or overlapping: one bold run, else "****" would appear.
            spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
        else:
            spans.append((a, b))
    split: list[tuple[int, int]] = []
    for a, b in spans:
        for m in re.finditer(r"[^\n]+", text[a:b]):
            piece_a, piece_b = a + m.start(), a + m.end()
            while piece_a < piece_b and text[piece_a].isspace():
                piece_a += 1
            while piece_b > piece_a and text[piece_b - 1].isspace():
                piece_b -= 1
            if piece_a < piece_b:
                split.append((piece_a, piece_b))
    return split


def shown_excerpts(answer: Answer, shown: int) -> tuple[tuple[int, int], ...]:
    """(article id, passage id) of the excerpts a rendered answer page shows."""
    return tuple((e.article_id, e.passage_id) for e in answer.excerpts[:shown])
