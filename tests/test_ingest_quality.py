"""What ingesting real-world pages and texts gives a user: words found, bodies kept, tweets
linked, dates and titles right, passages well cut, bytes decoded once.

Every page below is written for these tests, in the shapes real sites use.
"""

from __future__ import annotations

import pytest

from knowledge.types import Link

SOFT_HYPHENATED = (
    "Die Bundes\u00adregierung will die Förder\u00adprogramme für Lasten\u00adräder "
    "verlängern. Der Wasser\u200bstoff\u200d-Plan und die Wärme\u2060pumpen bleiben, sagte "
    "die Sprecherin am Dienstag in Berlin."
)

#: A page whose body a script renders: the markup holds only a photo caption,
#: the JSON-LD holds the article.
FERRY_JSON_LD = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Ferry line to Lindau returns | Lake Courier</title>
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
{"@type":"WebSite","name":"Lake Courier"},
{"@type":"NewsArticle","headline":"Ferry line to Lindau returns",
"datePublished":"2023-04-14T08:00:00+02:00","author":{"@type":"Person","name":"Jana Voss"},
"articleBody":"The electric ferry between Bregenz and Lindau sails again from Saturday, after a winter in the shipyard at Fussach.\\nIts new batteries let it cross the bay four times on one charge, the operator said, twice as often as last summer.\\nTickets cost the same as before, and bicycles travel free on weekday mornings until the end of June."}]}
</script></head><body>
<header><nav><a href="/">Home</a> <a href="/region">Region</a> <a href="/sport">Sport</a></nav></header>
<main><article><h1>Ferry line to Lindau returns</h1>
<p>The electric ferry <em>Lindau</em> at the pier on a grey April morning, shortly before its first
crossing of the season to Bregenz. (Photo: Jana Voss / Lake Courier)</p>
<div id="story-root" data-loading="true"></div></article></main>
<footer><p>Lake Courier, Harbour Street 4, Bregenz. All rights reserved.</p></footer>
</body></html>"""
FERRY_CAPTION_ONLY = FERRY_JSON_LD.replace(
    FERRY_JSON_LD[FERRY_JSON_LD.index("<script") : FERRY_JSON_LD.index("</script>") + 9], ""
)

TEASER_DATE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Beekeepers count fewer swarms this spring | Valley Weekly</title>
<meta property="og:site_name" content="Valley Weekly"></head><body>
<div id="page"><div class="main-col"><h1>Beekeepers count fewer swarms this spring</h1>
<p>The beekeepers' club of the upper valley counted only eleven swarms between April and June, less than half
of last year's number. Members blame the long cold spell in May, when the colonies stayed small and few queens
were raised.</p>
<p>The club's chairwoman said hives on the sunny slopes above the village fared better than those near the
river, and that honey from the early bloom was nonetheless plentiful.</p></div>
<div class="col3 relatedContent"><div class="news"><a href="/other-story"><h2>Apple growers fear late frost
<span class="date">01.08.2019</span></h2></a><p>Orchards in the lower valley lit fires at night to save the blossom.</p></div></div>
</div></body></html>"""

MODIFIED_DATE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Night bus line 7 extended to the airport - Harbour Town News</title>
<meta property="og:site_name" content="Harbour Town News">
<meta property="article:modified_time" content="2024-02-20T09:00:00Z">
<meta property="og:updated_time" content="2024-02-20T09:00:00Z">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"Night bus line 7 extended to the airport","dateModified":"2024-02-20T09:00:00Z",
"datePublished":"2023-11-05T06:30:00Z"}</script>
</head><body><article><h1>Night bus line 7 extended to the airport</h1>
<p>From Sunday the night bus on line 7 runs on from the central station to the airport terminal, every
forty minutes between midnight and five in the morning, the transport authority announced.</p>
<p>Shift workers at the airport had asked for the connection for years; until now the last train left
shortly after eleven.</p></article></body></html>"""

TWEET_PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Was Tweets erfolgreich macht | Netzblick</title></head><body>
<nav><a href="/">Start</a> <a href="/themen">Themen</a></nav>
<article><h1>Was Tweets erfolgreich macht</h1>
<p>Wir haben Leute gefragt, welcher ihrer Tweets im Jahr am weitesten kam und warum das so war. Die Antworten fielen sehr unterschiedlich aus.</p>
<h2>1. Mara Lindqvist, Gärtnerin: Ein Foto zur richtigen Zeit</h2>
<blockquote class="twitter-tweet" data-lang="de"><p lang="de" dir="ltr">Die ersten Tomaten aus dem Gemeinschaftsgarten sind reif, und der Nachbar hat schon wieder die grünsten geklaut. <a href="https://t.co/Zq8PlmN3xr">pic.twitter.com/Zq8PlmN3xr</a></p>&mdash; Mara Lindqvist (@mara_gruenzeug) <a href="https://twitter.com/mara_gruenzeug/status/1067012345678901248?ref_src=twsrc%5Etfw">26. November 2018</a></blockquote>
<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>
<p>Sie sagt, dass ein gutes Foto mehr bewirke als jeder noch so kluge Satz, und dass Humor immer hilft.</p>
</article></body></html>"""

TITLE_WITH_SUFFIXES = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Glass recycling rules change in January | Riverside Post | 19.01.2020</title>
<meta property="og:title" content="Glass recycling rules change in January | Riverside Post | 19.01.2020">
</head><body><article>
<p>From January, brown and green glass go into one container in the old town, the waste company said.
Clear glass still has its own bin, and collection days do not change.</p>
<p>The company expects to save two lorry trips a week, and to put the money into more bottle banks near
the schools.</p></article></body></html>"""


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("Bundesregierung", "Bundes\u00adregierung"),
        ("Lastenräder", "Lasten\u00adräder"),
        ("Wasserstoff", "Wasser\u200bstoff"),
        ("Wärmepumpen", "Wärme\u2060pumpen"),
    ],
)
def test_invisible_characters_inside_words_are_searched_as_the_word(archive, question, word):
    archive.ingest_text(SOFT_HYPHENATED, title="Förderprogramme verlängert")
    answer = archive.ask(question)
    assert answer.found
    excerpt = answer.excerpts[0]
    assert word in excerpt.quote  # verbatim: the invisible character stays
    highlighted = [excerpt.quote[s.start : s.end] for s in excerpt.highlights]
    assert word in highlighted


def _stored(archive, name, page):
    [outcome] = archive.ingest_bytes(name, page.encode("utf-8"))
    return outcome


def test_a_json_ld_body_much_richer_than_the_markup_is_stored(archive):
    outcome = _stored(archive, "ferry.html", FERRY_JSON_LD)
    assert outcome.error is None
    article = outcome.result.article
    assert (article.title, article.date, article.author) == (
        "Ferry line to Lindau returns",
        "2023-04-14",
        "Jana Voss",
    )
    text = archive.article_text(article.id)
    assert "four times on one charge" in text
    assert "grey April morning" not in text  # the caption was all the markup had
    answer = archive.ask("how often can the ferry cross on one charge")
    assert "four times on one charge" in answer.excerpts[0].quote


def test_a_page_that_yields_only_a_caption_is_refused_with_a_reason(archive):
    outcome = _stored(archive, "ferry.html", FERRY_CAPTION_ONLY)
    assert outcome.result is None
    assert outcome.error.startswith("No article text found in ferry.html: only “The electric ferry")
    assert archive.count_articles() == 0


def test_an_embedded_tweet_keeps_its_status_link_and_handle(archive):
    outcome = _stored(archive, "tweets.html", TWEET_PAGE)
    assert outcome.error is None
    answer = archive.ask("Tomaten Gemeinschaftsgarten geklaut")
    excerpt = answer.excerpts[0]
    assert "geklaut. pic.twitter.com/Zq8PlmN3xr — Mara Lindqvist (@mara_gruenzeug)" in excerpt.quote
    assert (
        Link(
            "https://twitter.com/mara_gruenzeug/status/1067012345678901248",
            "twitter.com/mara_gruenzeug/status/1067012345678901248",
            "quoted",
        )
        in excerpt.links
    )
    assert Link("https://x.com/mara_gruenzeug", "@mara_gruenzeug", "attribution") in excerpt.links


def test_a_date_shown_only_in_a_teaser_for_another_story_is_not_taken(archive):
    article = _stored(archive, "bees.html", TEASER_DATE).result.article
    assert article.title == "Beekeepers count fewer swarms this spring"
    assert article.date is None


def test_the_published_date_wins_over_the_modified_one(archive):
    article = _stored(archive, "bus.html", MODIFIED_DATE).result.article
    assert (article.title, article.date) == (
        "Night bus line 7 extended to the airport",
        "2023-11-05",
    )


def test_site_name_and_date_are_stripped_from_the_title(archive):
    article = _stored(archive, "glass.html", TITLE_WITH_SUFFIXES).result.article
    assert (article.title, article.date) == (
        "Glass recycling rules change in January",
        "2020-01-19",
    )
