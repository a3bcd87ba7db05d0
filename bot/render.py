"""Turn the core's plain results into Discord messages that respect Discord's limits.

Pure functions, no network: an :class:`~knowledge.types.Answer` becomes message content
(quotes with matched words in bold, title, date and links that do not unfold previews);
ingest results become one line each; article lists, details and stats become embeds.
Every piece of untrusted text goes through :mod:`bot.markdown` first.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.markdown import (
    URL_RE,
    clip,
    escape_clipped,
    escape_plain,
    link,
    neutralize_mentions,
    one_line,
)
from knowledge.types import (
    GLOBAL_COLLECTION,
    Answer,
    ArticleChoice,
    ArticleDetail,
    ArticleSummary,
    Excerpt,
    Forgotten,
    GapReport,
    Ingested,
    IngestOutcome,
    Stats,
    VoteRecorded,
)

# Discord's limits (https://discord.com/developers/docs/resources/message).
MESSAGE_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FIELDS_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000

#: A quote shorter than this is not worth showing; show fewer excerpts instead.
MIN_QUOTE = 160
TITLE_ROOM = 120
#: Title, date and links under a quote; links that do not fit are left out.
ATTRIBUTION_ROOM = 600
LINKS_PER_EXCERPT = 3
ARTICLES_PER_PAGE = 10
GAPS_PER_PAGE = 10
#: Autocomplete: a choice's name and value hold at most 100 characters.
CHOICE_LIMIT = 100

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
        _quote(ex, budget) + "\n" + attribution
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


def _quote(ex: Excerpt, budget: int) -> str:
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


# --- ingest ------------------------------------------------------------------------------


def render_ingested(result: Ingested) -> str:
    """``Stored #12 “Title” (2025-07-12, ro+en, 9 passages)`` or ``Already stored as #12 …``."""
    article = result.article
    title = escape_clipped(one_line(article.title or "Untitled"), 200)
    if result.duplicate:
        return f"Already stored as #{article.id} “{title}”."
    details = [escape_plain(article.date)] if article.date else []
    if article.languages:
        details.append("+".join(article.languages))
    count = article.passage_count
    details.append(f"{count} passage{'s' if count != 1 else ''}")
    return f"Stored #{article.id} “{title}” ({', '.join(details)})"


def render_outcomes(outcomes: list[IngestOutcome], *, limit: int = MESSAGE_LIMIT) -> str:
    """One line per source (a .jsonl file holds many), within one message."""
    if len(outcomes) == 1:
        only = outcomes[0]
        if only.result is not None:
            return render_ingested(only.result)
        return render_error(only.error or "nothing stored")
    lines: list[str] = []
    for i, outcome in enumerate(outcomes):
        source = escape_clipped(one_line(outcome.source), 80)
        if outcome.result is not None:
            line = f"{source}: {render_ingested(outcome.result)}"
        else:
            line = f"{source}: {render_error(outcome.error or 'nothing stored')}"
        rest = len(outcomes) - i - 1
        tail = f"\n… and {rest} more" if rest else ""
        if len("\n".join([*lines, line])) + len(tail) > limit - 40:
            lines.append(f"… and {len(outcomes) - i} more")
            break
        lines.append(line)
    stored = sum(1 for o in outcomes if o.result is not None and not o.result.duplicate)
    head = f"{stored} of {len(outcomes)} stored."
    return clip(head + "\n" + "\n".join(lines), limit)


def render_error(message: str, *, limit: int = 300) -> str:
    """A user-facing error line, escaped (it may echo a URL or a file name)."""
    return escape_clipped(one_line(message), limit)


# --- browsing ----------------------------------------------------------------------------


def describe_collection(collection: str) -> str:
    if collection == GLOBAL_COLLECTION:
        return "shared (global)"
    if collection.startswith("guild:"):
        return "this server"
    return escape_plain(collection)


def render_article_list(
    articles: list[ArticleSummary], *, page: int, pages: int, total: int
) -> discord.Embed:
    """One page of ``/articles``: id, title, date, languages and passage count per line."""
    embed = discord.Embed(title=f"Stored articles ({total})")
    if not articles:
        embed.description = "No articles stored yet. Add one with `/ingest`."
        return embed
    lines = []
    for a in articles:
        title = escape_clipped(one_line(a.title or "Untitled"), 150)
        details = [escape_plain(a.date)] if a.date else []
        if a.languages:
            details.append("+".join(a.languages))
        details.append(f"{a.passage_count} passages")
        line = f"`#{a.id}` **{title}** ({', '.join(details)})"
        if a.collection == GLOBAL_COLLECTION:
            line += " · shared"
        lines.append(line)
    embed.description = clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT)
    embed.set_footer(text=f"Page {page} of {pages} · newest first · /article id:<id> for details")
    return embed


def render_article(detail: ArticleDetail) -> discord.Embed:
    """``/article``: metadata, who added it and when, and the opening passage quoted."""
    a = detail.summary
    embed = discord.Embed(title=escape_clipped(one_line(a.title or "Untitled"), EMBED_TITLE_LIMIT))
    url = a.url or ""
    if url.startswith(("http://", "https://")) and len(url) <= 2000:
        embed.url = url
    opening = Excerpt(
        article_id=a.id, passage_id=0, title=a.title, date=a.date, author=a.author,
        quote=detail.opening, quote_start=0, quote_end=len(detail.opening),
        clipped_start=False, clipped_end=False, highlights=(), matched_terms=(), score=0.0,
        language=None, heading=None, links=(), passage=detail.opening, passage_start=0,
        passage_end=len(detail.opening),
    )  # fmt: skip
    embed.description = _quote(opening, 1500) or "(empty)"
    fields = [
        ("ID", f"#{a.id}"),
        ("Date", escape_plain(a.date) if a.date else "unknown"),
        ("Author", escape_clipped(one_line(a.author), 200) if a.author else "unknown"),
        ("Languages", "+".join(a.languages) or "unknown"),
        ("Passages", str(a.passage_count)),
        ("Characters", f"{detail.characters:,}"),
        ("Added by", escape_clipped(one_line(a.added_by), 200) if a.added_by else "unknown"),
        ("Added", _timestamp(a.added_at)),
        ("Collection", describe_collection(a.collection)),
    ]
    if a.url:
        fields.append(("URL", _field_link(_host(a.url), a.url)))
    if a.source_ref and a.source_ref != a.url:
        source = a.source_ref
        shown = _field_link("message", source) if "://" in source else escape_clipped(source, 200)
        fields.append(("Source", shown))
    for name, value in fields:
        if value:
            embed.add_field(name=name, value=clip(value, EMBED_FIELD_VALUE_LIMIT), inline=True)
    return embed


def render_removed(article: ArticleSummary) -> str:
    title = escape_clipped(one_line(article.title or "Untitled"), 200)
    return f"Removed #{article.id} “{title}”."


def render_stats(stats: Stats) -> discord.Embed:
    """``/stats``: what this server can search."""
    embed = discord.Embed(title="Archivist")
    embed.add_field(name="Articles", value=f"{stats.articles:,}")
    embed.add_field(name="Passages", value=f"{stats.passages:,}")
    embed.add_field(name="Characters", value=f"{stats.characters:,}")
    if stats.languages:
        top = sorted(stats.languages.items(), key=lambda kv: (-kv[1], kv[0]))[:15]
        value = ", ".join(f"{escape_plain(lang)} {n:,}" for lang, n in top)
        embed.add_field(
            name="Passages per language", value=clip(value, EMBED_FIELD_VALUE_LIMIT), inline=False
        )
    if stats.collections:
        value = ", ".join(
            f"{describe_collection(name)} {n:,}" for name, n in sorted(stats.collections.items())
        )
        embed.add_field(
            name="Articles per collection",
            value=clip(value, EMBED_FIELD_VALUE_LIMIT),
            inline=False,
        )
    embed.add_field(
        name="Semantic search",
        value=clip(escape_plain(semantic_line(stats)), EMBED_FIELD_VALUE_LIMIT),
        inline=False,
    )
    return embed


def semantic_line(stats: Stats) -> str:
    """Whether answers use meaning as well as words, and how far embedding has got."""
    if not stats.semantic:
        return f"off: {stats.semantic_reason}"
    if stats.embedded >= stats.passages:
        return f"on, all {stats.passages:,} passages have vectors"
    return (
        f"on, {stats.embedded:,} of {stats.passages:,} passages have vectors "
        "(the rest are embedded in the background; words still find them)"
    )


def pages_for(total: int, per_page: int = ARTICLES_PER_PAGE) -> int:
    return max(1, math.ceil(total / per_page))


def _timestamp(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return escape_plain(str(iso))
    return discord.utils.format_dt(moment, "f")


def _field_link(label: str, url: str) -> str:
    """A link for an embed field, or just its label when the URL is too long for one."""
    rendered = link(label, url)
    return rendered if len(rendered) <= EMBED_FIELD_VALUE_LIMIT else escape_plain(label)


def _host(url: str) -> str:
    match = re.match(r"https?://([^/?#\s]+)", url)
    return match.group(1) if match else "link"


# --- feedback ----------------------------------------------------------------------------


def shown_excerpts(answer: Answer, shown: int) -> tuple[tuple[int, int], ...]:
    """(article id, passage id) of the excerpts a rendered answer page shows."""
    return tuple((e.article_id, e.passage_id) for e in answer.excerpts[:shown])


def render_vote(recorded: VoteRecorded) -> str:
    """The voter's short, private thanks."""
    if not recorded.stored:
        return "Thanks. (This bot does not keep votes: question logging is off.)"
    kind = "helpful" if recorded.helpful else "not helpful"
    if recorded.replaced:
        return f"Changed your vote to {kind}. Thanks!"
    if recorded.helpful:
        return "Thanks! Marked as helpful."
    return "Thanks! Marked as not helpful; editors see it in /gaps."


def render_forgotten(forgotten: Forgotten) -> str:
    def count(n: int, noun: str) -> str:
        return f"{n} {noun}{'s' if n != 1 else ''}"

    if not forgotten.questions and not forgotten.votes:
        return "I keep no questions or votes of yours."
    return (
        f"Deleted {count(forgotten.questions, 'question')} and "
        f"{count(forgotten.votes, 'vote')} of yours, in every server."
    )


def render_gaps(report: GapReport, *, page: int, pages: int, logging_on: bool) -> discord.Embed:
    """``/gaps``: the most asked questions nobody could answer, near-duplicates grouped."""
    since = f" in the last {report.days} days" if report.days else ""
    embed = discord.Embed(title=f"Questions nobody could answer{since} ({report.total})")
    lines = []
    for gap in report.gaps:
        question = escape_clipped(one_line(gap.question), 200)
        kinds = []
        if gap.unanswered:
            kinds.append(f"{gap.unanswered} unanswered")
        if gap.not_helpful:
            kinds.append(f"{gap.not_helpful} not helpful")
        last = _timestamp_relative(gap.last_asked)
        line = f"**{gap.count}×** “{question}” · {', '.join(kinds)} · last {last}"
        if gap.variants:
            shown = ", ".join(f"“{escape_clipped(one_line(v), 60)}”" for v in gap.variants)
            line += f"\n  also asked as {shown}"
        lines.append(line)
    if not lines:
        lines.append(f"Nothing went unanswered{since}.")
    if not logging_on:
        lines.append("Question logging is off here (`ARCHIVIST_LOG_QUESTIONS=false`).")
    embed.description = clip("\n".join(lines), EMBED_DESCRIPTION_LIMIT)
    embed.set_footer(text=f"Page {page} of {pages} · most asked first · similar questions grouped")
    return embed


def _timestamp_relative(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return escape_plain(str(iso))
    return discord.utils.format_dt(moment, "R")


def choice_name(choice: ArticleChoice, limit: int = CHOICE_LIMIT) -> str:
    """``#12 Title (2025-07-12)`` within ``limit`` characters, the title shortened first.

    Choice names are shown as plain text: no Markdown escaping, but one line.
    """
    head = f"#{choice.id} "
    tail = f" ({one_line(choice.date)[:20]})" if choice.date else ""
    title = one_line(choice.title or "Untitled")
    room = limit - len(head) - len(tail)
    if len(title) > room:
        title = title[: max(1, room - 1)].rstrip() + "…"
    return (head + title + tail)[:limit]
