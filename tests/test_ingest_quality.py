"""What ingesting real-world pages and texts gives a user: words found, bodies kept, tweets
linked, dates and titles right, passages well cut, bytes decoded once.

Every page below is written for these tests, in the shapes real sites use.
"""

from __future__ import annotations

import pytest

from knowledge import Archivist, KnowledgeConfig
from knowledge.types import Link
from tests._http_server import page

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

HARBOUR_WALL = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Harbour wall repairs begin in May</title></head><body><article>
<h1>Harbour wall repairs begin in May</h1>
<div class="byline"><strong>By Marta Keller</strong></div>
<p>The works on the old harbour wall start in May and last well into the autumn</p>
<p>Divers who inspected the wall in winter found cracks wide enough to put a hand in, and two
stretches where the mortar has washed out between the granite blocks.</p>
<p><b>Photo: Jan Olsen / Harbour Post</b></p>
<p>The council has set aside four million for the repairs, most of it for a floating crane
that can lift the blocks without closing the quay to the ferries.</p>
<h2>Boats move to the east basin</h2>
<p>While the crane works on the western stretch, the fishing boats will moor in the east basin,
where the harbour master has marked out temporary berths.</p>
</article></body></html>"""

FRENCH_BYLINE_TEXT = """Le port de Lorient agrandit sa criée

Par Marie Dupont

Les travaux de la nouvelle criée commencent en septembre. Les pêcheurs pourront y vendre leur
poisson dès l'aube, sans attendre l'ouverture du marché couvert.
"""

POOL_CELLS = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Outdoor pools</title>
</head><body><article><h1>Outdoor pools</h1>
<p>The town's outdoor pools open on the first of June, and the hours are longer than last year.</p>
<table>
<tr><td><p><b>Riverside lido</b></p><p>The largest pool, with a fifty-metre lane.</p></td>
<td><p>Open daily from seven until eight.</p></td></tr>
<tr><td><p><b>Hill park pool</b></p><p>A quiet pool under old chestnut trees.</p></td>
<td><p>Open from nine until seven.</p></td></tr>
</table></article></body></html>"""

_STOPS = ["Market Square", "Old Mill", "Hospital East", "Rose Garden", "Canal Bridge"] * 9
BIG_TABLE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bus 12 timetable</title>'
    "</head><body><article><h1>Bus 12 timetable</h1><p>Line 12 runs every hour from the station"
    " to the lake and back, with the stops below on weekdays.</p><table>"
    "<tr><th>Stop</th><th>Departs</th><th>Where</th></tr>"
    + "".join(
        f"<tr><td>Stop {n}: {name}</td><td>{6 + n % 12}:{n % 6}5</td><td>platform {1 + n % 4}</td></tr>"
        for n, name in enumerate(_STOPS)
    )
    + "</table></article></body></html>"
)

LETTERS = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Letters to the editor</title></head><body><article>
<h1>Letters to the editor</h1>
<p class="title">The last bus leaves too early</p>
<p>Since the timetable changed in March, the last bus to Oberdorf leaves before the evening shift at the dairy ends. Many of us now walk forty minutes home along the unlit road.</p>
<p>Greta Albers, Oberdorf</p>
<p class="title">Thanks to the volunteer fire brigade</p>
<p class="from">A letter from Unterdorf</p>
<p>When the storm brought down the old lime tree on our street, the volunteers had the road clear within the hour and checked on every house. They deserve more than our thanks.</p>
<p>Jonas Weber</p>
<p class="title">Who pays for the new roundabout?</p>
<p class="from">A letter from Mühlbach</p>
<p>The council says the roundabout costs less than traffic lights, but nobody has told us what the upkeep of the planted island will cost each year.</p>
<p>Ilse Brandt, Mühlbach</p>
</article></body></html>"""

LATIN1_PAGE = """<html><head><title>Le café du port</title></head><body><article>
<h1>Le café du port</h1>
<p>Le café du port ouvre à six heures. Les pêcheurs y prennent un café noir et une crème brûlée,
même en hiver, près de la fenêtre. Une cliente naïve a demandé si le niño du patron était déjà là.</p>
<p>Le patron, très fier de sa façade rénovée, dit que l'été sera long et que la saison commence à peine.</p>
</article></body></html>"""


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


@pytest.mark.parametrize(
    ("question", "heading"),
    [
        ("cracks in the harbour wall found by divers", None),  # not the byline, not a sentence
        ("how much did the council set aside for the floating crane", None),  # not the credit
        ("where do the fishing boats moor", "Boats move to the east basin"),
    ],
)
def test_bylines_credits_and_body_sentences_are_not_headings(archive, question, heading):
    assert _stored(archive, "harbour.html", HARBOUR_WALL).error is None
    excerpt = archive.ask(question).excerpts[0]
    assert excerpt.heading == heading


def test_a_byline_in_a_text_is_not_a_heading(archive):
    archive.ingest_text(FRENCH_BYLINE_TEXT)
    excerpt = archive.ask("criée pêcheurs poisson").excerpts[0]
    assert excerpt.heading is None


def test_a_table_row_stays_on_one_line_and_a_long_table_is_cut_between_rows(archive):
    pools = _stored(archive, "pools.html", POOL_CELLS).result.article
    assert (
        "Riverside lido The largest pool, with a fifty-metre lane. | Open daily from seven until eight."
        in archive.article_text(pools.id).split("\n")
    )
    bus = _stored(archive, "bus.html", BIG_TABLE).result.article
    table_passages = archive.article_passages(bus.id)[1:]
    assert len(table_passages) > 1
    for passage in table_passages:
        assert all(line.count(" | ") == 2 for line in passage.split("\n")), passage


def test_a_signature_stays_with_its_letter_not_the_next_headline(archive):
    letters = _stored(archive, "letters.html", LETTERS).result.article
    passages = archive.article_passages(letters.id)
    assert any(p.endswith("the unlit road.\n\nGreta Albers, Oberdorf") for p in passages), passages
    assert not any("Greta Albers" in p and "fire brigade" in p for p in passages)
    assert any(p.endswith("more than our thanks.\n\nJonas Weber") for p in passages), passages


def test_undeclared_latin1_html_decodes_like_the_same_bytes_as_text(
    archive, sqlite_url, http_server
):
    data = LATIN1_PAGE.encode("latin-1")
    [as_html] = archive.ingest_bytes("cafe.html", data)
    [as_text] = archive.ingest_bytes("cafe.txt", data)
    html_text = archive.article_text(as_html.result.article.id)
    assert "Une cliente naïve a demandé si le niño du patron était déjà là." in html_text
    assert html_text.split("\n")[-1] in archive.article_text(as_text.result.article.id)
    config = KnowledgeConfig(database_url=sqlite_url, allow_private_urls=True)
    server = http_server({"/cafe": page(data, "text/html")})
    with Archivist(config) as service:
        fetched = service.ingest_url(server.url("/cafe"))
    assert fetched.duplicate  # the page from the web reads exactly as the uploaded file


IMAGE_LINKED_TEXT = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Schwierige Gespräche führen</title></head><body><article><h1>Schwierige Gespräche führen</h1>
<p><a href="https://images.example.org/storage/gespraech-teaser.jpg">Streit mag niemand, und doch
begegnet er uns ständig, im Büro wie in der Familie. Wer ruhig bleibt, zuerst zuhört und die eigene
Sicht als Ich-Botschaft formuliert, kommt in schwierigen Gesprächen meist weiter als mit Vorwürfen.</a></p>
</article></body></html>"""


def test_text_wrapped_in_a_link_to_its_picture_is_kept(archive):
    outcome = _stored(archive, "gespraech.html", IMAGE_LINKED_TEXT)
    assert outcome.error is None
    assert "Ich-Botschaft" in archive.article_text(outcome.result.article.id)
