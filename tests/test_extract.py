"""html_to_document: main text kept, page furniture dropped, metadata read, bad HTML survived."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from knowledge.decode import decode_text
from knowledge.errors import EmptyDocument
from knowledge.extract import fallback_title, html_to_document

ARTICLE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Night trains return to the Danube line - Riverside Post</title>
<meta name="author" content="Tom Harlow">
<meta property="article:published_time" content="2024-11-03T18:40:00+01:00">
<link rel="canonical" href="/travel/night-trains-danube">
</head>
<body>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies.</div>
<header><a href="/">Riverside Post</a>
<nav><a href="/news">News</a> | <a href="/travel">Travel</a> | <a href="/login">Log in</a></nav>
</header>
<main>
<article>
<h1>Night trains return to the Danube line</h1>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
<p>After a pause of almost a decade, sleeper carriages run again between Vienna and the
Black Sea coast. The first departure left on a cold Sunday evening with every couchette booked.</p>
<p>Passengers called the journey slow but pleasant. A retired teacher said she had waited
years to repeat the trip she first made as a student.</p>
<div class="related"><h4>Related stories</h4><ul>
<li><a href="/a">Ferry prices rise again</a></li>
<li><a href="/b">New cycle path opens along the river</a></li>
<li><a href="/c">Airport strike called off</a></li></ul></div>
<h2>Timetable and prices</h2>
<p>Trains leave three times a week. A bed in a four-berth compartment costs less than a
hotel night in most cities along the route, the operator says.</p>
<ul><li>Vienna to Constanţa: 19 hours</li><li>Budapest to Constanţa: 15 hours</li></ul>
</article>
<section class="comments"><h3>Comments</h3><p>Great news, finally!! posted by user123</p></section>
</main>
<div class="advert">ADVERTISEMENT Buy cheap flights now, limited offer, click here</div>
<footer><p>Riverside Post Ltd, all rights reserved. Privacy policy. Terms of use.</p></footer>
</body></html>
"""

ROMANIAN = """<html lang="ro"><head><meta charset="windows-1250">
<title>Faleza din Galaţi</title></head><body><article>
<h1>Faleza din Galaţi se redeschide</h1>
<p>Primăria a anunţat că lucrările la faleză s-au încheiat. Locuitorii aşteaptă de mult
această schimbare, iar comercianţii speră la mai mulţi turişti în weekend.</p>
<p>The mayor said the new lights along the river would stay on until midnight.</p>
</article></body></html>"""

NO_TEXT = """<html><head><title>Gallery</title><script>var tracking = 1;</script></head>
<body><div><img src="a.png"><img src="b.png"></div></body></html>"""

NAV_ONLY = """<html><body><nav><a href="/">Home</a> <a href="/news">News</a>
<a href="/contact">Contact</a></nav><footer>(c) 2020 Town News</footer></body></html>"""

BROKEN = """<html><body><p>The harbour <b>crane <div>fell silent</p></span> after forty years
of work, the port authority said on <i>Tuesday &bogus; &amp; more <p>Workers gathered to watch
the last container being lifted <table><tr><td>unclosed"""


def test_article_keeps_main_text_and_drops_page_furniture():
    doc = html_to_document(ARTICLE, url="https://riverside.example/travel/123?ref=home")

    assert "sleeper carriages run again between Vienna and the Black Sea coast" in doc.text
    assert "A retired teacher said she had waited years" in doc.text
    assert "Vienna to Constanţa: 19 hours" in doc.text
    for furniture in (
        "Accept all cookies",
        "Log in",
        "Share on Facebook",
        "Related stories",
        "Ferry prices rise again",
        "Great news, finally",
        "Buy cheap flights",
        "all rights reserved",
    ):
        assert furniture not in doc.text
    assert doc.title == "Night trains return to the Danube line"
    assert doc.author == "Tom Harlow"
    assert doc.date == "2024-11-03"
    assert doc.canonical_url == "https://riverside.example/travel/night-trains-danube"
    assert doc.url == "https://riverside.example/travel/123?ref=home"
    assert doc.source_kind == "html"


def test_article_text_is_blocks_separated_by_blank_lines_with_headings_on_their_own():
    doc = html_to_document(ARTICLE)
    blocks = doc.text.split("\n\n")

    assert blocks[0] == "Night trains return to the Danube line"
    assert "Timetable and prices" in blocks
    assert blocks[-1] == "- Vienna to Constanţa: 19 hours\n- Budapest to Constanţa: 15 hours"
    # Line wraps inside a paragraph are joined; the headline is skipped as a title line.
    assert "Vienna and the\nBlack Sea" not in doc.text
    assert doc.text[doc.body_start :].startswith("After a pause of almost a decade")


def test_bytes_in_windows_1250_are_decoded_by_their_meta_charset():
    doc = html_to_document(ROMANIAN.encode("cp1250"), source_ref="faleza.html")

    assert doc.title == "Faleza din Galaţi se redeschide"
    assert "Primăria a anunţat că lucrările la faleză s-au încheiat" in doc.text
    assert "mai mulţi turişti" in doc.text
    assert "the new lights along the river" in doc.text
    assert doc.source_ref == "faleza.html"


def test_declared_charset_and_byte_order_marks_are_honoured():
    page = ROMANIAN.replace('<meta charset="windows-1250">', "")
    from_header = html_to_document(page.encode("iso-8859-2"), charset="ISO-8859-2")
    with_bom = html_to_document(codecs.BOM_UTF16_LE + page.encode("utf-16-le"))

    for doc in (from_header, with_bom):
        assert "Locuitorii aşteaptă de mult această schimbare" in doc.text


def test_utf8_wins_over_a_wrong_latin1_label():
    page = ROMANIAN.replace("windows-1250", "iso-8859-1").encode("utf-8")
    assert "Primăria a anunţat" in html_to_document(page).text


def test_text_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", ROMANIAN)
    assert decomposed != ROMANIAN
    doc = html_to_document(decomposed)

    assert unicodedata.is_normalized("NFC", doc.text)
    assert "Primăria" in doc.text
    assert doc.title == "Faleza din Galaţi se redeschide"


def test_og_url_is_the_canonical_fallback_and_odd_schemes_are_ignored():
    with_og = ARTICLE.replace(
        '<link rel="canonical" href="/travel/night-trains-danube">',
        '<link rel="canonical" href="javascript:void(0)">'
        '<meta property="og:url" content="https://riverside.example/og/night-trains">',
    )
    assert html_to_document(with_og).canonical_url == "https://riverside.example/og/night-trains"
    # A relative canonical link with no page URL to resolve it against means nothing.
    assert html_to_document(ARTICLE).canonical_url is None


def test_page_without_title_gets_its_opening_words():
    page = (
        "<html><body><p>Harbour cranes fell silent on Tuesday after forty years of work, "
        "and the port authority thanked the crews who ran them.</p></body></html>"
    )
    doc = html_to_document(page)
    assert (
        doc.title
        == "Harbour cranes fell silent on Tuesday after forty years of work, and the port…"
    )
    assert doc.body_start == 0


def test_copyright_year_is_not_taken_for_the_date():
    page = (
        "<html><body><article><p>The council voted to repair the old pier before the summer "
        "season begins, after a long debate.</p></article>"
        "<footer>© 2021 Town News</footer></body></html>"
    )
    assert html_to_document(page).date is None


@pytest.mark.parametrize(
    "html",
    [NO_TEXT, NAV_ONLY, "", "   \n\t ", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"],
    ids=["images-only", "nav-only", "empty", "whitespace", "binary"],
)
def test_pages_without_readable_text_are_empty_documents(html):
    with pytest.raises(EmptyDocument) as caught:
        html_to_document(html, source_ref="upload.html")
    assert str(caught.value) == "No readable text found in upload.html"


def test_empty_message_names_the_url_when_there_is_no_source_ref():
    with pytest.raises(EmptyDocument, match=r"^No readable text found in https://a\.example/x$"):
        html_to_document(NO_TEXT, url="https://a.example/x")


def test_broken_html_does_not_crash_and_keeps_its_text():
    doc = html_to_document(BROKEN)
    assert "fell silent" in doc.text
    assert "Workers gathered to watch the last container being lifted" in doc.text


def test_decode_html_order():
    def decode_html(data: bytes, charset: str | None = None) -> str:
        return decode_text(data, declared_charset=charset, html=True)

    text = "Ştiri din Brăila"
    assert decode_html(text.encode("utf-8"), "windows-1250") == text
    assert decode_html(codecs.BOM_UTF8 + text.encode("utf-8")) == text
    assert decode_html(text.encode("cp1250"), "cp1250") == text
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-2">{text}'
    assert decode_html(meta.encode("iso-8859-2")).endswith(text)


def test_fallback_title_cuts_at_a_word():
    assert fallback_title("Short note") == "Short note"
    long = "word " * 40
    cut = fallback_title(long)
    assert cut.endswith("word…") and len(cut) <= 80


@pytest.mark.parametrize(
    "junk", ["\x00", "\x07\x1b", "\ud800"], ids=["nul", "control", "surrogate"]
)
def test_stray_characters_do_not_cut_the_text(junk):
    page = (
        f"<html><body><p>The harbour crane{junk} fell silent after forty years of work, "
        "the port authority said.</p></body></html>"
    )
    doc = html_to_document(page)
    assert doc.text.startswith("The harbour crane")
    assert doc.text.endswith("the port authority said.")
