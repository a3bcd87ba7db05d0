"""Everything the bot says besides answers, within Discord's limits.

Pure functions, no network: ingest results become one line each, errors one escaped line,
article lists, details, stats and gaps become embeds, votes and forgetting a short thanks.
Answers are :mod:`bot.quotes`'. Every piece of untrusted text goes through
:mod:`bot.markdown` first.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

import discord

from bot.markdown import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_TITLE_LIMIT,
    MESSAGE_LIMIT,
    clip,
    escape_clipped,
    escape_plain,
    link,
    one_line,
)
from bot.quotes import quote_block
from knowledge.types import (
    GLOBAL_COLLECTION,
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

ARTICLES_PER_PAGE = 10
GAPS_PER_PAGE = 10
#: Autocomplete: a choice's name and value hold at most 100 characters.
CHOICE_LIMIT = 100


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
    embed.description = quote_block(opening, 1500) or "(empty)"
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
