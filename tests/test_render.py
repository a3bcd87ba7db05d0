"""The renderer on long and hostile texts: Discord's limits hold, nothing pings, bold is right."""

from __future__ import annotations

import re

import pytest

from bot.markdown import (
    EMBED_DESCRIPTION_LIMIT,
    EMBED_FIELD_VALUE_LIMIT,
    EMBED_FIELDS_LIMIT,
    EMBED_TITLE_LIMIT,
    EMBED_TOTAL_LIMIT,
    MESSAGE_LIMIT,
    URL_RE,
    ZWSP,
    escape,
)
from bot.quotes import render_answer
from bot.render import (
    render_article,
    render_article_list,
    render_ingested,
    render_outcomes,
    render_stats,
)
from knowledge.types import (
    Answer,
    ArticleDetail,
    ArticleSummary,
    Excerpt,
    Ingested,
    IngestOutcome,
    Link,
    Span,
    Stats,
)

HOSTILE = (
    "Attention @everyone and @here: <@123> <@!123456789012345678> <@&123> <#1> </ask:99> "
    "<t:1700000000:R> <:blob:123> **not bold** __not underlined__ ~~not struck~~ "
    "||not a spoiler|| `not code` [click me](http://evil.example/x) "
    "\\*still a star\\* and a back\\slash."
)
MULTILINE = "> not a quote\n# not a heading\n-# not small\n- not a list\n1. not numbered\nplain end"
LONG_WORDS = (
    "The committee met in Cluj on a rainy Tuesday. Members argued over the budget for hours. "
    "Nobody expected the mayor to arrive with a new proposal. "
)
RTL = "המועצה התכנסה בירושלים ביום שלישי. المجلس اجتمع في القاهرة يوم الثلاثاء."
EMOJI = "The rocket 🚀 launched at dawn 🌅; families 👨‍👩‍👧 watched from the beach."
MENTION_FORMS = re.compile(r"@everyone|@here|<@|<#|</|<t:|<:|<a:", re.IGNORECASE)


def make_excerpt(
    quote: str,
    *,
    bold: tuple[str, ...] = (),
    title: str = "Council notes",
    date: str | None = "2025-07-12",
    links: tuple[Link, ...] = (Link("https://news.example/council", "news.example", "article"),),
    clipped: tuple[bool, bool] = (False, False),
    article_id: int = 1,
) -> Excerpt:
    """An excerpt whose highlights are every occurrence of the ``bold`` words."""
    spans = sorted(
        (
            Span(m.start(), m.end())
            for word in bold
            for m in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", quote)
        ),
        key=lambda span: span.start,
    )
    return Excerpt(
        article_id=article_id,
        passage_id=article_id * 10,
        title=title,
        date=date,
        author=None,
        quote=quote,
        quote_start=0,
        quote_end=len(quote),
        clipped_start=clipped[0],
        clipped_end=clipped[1],
        highlights=tuple(spans),
        matched_terms=tuple(w.lower() for w in bold),
        score=1.0,
        language="en",
        heading=None,
        links=links,
        passage=quote,
        passage_start=0,
        passage_end=len(quote),
    )


def answer_of(*excerpts: Excerpt, question: str = "what happened?", total: int = 0) -> Answer:
    return Answer(question=question, excerpts=excerpts, total=total or len(excerpts))


def quote_lines(content: str) -> list[str]:
    return [line[2:] for line in content.split("\n") if line.startswith("> ")]


def visible(markdown: str) -> str:
    """Roughly what Discord shows for our quote markdown: markers gone, escapes resolved."""
    text = re.sub(r"(?<!\\)\*\*", "", markdown)
    text = re.sub(r"\\([^0-9A-Za-z\s])", r"\1", text)
    return text.replace(ZWSP, "")


def shown_quote(content: str) -> str:
    """The visible words of all quote lines, ellipses removed, whitespace collapsed."""
    text = " ".join(visible(line) for line in quote_lines(content))
    return " ".join(text.replace("…", " ").split())


def squash(text: str) -> str:
    return " ".join(text.split())


# --- quoting ---------------------------------------------------------------------------------


def test_quote_title_date_and_link_are_shown_without_previews():
    content = render_answer(answer_of(make_excerpt(LONG_WORDS, bold=("Cluj", "budget")))).content
    assert content.startswith("> ")
    assert "**Cluj**" in content and "**budget**" in content
    assert "— *Council notes* (2025-07-12)" in content
    assert "[news.example](<https://news.example/council>)" in content
    assert shown_quote(content) == squash(LONG_WORDS)
    assert len(content) <= MESSAGE_LIMIT


@pytest.mark.parametrize(
    "text", [HOSTILE, MULTILINE, RTL, EMOJI], ids=["hostile", "lines", "rtl", "emoji"]
)
def test_hostile_text_reads_as_written_and_cannot_ping(text):
    content = render_answer(answer_of(make_excerpt(text))).content
    quoted = "\n".join(quote_lines(content))
    assert not MENTION_FORMS.search(quoted)
    # No markdown survives unescaped: every marker character carries a backslash.
    plain = "".join(part for part in re.split(URL_RE, quoted))
    assert not re.search(r"(?<!\\)[*_~|`\[]", plain), plain
    assert not re.search(r"(?<!\\)\[[^\]]*\]\(", quoted), "a masked link survived"
    for line in quote_lines(content):
        assert not re.match(r"(?:…)?(?:[>#+-]|\d+\.)", line), line
    assert shown_quote(content) == squash(text)


def test_mentions_in_title_question_and_link_labels_are_broken():
    ex = make_excerpt(
        "An ordinary sentence about the harbour.",
        title="@everyone read <@&42> **now**",
        links=(Link("https://x.example/@everyone", "@here [tricky](label)", "quoted"),),
    )
    content = render_answer(answer_of(ex, question="@everyone <@1>?")).content
    assert not MENTION_FORMS.search(content)
    nothing = render_answer(Answer("@everyone <@&5> ping", ())).content
    assert not MENTION_FORMS.search(nothing)
    masked = re.findall(r"\[((?:\\.|[^\]\\])*)\]\(<([^<>\s]+)>\)", content)
    assert masked and all("]" not in label.replace("\\]", "") for label, _ in masked)


def test_bold_lands_on_the_matched_words_after_escaping():
    quote = "Use *stars* and the_snake_case near Cluj_Napoca; Cluj is **big**."
    ex = make_excerpt(quote, bold=("stars", "Cluj", "big"))
    content = render_answer(answer_of(ex)).content
    bolded = re.findall(r"(?<!\\)\*\*(.+?)(?<!\\)\*\*", quote_lines(content)[0])
    assert [visible(b) for b in bolded] == ["stars", "Cluj", "big"]
    assert shown_quote(content) == squash(quote)


def test_touching_highlights_make_one_bold_run_and_skip_urls():
    quote = "New York City https://example.org/path_with_underscores is listed."
    ex = make_excerpt(
        quote, bold=("New", "York", "City", "https://example.org/path_with_underscores")
    )
    content = render_answer(answer_of(ex)).content
    assert "**New York City**" in content
    assert "https://example.org/path_with_underscores" in content  # unescaped, not bold
    assert "****" not in content


def test_ellipses_follow_clipping_flags():
    content = render_answer(answer_of(make_excerpt("middle of a passage", clipped=(True, True))))
    assert quote_lines(content.content)[0] == "…middle of a passage…"


def test_nothing_relevant_says_so_with_a_hint():
    rendered = render_answer(Answer("who won the chess final?", ()))
    assert rendered.shown == 0 and not rendered.more
    assert "Nothing relevant stored" in rendered.content and "/ingest" in rendered.content


# --- limits ------------------------------------------------------------------------------


def assert_cut_between_words(original: str, content: str) -> None:
    shown = shown_quote(content)
    flat = squash(original)
    assert shown, "nothing quoted"
    index = flat.find(shown)
    assert index >= 0, "the quote is not verbatim"
    end = index + len(shown)
    assert index == 0 or flat[index - 1] == " ", "cut mid-word at the start"
    assert end == len(flat) or flat[end] == " ", f"cut mid-word: …{flat[end - 20 : end + 5]!r}"


def test_ten_thousand_character_quote_fits_and_cuts_at_a_boundary():
    long = (LONG_WORDS * 80)[:10_000]
    rendered = render_answer(answer_of(make_excerpt(long, bold=("mayor",))))
    assert len(rendered.content) <= MESSAGE_LIMIT
    assert_cut_between_words(long, rendered.content)
    assert quote_lines(rendered.content)[-1].endswith("…")
    assert "**mayor**" in rendered.content
    # Prefers ending after a sentence.
    assert re.search(r"[.!?]…$", quote_lines(rendered.content)[-1])


def test_highlight_far_into_a_long_quote_stays_visible():
    long = LONG_WORDS * 40 + "At last the treasurer resigned. " + LONG_WORDS * 5
    rendered = render_answer(answer_of(make_excerpt(long, bold=("treasurer",))))
    assert "**treasurer**" in rendered.content
    assert quote_lines(rendered.content)[0].startswith("…")
    assert_cut_between_words(long, rendered.content)


def test_thirty_excerpts_are_paged_within_the_limit():
    excerpts = [
        make_excerpt(f"Excerpt number {i}. " + LONG_WORDS * 3, bold=("budget",), article_id=i)
        for i in range(30)
    ]
    rendered = render_answer(answer_of(*excerpts, total=30))
    assert len(rendered.content) <= MESSAGE_LIMIT
    assert 1 <= rendered.shown < 30 and rendered.more
    assert f"Excerpts 1–{rendered.shown} of 30" in rendered.content
    assert rendered.content.count("— *Council notes*") == rendered.shown


@pytest.mark.parametrize("where", range(300, 1900, 97))
def test_a_url_at_the_cut_point_is_kept_whole_or_left_out(where):
    url = "https://archive.example/2025/07/12/council-minutes_final?page=3&lang=ro"
    filler = ("word " * 600)[:where]
    quote = filler + url + " and after it more words follow. " + "tail " * 300
    content = render_answer(answer_of(make_excerpt(quote))).content
    assert len(content) <= MESSAGE_LIMIT
    quoted = "\n".join(quote_lines(content))
    if "https://" in quoted:
        assert url in quoted
        assert not re.search(re.escape(url) + r"…", quoted), "ellipsis glued to the URL"
    assert_cut_between_words(quote, content)


def test_one_giant_word_is_cut_rather_than_overflowing():
    ex = make_excerpt(
        "x" * 10_000, links=(Link("https://e.example/" + "p" * 3000, "huge", "article"),)
    )
    rendered = render_answer(answer_of(ex))
    assert len(rendered.content) <= MESSAGE_LIMIT
    assert rendered.shown == 1


def test_hostile_excerpts_in_bulk_stay_within_limits():
    excerpts = [make_excerpt(HOSTILE * 20, title=HOSTILE, article_id=i) for i in range(12)]
    rendered = render_answer(answer_of(*excerpts, question=HOSTILE * 5))
    assert len(rendered.content) <= MESSAGE_LIMIT
    assert not MENTION_FORMS.search(rendered.content)


# --- other replies ---------------------------------------------------------------------------


def summary(i: int, title: str = "Council notes", **extra) -> ArticleSummary:
    values = dict(
        id=i,
        collection="guild:1",
        title=title,
        date="2025-07-12",
        author="Ana Pop",
        url="https://news.example/council",
        languages=("ro", "en"),
        passage_count=9,
        added_at="2025-07-13T10:00:00+00:00",
        added_by="ana (42)",
        source_kind="url",
        source_ref=None,
    )
    values.update(extra)
    return ArticleSummary(**values)


def test_ingest_lines():
    assert render_ingested(Ingested(summary(12))) == (
        "Stored #12 “Council notes” (2025-07-12, ro+en, 9 passages)"
    )
    assert render_ingested(Ingested(summary(12), duplicate=True)) == (
        "Already stored as #12 “Council notes”."
    )
    hostile = render_ingested(Ingested(summary(3, title="@everyone <@&1> " + "y" * 5000)))
    assert not MENTION_FORMS.search(hostile) and len(hostile) < 400


def test_many_outcomes_fit_one_message():
    outcomes = [
        IngestOutcome(f"feed.jsonl:{i}", Ingested(summary(i)))
        if i % 3
        else IngestOutcome(f"feed.jsonl:{i}", error="no text")
        for i in range(500)
    ]
    text = render_outcomes(outcomes)
    assert len(text) <= MESSAGE_LIMIT
    assert text.startswith("333 of 500 stored.") and "more" in text.splitlines()[-1]


def embed_within_limits(embed) -> None:
    data = embed.to_dict()
    assert len(data.get("title", "")) <= EMBED_TITLE_LIMIT
    assert len(data.get("description", "")) <= EMBED_DESCRIPTION_LIMIT
    assert len(data.get("fields", [])) <= EMBED_FIELDS_LIMIT
    assert all(len(f["value"]) <= EMBED_FIELD_VALUE_LIMIT for f in data.get("fields", []))
    assert len(embed) <= EMBED_TOTAL_LIMIT
    text = str(data)
    assert not MENTION_FORMS.search(text.replace("<t:", "")), "only our own timestamps"


def test_article_list_page_with_hostile_long_titles():
    articles = [summary(i, title=HOSTILE * 10) for i in range(10)]
    embed = render_article_list(articles, page=1, pages=3, total=25)
    embed_within_limits(embed)
    assert embed.description.count("`#") == 10


def test_article_detail_shows_who_and_when_within_limits():
    detail = ArticleDetail(
        summary(
            7,
            title=HOSTILE,
            url="https://news.example/" + "a" * 3000,
            source_ref="https://discord.com/channels/1/2/3",
        ),
        opening=(HOSTILE + " ") * 100,
        characters=123_456,
    )
    embed = render_article(detail)
    embed_within_limits(embed)
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Added by"] == "ana (42)"
    assert fields["Added"].startswith("<t:")
    assert fields["Source"] == "[message](<https://discord.com/channels/1/2/3>)"
    assert embed.description.startswith("> ")


def test_stats_with_many_languages():
    stats = Stats(
        articles=3,
        passages=40,
        characters=9000,
        languages={f"l{i}": i for i in range(200)},
        collections={"guild:1": 2, "global": 1},
    )
    embed = render_stats(stats)
    embed_within_limits(embed)
    fields = {f.name: f.value for f in embed.fields}
    assert fields["Articles per collection"] == "shared (global) 1, this server 2"


def test_escape_leaves_urls_working():
    text = "see https://example.org/a_b_c and *this*"
    assert escape(text) == "see https://example.org/a_b_c and \\*this\\*"
