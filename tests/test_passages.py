"""Passage, sentence, link and language splitting on texts written for these tests."""

from __future__ import annotations

import pytest

from knowledge.language import detect_language
from knowledge.links import MAX_LINKS, find_links
from knowledge.passages import split_passages
from knowledge.sentences import split_sentences
from knowledge.types import Link, PassageDraft

# A Romanian news note quoting English tweets, as pasted from a news site.
NEWS_TITLE = "Vizită oficială la Oslo\n\n"
NEWS_BODY = """\
Ministrul de externe a ajuns la Oslo pentru o vizită de două zile. \
pic.twitter.com/Ab12Cd34Ef — Nordic Wire 🌍 (@nordic_wire) March 3, 2025

Ministrul promite sprijin: „Vom fi alături de voi”

Întâlnirea cu premierul norvegian a durat aproape trei ore, iar cei doi au discutat despre \
energie, pescuit și securitatea din Arctica.

🔥🔥🔥

The minister praised the talks as frank and useful, according to the official readout. \
pic.twitter.com/Zz98Yy76Xx — Arctic Desk (@arctic_desk) March 3, 2025

Ce urmează după vizită?

Premierul norvegian la conferința de presă comună:



"We will keep working together on clean energy and on safer shipping lanes in the north." \
https://example.no/press/2025-03-03.html

Detalii suplimentare vor fi publicate de minister în cursul săptămânii viitoare, potrivit \
unui comunicat oficial.
"""
NEWS = NEWS_TITLE + NEWS_BODY

MARKDOWN = """\
# Field Guide to Moss

Moss grows in damp, shaded places and needs no soil at all to survive.

## Where to look
Look on the north side of old stone walls, on fallen logs and along stream banks after rain.

## Identifying *species*

Cushion moss forms dense, rounded clumps that feel springy under a finger.

Sheet moss spreads in flat mats and peels away from the rock in one piece.

## Notes
"""

HARD_WRAPPED = """\
The harbour authority said on Monday that the old
lighthouse would reopen to visitors in the spring,
after two years of repairs to its iron stairs.

Tickets will be sold at the gate only, and groups
larger than ten people must book a week in advance.
"""

NO_BLANK_LINES = """\
Weekly bulletin
The library will close early on Friday for staff training.
Children's reading hour moves to Saturday morning at ten,
because the main hall is being painted.
Read more
Volunteers are still needed for the spring book fair in the main hall.
— Town Library (@town_library) April 2, 2025
"""

SENTENCES = [
    "The council met on Tuesday in the old town hall.",
    "Dr. Ana Pop said the budget grows by 3.5 percent, i.e. about 20.000 lei.",
    "Mr. Lee from the U.S. Embassy asked about the bridge.",
    "Nobody could say when the repairs would start…",
    "„Vom termina lucrările până în toamnă.”",
    "Residents were not convinced and asked for a written plan.",
    "The next meeting is planned for the first week of May.",
]
# One paragraph of ~6 000 characters built from whole sentences.
GIANT = " ".join(SENTENCES[i % len(SENTENCES)] for i in range(100))


def passage_texts(text: str, drafts: list[PassageDraft]) -> list[str]:
    return [text[d.start : d.end] for d in drafts]


def assert_invariants(
    text: str, drafts: list[PassageDraft], body_start: int = 0, max_chars: int = 1500
) -> None:
    position = body_start
    for draft in drafts:
        assert position <= draft.start < draft.end <= len(text)
        assert draft.end - draft.start <= max_chars
        passage = text[draft.start : draft.end]
        assert passage == passage.strip(), "passages are trimmed"
        position = draft.end


# ------------------------------------------------------------------ passages


def test_news_note_passages_headings_and_links() -> None:
    drafts = split_passages(NEWS, len(NEWS_TITLE))
    assert_invariants(NEWS, drafts, len(NEWS_TITLE))
    got = [(d.heading, NEWS[d.start : d.end]) for d in drafts]
    first_heading = "Ministrul promite sprijin: „Vom fi alături de voi”"
    assert got == [
        (None, NEWS_BODY.split("\n\n")[0]),
        (first_heading, NEWS_BODY.split("\n\n")[2]),
        # The emoji line joins the tweet after it.
        (first_heading, "🔥🔥🔥\n\n" + NEWS_BODY.split("\n\n")[4]),
        # The ':' introduction is one passage with the quote it introduces.
        (
            "Ce urmează după vizită?",
            "Premierul norvegian la conferința de presă comună:\n\n\n\n"
            + NEWS_BODY.split("\n\n")[8],
        ),
        ("Ce urmează după vizită?", NEWS_BODY.split("\n\n")[9].strip()),
    ]
    assert drafts[0].links == (
        Link("https://pic.twitter.com/Ab12Cd34Ef", "pic.twitter.com/Ab12Cd34Ef", "quoted"),
        Link("https://x.com/nordic_wire", "@nordic_wire", "attribution"),
    )
    assert drafts[2].links == (
        Link("https://pic.twitter.com/Zz98Yy76Xx", "pic.twitter.com/Zz98Yy76Xx", "quoted"),
        Link("https://x.com/arctic_desk", "@arctic_desk", "attribution"),
    )
    assert drafts[3].links == (
        Link(
            "https://example.no/press/2025-03-03.html",
            "example.no/press/2025-03-03.html",
            "quoted",
        ),
    )
    assert drafts[1].links == ()
    assert [d.language for d in drafts] == ["ro", "ro", "en", "en", "ro"]


def test_title_line_heads_the_body_when_not_skipped() -> None:
    drafts = split_passages(NEWS)
    assert drafts[0].heading == "Vizită oficială la Oslo"
    assert drafts[0].start == len(NEWS_TITLE)


def test_markdown_headings() -> None:
    drafts = split_passages(MARKDOWN)
    assert_invariants(MARKDOWN, drafts)
    assert [(d.heading, MARKDOWN[d.start : d.end]) for d in drafts] == [
        (
            "Field Guide to Moss",
            "Moss grows in damp, shaded places and needs no soil at all to survive.",
        ),
        (
            "Where to look",
            "Look on the north side of old stone walls, on fallen logs and along stream banks "
            "after rain.",
        ),
        (
            "Identifying *species*",
            "Cushion moss forms dense, rounded clumps that feel springy under a finger.",
        ),
        (
            "Identifying *species*",
            "Sheet moss spreads in flat mats and peels away from the rock in one piece.",
        ),
        # A heading with nothing under it stays, as a passage of its own.
        ("Identifying *species*", "## Notes"),
    ]


def test_setext_heading_and_rule_lines() -> None:
    text = (
        "Spring Planting\n===============\n\n"
        "Sow peas as soon as the ground can be worked, about two weeks before the last frost.\n\n"
        "---\n\n"
        "Water well.\n\n"
        "Thin the seedlings when they have two true leaves, leaving a hand's width between them.\n"
    )
    drafts = split_passages(text)
    assert_invariants(text, drafts)
    assert [(d.heading, text[d.start : d.end]) for d in drafts] == [
        (
            "Spring Planting",
            "Sow peas as soon as the ground can be worked, about two weeks before the last frost.",
        ),
        # The short line merges forward, never across the --- rule, which is dropped.
        (
            "Spring Planting",
            "Water well.\n\nThin the seedlings when they have two true leaves, leaving a hand's "
            "width between them.",
        ),
    ]


def test_markdown_code_fence_comments_and_windows_line_ends() -> None:
    text = (
        "# Setup\r\n\r\n"
        "Install the package with pip, then run the command shown below.\r\n\r\n"
        "```bash\r\n# install it\r\npip install thing\r\n\r\n# run it\r\nthing --help\r\n```"
        "\r\n\r\n## Usage in C# ##\r\n\r\n"
        "Call the service from your application code once at startup, then reuse it.\r\n"
    )
    drafts = split_passages(text)
    assert_invariants(text, drafts)
    assert [(d.heading, text[d.start : d.end]) for d in drafts] == [
        ("Setup", "Install the package with pip, then run the command shown below."),
        (
            "Setup",
            "```bash\r\n# install it\r\npip install thing\r\n\r\n# run it\r\nthing --help\r\n```",
        ),
        (
            "Usage in C#",
            "Call the service from your application code once at startup, then reuse it.",
        ),
    ]


def test_two_heading_like_lines_only_the_last_heads_the_text() -> None:
    text = (
        "Harbour News\n\nSpring Edition 2025\n\n"
        "The ferry timetable changes on the first of April, with two extra evening crossings."
    )
    drafts = split_passages(text)
    assert [(d.heading, text[d.start : d.end]) for d in drafts] == [
        (None, "Harbour News"),
        ("Spring Edition 2025", text.rsplit("\n\n", 1)[1]),
    ]


def test_hard_wrapped_lines_are_one_passage() -> None:
    drafts = split_passages(HARD_WRAPPED)
    assert passage_texts(HARD_WRAPPED, drafts) == [
        block.strip() for block in HARD_WRAPPED.split("\n\n")
    ]
    assert all(d.heading is None for d in drafts)


def test_text_without_blank_lines_splits_per_line() -> None:
    drafts = split_passages(NO_BLANK_LINES)
    assert_invariants(NO_BLANK_LINES, drafts)
    lines = NO_BLANK_LINES.splitlines()
    assert [(d.heading, NO_BLANK_LINES[d.start : d.end]) for d in drafts] == [
        ("Weekly bulletin", lines[1]),
        # A line starting in lower case continues the line before it.
        ("Weekly bulletin", lines[2] + "\n" + lines[3]),
        # "Read more" is page furniture, not a heading: it joins the next line.
        # The credit line belongs with the line before it.
        ("Weekly bulletin", "\n".join(lines[4:7])),
    ]
    assert drafts[2].links == (Link("https://x.com/town_library", "@town_library", "attribution"),)


@pytest.mark.parametrize("max_chars", [200, 700, 1500])
def test_giant_paragraph_is_cut_at_sentence_ends(max_chars: int) -> None:
    text = "Budget hearing\n\n" + GIANT + "\n"
    drafts = split_passages(text, max_chars=max_chars)
    assert_invariants(text, drafts, max_chars=max_chars)
    assert len(drafts) > 1
    assert all(d.heading == "Budget hearing" for d in drafts)
    pieces = passage_texts(text, drafts)
    assert " ".join(pieces) == GIANT
    for piece in pieces:
        assert piece.endswith((".", "…", "”")), piece[-40:]
    # Roughly equal: no sliver at the end.
    assert min(map(len, pieces)) > max_chars / 4


def test_single_sentence_longer_than_limit_is_cut_between_words() -> None:
    words = " ".join(f"word{i}" for i in range(600))
    drafts = split_passages(words, max_chars=300)
    assert_invariants(words, drafts, max_chars=300)
    pieces = passage_texts(words, drafts)
    assert " ".join(pieces) == words
    assert all(piece.split()[0].startswith("word") for piece in pieces)


def test_one_word_of_a_megabyte() -> None:
    text = "x" * 1_000_000
    drafts = split_passages(text)
    assert_invariants(text, drafts)
    assert "".join(passage_texts(text, drafts)) == text


@pytest.mark.parametrize(
    "unit",
    ["👩\u200d👩\u200d👧", "👋🏽", "e\u0301"],
    ids=["zwj-family", "skin-tone", "combining-accent"],
)
def test_no_spaces_cut_keeps_characters_whole(unit: str) -> None:
    text = unit * 300
    # 51 is a multiple of none of the units' lengths: a blind cut would split one.
    drafts = split_passages(text, max_chars=51)
    assert_invariants(text, drafts, max_chars=51)
    assert "".join(passage_texts(text, drafts)) == text
    for draft in drafts:
        assert (draft.end - draft.start) % len(unit) == 0


@pytest.mark.parametrize(
    "text",
    ["", "   \n\n \t \n", "\n" * 1000],
    ids=["empty", "whitespace", "newlines"],
)
def test_no_content_no_passages(text: str) -> None:
    assert split_passages(text) == []


def test_only_emoji_is_one_passage() -> None:
    text = "\n🎉🎉🎉\n"
    assert split_passages(text) == [PassageDraft(start=1, end=4)]


def test_short_text_alone_is_kept() -> None:
    assert passage_texts("Read more", split_passages("Read more")) == ["Read more"]


@pytest.mark.parametrize(
    "text",
    [
        "Ok\n" * 20_000,
        "ok\n\n" * 20_000,
        "Short line.\n" * 20_000,
        "A\nB\n" * 10_000,
    ],
    ids=["capital-lines", "blank-separated", "sentences", "letters"],
)
def test_many_short_lines(text: str) -> None:
    drafts = split_passages(text)
    assert_invariants(text, drafts)
    assert drafts
    covered = "".join(text[d.start : d.end] for d in drafts)
    assert sum(not c.isspace() for c in covered) == sum(not c.isspace() for c in text)


def test_five_megabytes_run() -> None:
    text = ("## Budget\n\n" + GIANT + "\n\n" + NEWS_BODY + "\n\n") * 800
    assert len(text) > 4_500_000
    drafts = split_passages(text)
    assert_invariants(text, drafts)
    assert {d.heading for d in drafts} >= {"Budget", "Ce urmează după vizită?"}


def test_body_start_skips_the_title_and_stays_in_range() -> None:
    drafts = split_passages(NEWS, len(NEWS_TITLE) + 10)
    assert_invariants(NEWS, drafts, len(NEWS_TITLE) + 10)
    assert split_passages(NEWS, len(NEWS) + 5) == []
    assert split_passages(NEWS, -3) == split_passages(NEWS)


def test_tweet_line_ending_with_a_date_is_not_a_heading() -> None:
    text = (
        "Queues at the ferry — Harbour Cam (@harbourcam) July 12, 2025\n\n"
        "The ferry company added two extra crossings on Saturday to clear the queue."
    )
    drafts = split_passages(text)
    assert [d.heading for d in drafts] == [None, None]


def test_max_chars_must_be_sensible() -> None:
    with pytest.raises(ValueError, match="max_chars"):
        split_passages("text", max_chars=5)


# ----------------------------------------------------------------- sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mr. Smith met Dr. Jones. They talked.", ["Mr. Smith met Dr. Jones.", "They talked."]),
        ("The U.S. Senate voted. It passed.", ["The U.S. Senate voted.", "It passed."]),
        ("They moved to the U.S. The rest stayed.", ["They moved to the U.S.", "The rest stayed."]),
        (
            "Prices rose 3.5 percent to 20.000 lei. Then they fell.",
            ["Prices rose 3.5 percent to 20.000 lei.", "Then they fell."],
        ),
        (
            "J. R. R. Tolkien wrote it. Many read it.",
            ["J. R. R. Tolkien wrote it.", "Many read it."],
        ),
        (
            "Am vorbit cu dl. Popescu despre nr. 7 din strada Lungă. Apoi am plecat.",
            ["Am vorbit cu dl. Popescu despre nr. 7 din strada Lungă.", "Apoi am plecat."],
        ),
        (
            "Aduceți mere, pere etc. și ceva de băut. Mulțumim.",
            ["Aduceți mere, pere etc. și ceva de băut.", "Mulțumim."],
        ),
        ("Mere, pere etc. Restul mâine.", ["Mere, pere etc.", "Restul mâine."]),
        (
            "Bring a tool, e.g. a hammer. Then start.",
            ["Bring a tool, e.g. a hammer.", "Then start."],
        ),
        (
            "He waited… Nobody came. It was… odd. Then... silence.",
            ["He waited…", "Nobody came.", "It was… odd.", "Then... silence."],
        ),
        (
            "Ea a spus: „Plecăm mâine.” Apoi a închis ușa.",
            ["Ea a spus: „Plecăm mâine.”", "Apoi a închis ușa."],
        ),
        ('He said "we leave." Then he left.', ['He said "we leave."', "Then he left."]),
        ("„Da.” a răspuns el.", ["„Da.” a răspuns el."]),
        (
            "Il a dit « c'est fini. » Puis il est parti.",
            ["Il a dit « c'est fini. »", "Puis il est parti."],
        ),
        ("Er sagte: »Wir gehen.« Dann ging er.", ["Er sagte: »Wir gehen.«", "Dann ging er."]),
        (
            "Read https://example.com/a.b for more. Next one.",
            ["Read https://example.com/a.b for more.", "Next one."],
        ),
        (
            "Big crowds today. pic.twitter.com/Qw12 — Fair News (@fairnews) May 4, 2025",
            ["Big crowds today. pic.twitter.com/Qw12 — Fair News (@fairnews) May 4, 2025"],
        ),
        (
            "First post — Ann (@ann) May 4, 2025\nSecond post — Bob (@bob) May 5, 2025",
            ["First post — Ann (@ann) May 4, 2025", "Second post — Bob (@bob) May 5, 2025"],
        ),
        ("Great news! 🎉 We won the cup. 🏆", ["Great news!", "🎉 We won the cup. 🏆"]),
        (
            "The road was\nclosed for repairs.\nIt reopens soon.",
            ["The road was\nclosed for repairs.", "It reopens soon."],
        ),
        ("Ready? yes we are.", ["Ready?", "yes we are."]),
        ("1. Mix the flour. 2. Bake it.", ["1. Mix the flour.", "2. Bake it."]),
        ("Am 12. Juli kam er an. Dann ging er.", ["Am 12. Juli kam er an.", "Dann ging er."]),
        ("He said (...) nothing more. Then left.", ["He said (...) nothing more.", "Then left."]),
        ("… And so it ended. Later came more.", ["… And so it ended.", "Later came more."]),
        ("Intro line:\n\nQuoted words here", ["Intro line:", "Quoted words here"]),
        ("会议结束了。大家都回家了。", ["会议结束了。", "大家都回家了。"]),
        ("  \n ", []),
    ],
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in split_sentences(text)] == expected


def test_split_sentences_inside_a_range_gives_absolute_offsets() -> None:
    text = "Skip this. Keep one. Keep two. Skip too."
    start, end = text.index("Keep"), text.index("Skip too")
    assert split_sentences(text, start, end) == [(11, 20), (21, 30)]


# --------------------------------------------------------------------- links


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "See https://example.com/path/page.html.",
            [("https://example.com/path/page.html", "example.com/path/page.html")],
        ),
        ("(via www.example.org/news)", [("https://www.example.org/news", "example.org/news")]),
        (
            "photo pic.twitter.com/AbC123, video youtu.be/xyz987!",
            [
                ("https://pic.twitter.com/AbC123", "pic.twitter.com/AbC123"),
                ("https://youtu.be/xyz987", "youtu.be/xyz987"),
            ],
        ),
        ("„https://exemplu.ro/articol”", [("https://exemplu.ro/articol", "exemplu.ro/articol")]),
        (
            "Wiki: https://en.wikipedia.org/wiki/Moss_(plant)).",
            [
                (
                    "https://en.wikipedia.org/wiki/Moss_(plant)",
                    "en.wikipedia.org/wiki/Moss_(plant)",
                )
            ],
        ),
        (
            "t.co/Abc and x.com/user/status/1 and http://old.example.net",
            [
                ("https://t.co/Abc", "t.co/Abc"),
                ("https://x.com/user/status/1", "x.com/user/status/1"),
                ("http://old.example.net", "old.example.net"),
            ],
        ),
        (
            "Try https://example.com/a?b=1 twice: https://example.com/a?b=1",
            [
                ("https://example.com/a?b=1", "example.com/a?b=1"),
            ],
        ),
        ("bigx.com/page and format.co/x are not links; neither is https://", []),
        (
            "Case matters in paths: t.co/AbC and t.co/abc",
            [("https://t.co/AbC", "t.co/AbC"), ("https://t.co/abc", "t.co/abc")],
        ),
        (
            "A link🎉https://example.com/x🎉 between emoji",
            [("https://example.com/x", "example.com/x")],
        ),
    ],
)
def test_find_links_quoted(text: str, expected: list[tuple[str, str]]) -> None:
    links = find_links(text)
    assert [(link.url, link.label) for link in links] == expected
    assert all(link.kind == "quoted" for link in links)


def test_find_links_attribution_after_picture_link() -> None:
    text = "Sunrise over the bay. pic.twitter.com/Sun42 — Jane Roe 🌻 (@jane_roe) July 12, 2025"
    assert find_links(text) == (
        Link("https://pic.twitter.com/Sun42", "pic.twitter.com/Sun42", "quoted"),
        Link("https://x.com/jane_roe", "@jane_roe", "attribution"),
    )


def test_find_links_only_inside_the_range_and_bounded() -> None:
    text = " ".join(f"https://example.com/page{i}" for i in range(100))
    assert len(find_links(text)) == MAX_LINKS
    first = text.index(" ")
    assert [link.url for link in find_links(text, 0, first)] == ["https://example.com/page0"]


def test_find_links_long_url_gets_short_label() -> None:
    url = "https://example.com/" + "/".join(["section"] * 20)
    (link,) = find_links(f"Read {url} now")
    assert link.url == url
    assert len(link.label) <= 60
    assert link.label.startswith("example.com/section/")


# ------------------------------------------------------------------ language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The minister said the visit was very important for both countries.", "en"),
        ("Ministrul a spus că vizita este foarte importantă pentru ambele țări.", "ro"),
        ("Ministrul a spus ca vizita este foarte importanta pentru ambele tari.", "ro"),
        ("Le ministre a déclaré que la visite était très importante pour les deux pays.", "fr"),
        ("Der Minister sagte, der Besuch sei für beide Länder sehr wichtig gewesen.", "de"),
        # Names outweigh the words; py3langid alone says Nigerian Pidgin or Bikol.
        (
            "Prime minister Jonas Berg shook hands with Kofi Mensah in Accra, state media said.",
            "en",
        ),
        (
            "Envoy Marta Kowalczyk met Kim Jong-un in Wonsan, state media in Pyongyang reported.",
            "en",
        ),
        # German capitalises every noun; its small words still carry it.
        ("Der Bürgermeister von München eröffnete die Ausstellung im Rathaus.", "de"),
        (
            "🚨🚨 The minister landed this morning for two days of talks 🇳🇴 "
            "https://t.co/AbCdEf — Nordic Wire (@nordic_wire) March 3, 2025",
            "en",
        ),
    ],
)
def test_detect_language(text: str, code: str) -> None:
    assert detect_language(text) == code


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Read more",
        "🎉🎉🎉 🔥🔥",
        "https://example.com/a/very/long/path/with/many/words/in/it @someone @another",
        "12345 67890 2025-03-03",
    ],
)
def test_detect_language_abstains_on_too_little_text(text: str) -> None:
    assert detect_language(text) is None
