"""Text, files, folders, JSON Lines and URLs into Documents; hostile inputs get one clear line."""

from __future__ import annotations

import codecs
import json
import random
import unicodedata
from pathlib import Path

import pytest

from knowledge.config import KnowledgeConfig
from knowledge.dates import normalize_date
from knowledge.decode import decode_text
from knowledge.errors import (
    EmptyDocument,
    HTTPStatusError,
    InputError,
    KnowledgeError,
    TooLarge,
    UnsupportedContent,
)
from knowledge.plaintext import document_from_text
from knowledge.sources import (
    documents_from_bytes,
    documents_from_jsonl,
    documents_from_path,
    documents_from_url,
    list_folder,
)
from knowledge.types import Document
from tests._http_server import page, redirect

# Cedilla ş/ţ so the note also fits windows-1250 and ISO-8859-2.
NEWS_NOTE = """Podul de la Brăila, deschis traficului

Primele maşini au trecut sâmbătă dimineaţă peste podul suspendat. Şoferii spun că drumul \
spre Tulcea s-a scurtat cu aproape o oră.

The bridge took six years to build. Local officials say the toll stays free until the end \
of August, and the ferry will keep running at weekends.
"""

FRONT_MATTER = """---
title: "Night trains return to the Danube line"
date: 3 November 2024
author: Tom Harlow
tags: [rail, travel]
url: https://riverside.example/travel/night-trains
---

After a pause of almost a decade, sleeper carriages run again between Vienna and the coast.
"""

HEADER_LINES = """Title: Harbour cranes fall silent
Date: July 12, 2025
Author: Ana Pop
Source: https://port.example/news/cranes
Language: ro-RO

The port authority thanked the crews who ran the cranes for forty years.
"""

ARTICLE_PAGE = """<!DOCTYPE html><html lang="ro"><head><meta charset="utf-8">
<title>Podul de la Brăila | Gazeta Dunării</title>
<meta name="author" content="Ioana Mărgărit">
<meta property="article:published_time" content="2025-07-12T09:30:00+03:00">
<link rel="canonical" href="/stiri/podul-braila"></head>
<body><nav><a href="/">Acasă</a> <a href="/sport">Sport</a> <a href="/meteo">Meteo</a></nav>
<div class="ad">Cumpăraţi acum! Reduceri la anvelope de iarnă</div>
<article><h1>Podul de la Brăila, deschis traficului</h1>
<p>Primele maşini au trecut sâmbătă dimineaţă peste podul suspendat, după şase ani de lucrări.
Şoferii spun că drumul spre Tulcea s-a scurtat cu aproape o oră.</p>
<p>The chief engineer said the deck was tested with forty loaded trucks before opening.</p>
</article><footer>© 2025 Gazeta Dunării. Toate drepturile rezervate.</footer></body></html>"""

CONFIG = KnowledgeConfig(max_document_bytes=2_000)
LOCAL = KnowledgeConfig(allow_private_urls=True, fetch_timeout=2.0, connect_timeout=1.0)


def _one_line(err: KnowledgeError) -> str:
    message = str(err)
    assert message and "\n" not in message
    return message


def _only(outcomes: list) -> Document | KnowledgeError:
    assert len(outcomes) == 1
    return outcomes[0][1]


# --- decode_text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (NEWS_NOTE.encode("utf-8"), None),
        (codecs.BOM_UTF8 + NEWS_NOTE.encode("utf-8"), None),
        (codecs.BOM_UTF16_LE + NEWS_NOTE.encode("utf-16-le"), None),
        (NEWS_NOTE.encode("cp1250"), None),  # detected
        (NEWS_NOTE.encode("iso-8859-2"), "ISO-8859-2"),
        (NEWS_NOTE.replace("\n", "\r\n").encode("cp1250"), "windows-1250"),
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "cp1250-detected", "latin2-declared", "crlf"],
)
def test_decode_text_reads_romanian_in_any_common_encoding(data, declared):
    assert decode_text(data, declared_charset=declared, name="stire.txt") == NEWS_NOTE


def test_decode_text_reads_undeclared_latin1():
    text = "Grüße aus München: die Straße am Fluss ist schön geworden.\n"
    assert decode_text(text.encode("latin-1")) == text


# Legacy encodings read without a declared charset: each must come back exactly.
LEGACY_TEXTS = [
    ("Café naïve: le garçon a mangé une crème brûlée près de la fenêtre.\n", "latin-1"),
    ("Café … naïve\n", "cp1252"),
    ("El niño español comió paella en la estación del puerto.\n", "latin-1"),
    ("Řeka teče pod mostem v Brně a děti si hrají na břehu.\n", "cp1250"),
    ("Zażółć gęślą jaźń. Pociąg do Łodzi odjeżdża o ósmej.\n", "cp1250"),
    ("Zażółć gęślą jaźń. Pociąg do Łodzi odjeżdża o ósmej.\n", "iso-8859-2"),
    ("A Budapest felé tartó vonat késik, mert a hídon javítják a síneket. Győr.\n", "cp1250"),
    ("Поезд уходит в восемь часов, через час после парома.\n", "cp1251"),
    ("Plain notes about the harbour with one café in them.\n", "latin-1"),
]


@pytest.mark.parametrize(
    ("text", "encoding"), LEGACY_TEXTS, ids=["fr", "fr-short", "es", "cs", "pl", "pl-latin2",
                                            "hu", "ru", "mostly-ascii"],
)  # fmt: skip
def test_decode_text_picks_the_plausible_legacy_encoding(text, encoding):
    assert decode_text(text.encode(encoding)) == text


def test_utf8_with_a_stray_windows_byte_keeps_its_utf8():
    data = "Crème brûlée at the café.".encode() + b" Don\x92t miss it.\n"
    assert decode_text(data) == "Crème brûlée at the café. Don’t miss it.\n"


def test_decode_text_normalises_to_nfc():
    decomposed = unicodedata.normalize("NFD", NEWS_NOTE)
    assert decode_text(decomposed.encode("utf-8")) == NEWS_NOTE


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", " (a PDF document)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", " (a PNG image)"),
        (b"PK\x03\x04\x14\x00\x06\x00", " (a ZIP archive or Office document)"),
        (b"plain words\x00\x00\x00then zeros", ""),
        (b"ab\x01\x02\x03cd" * 20, ""),
        (random.Random(7).randbytes(4000).replace(b"\x00", b"\x01"), None),
    ],
    ids=["pdf", "png", "zip", "nul", "controls", "random"],
)
def test_decode_text_refuses_binary(data, kind):
    with pytest.raises(UnsupportedContent) as caught:
        decode_text(data, name="report.pdf")
    line = _one_line(caught.value)
    assert line.startswith("report.pdf ")
    if kind is not None:
        assert line == f"report.pdf looks like a binary file{kind}, not text"


# --- document_from_text -----------------------------------------------------------------


def test_first_short_line_is_the_title_and_the_text_stays_verbatim():
    doc = document_from_text(NEWS_NOTE)

    assert doc.text == NEWS_NOTE
    assert doc.title == "Podul de la Brăila, deschis traficului"
    assert doc.text[doc.body_start :].startswith("Primele maşini au trecut")
    assert (doc.date, doc.author, doc.url, doc.source_kind) == (None, None, None, "text")


def test_front_matter_gives_metadata_and_is_skipped_by_body_start():
    doc = document_from_text(FRONT_MATTER)

    assert doc.text == FRONT_MATTER
    assert doc.title == "Night trains return to the Danube line"
    assert doc.date == "2024-11-03"
    assert doc.author == "Tom Harlow"
    assert doc.url == "https://riverside.example/travel/night-trains"
    assert doc.text[doc.body_start :].startswith("After a pause of almost a decade")


def test_a_heading_repeating_the_front_matter_title_is_skipped_too():
    text = FRONT_MATTER.replace(
        "\nAfter a pause", "\n# Night trains return to the Danube line\n\nAfter a pause"
    )
    doc = document_from_text(text)
    assert doc.title == "Night trains return to the Danube line"
    assert doc.text[doc.body_start :].startswith("After a pause of almost a decade")


def test_header_lines_give_metadata():
    doc = document_from_text(HEADER_LINES)

    assert doc.title == "Harbour cranes fall silent"
    assert doc.date == "2025-07-12"
    assert doc.author == "Ana Pop"
    assert doc.url == "https://port.example/news/cranes"
    assert doc.text[doc.body_start :].startswith("The port authority thanked")


def test_explicit_arguments_win_over_the_text():
    doc = document_from_text(
        HEADER_LINES,
        title="  Cranes   retired ",
        date="2025-07-13",
        author="Desk",
        url="https://other.example/a",
        source_ref="https://discord.com/channels/1/2/3",
    )
    assert (doc.title, doc.date, doc.author, doc.url) == (
        "Cranes retired",
        "2025-07-13",
        "Desk",
        "https://other.example/a",
    )
    assert doc.source_ref == "https://discord.com/channels/1/2/3"
    assert doc.text[doc.body_start :].startswith("The port authority thanked")


@pytest.mark.parametrize(
    ("text", "title", "date", "body"),
    [
        ("# Podul nou\n\nPrimele maşini au trecut.", "Podul nou", None, "Primele"),
        ("Podul nou\n=========\n\nPrimele maşini au trecut.", "Podul nou", None, "Primele"),
        ("date 2025-07 Podul nou\n\nPrimele maşini.", "Podul nou", "2025-07", "Primele"),
        ("2025-07-12 Podul nou\nPrimele maşini.", "Podul nou", "2025-07-12", "Primele"),
        ("2025-07-12: Podul nou\n\nPrimele maşini.", "Podul nou", "2025-07-12", "Primele"),
        ("## 2025-07-12 — Podul nou\n\nPrimele maşini.", "Podul nou", "2025-07-12", "Primele"),
        ("2025-07-12\nPodul nou\n\nPrimele maşini.", "Podul nou", "2025-07-12", "Primele"),
        # A first line ending a sentence is body text, not a title.
        ("Meeting moved to Tuesday.\nBring the reports.", None, None, "Meeting"),
        # A lone line is the whole text: it names the document but stays searchable.
        ("The ferry leaves at 8:30", "The ferry leaves at 8:30", None, "The ferry"),
    ],
)
def test_title_and_date_from_the_first_line(text, title, date, body):
    doc = document_from_text(text)

    assert doc.text == text
    if title is not None:
        assert doc.title == title
    assert doc.date == date
    assert doc.text[doc.body_start :].startswith(body)


def test_without_a_title_line_the_first_words_name_the_document():
    text = ("The harbour cranes fell silent on Tuesday after forty years of work. " * 4).strip()
    doc = document_from_text(text)

    assert doc.title == "The harbour cranes fell silent on Tuesday after forty years of work. The…"
    assert len(doc.title) <= 80
    assert doc.body_start == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The text is empty"),
        ("  \n\t \n", "The text is empty"),
        ("---\ntitle: Only a header\n---\n\n  \n", "The text has a header but no text"),
    ],
)
def test_empty_text_is_refused(text, message):
    with pytest.raises(EmptyDocument) as caught:
        document_from_text(text)
    assert _one_line(caught.value) == message


def test_unusable_date_or_url_arguments_are_refused():
    with pytest.raises(InputError, match="^Could not read the date 'next week'; write it as"):
        document_from_text(NEWS_NOTE, date="next week")
    with pytest.raises(InputError, match=r"^javascript:alert\(1\) is not a web address"):
        document_from_text(NEWS_NOTE, url="javascript:alert(1)")


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2025-07-12", "2025-07-12"),
        ("2025-07", "2025-07"),
        ("2025", "2025"),
        ("12 July 2025", "2025-07-12"),
        ("July 12, 2025", "2025-07-12"),
        ("Saturday, 12 July 2025", "2025-07-12"),
        ("12 iulie 2025", "2025-07-12"),
        ("12.07.2025", "2025-07-12"),
        ("2025-07-12T09:30:00+03:00", "2025-07-12"),
        ("2025-02-30", None),
        ("soon", None),
    ],
)
def test_normalize_date(value, iso):
    assert normalize_date(value) == iso


# --- JSON Lines -------------------------------------------------------------------------


def _jsonl(*records: object) -> str:
    return "\n".join(
        r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records
    )


def test_jsonl_bad_lines_are_reported_and_do_not_stop_the_others():
    data = _jsonl(
        {"title": "Podul nou", "url": "https://gazeta.example/pod", "date": "2025-07-12",
         "text": NEWS_NOTE, "author": "Ioana"},
        "",
        "{not json",
        ["a", "list"],
        {"title": "No text here"},
        {"text": "   "},
        {"text": "Cranes retired.", "date": 2025},
        {"text": "Cranes retired.", "date": "someday"},
        {"text": "The ferry to Sulina leaves at 8:30 from the old quay."},
    ).encode("utf-8")  # fmt: skip

    outcomes = documents_from_jsonl(data, name="archive.jsonl")

    labels = [label for label, _ in outcomes]
    assert labels == [f"archive.jsonl:{n}" for n in (1, 3, 4, 5, 6, 7, 8, 9)]
    first, last = outcomes[0][1], outcomes[-1][1]
    assert isinstance(first, Document) and isinstance(last, Document)
    assert (first.title, first.url, first.date, first.author) == (
        "Podul nou", "https://gazeta.example/pod", "2025-07-12", "Ioana",
    )  # fmt: skip
    assert first.text == NEWS_NOTE
    assert (first.source_kind, first.source_ref) == ("jsonl", "archive.jsonl:1")
    assert last.source_ref == "archive.jsonl:9"
    errors = [_one_line(item) for _, item in outcomes[1:-1]]
    assert errors == [
        "archive.jsonl:3: not valid JSON",
        'archive.jsonl:4: expected an object with a "text" field',
        'archive.jsonl:5: the "text" field is missing or empty',
        'archive.jsonl:6: the "text" field is missing or empty',
        'archive.jsonl:7: "date" must be a string',
        "archive.jsonl:8: Could not read the date 'someday'; write it as YYYY-MM-DD",
    ]


def test_jsonl_record_count_is_capped():
    data = _jsonl(*({"text": f"Note number {n} about the river."} for n in range(5)))
    outcomes = documents_from_jsonl(data, name="big.jsonl", max_records=3)

    assert [isinstance(item, Document) for _, item in outcomes] == [True, True, True, False]
    assert _one_line(outcomes[-1][1]) == "big.jsonl has more than 3 records; stopped here"


def test_jsonl_without_records():
    outcomes = documents_from_jsonl("\n\n  \n", name="blank.jsonl")
    assert [(label, str(err)) for label, err in outcomes] == [
        ("blank.jsonl", "blank.jsonl has no records")
    ]


# --- documents_from_bytes ---------------------------------------------------------------


def test_bytes_dispatch_on_the_file_name():
    text_doc = _only(documents_from_bytes("stire.md", NEWS_NOTE.encode(), config=CONFIG))
    html_doc = _only(documents_from_bytes("pod.html", ARTICLE_PAGE.encode(), config=CONFIG))
    records = documents_from_bytes(
        "two.ndjson", _jsonl({"text": "One."}, {"text": "Two."}).encode(), config=CONFIG
    )

    assert isinstance(text_doc, Document) and text_doc.source_kind == "file"
    assert text_doc.source_ref == "stire.md" and text_doc.text == NEWS_NOTE
    assert isinstance(html_doc, Document) and html_doc.source_kind == "html"
    assert "Primele maşini au trecut" in html_doc.text and "Reduceri" not in html_doc.text
    assert [label for label, _ in records] == ["two.ndjson:1", "two.ndjson:2"]


def test_unknown_extensions_are_sniffed():
    as_html = _only(documents_from_bytes("page", ARTICLE_PAGE.encode(), config=CONFIG))
    as_text = _only(documents_from_bytes("NOTES.log", NEWS_NOTE.encode(), config=CONFIG))

    assert isinstance(as_html, Document) and as_html.source_kind == "html"
    assert (
        isinstance(as_text, Document) and as_text.title == "Podul de la Brăila, deschis traficului"
    )


def test_content_type_charset_is_honoured():
    doc = _only(
        documents_from_bytes(
            "stire.txt",
            NEWS_NOTE.encode("cp1250"),
            content_type="text/plain; charset=windows-1250",
            config=CONFIG,
            source_ref="https://discord.com/channels/1/2/3",
        )
    )
    assert isinstance(doc, Document) and doc.text == NEWS_NOTE
    assert doc.source_ref == "https://discord.com/channels/1/2/3"


@pytest.mark.parametrize(
    ("name", "data", "error", "message"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", UnsupportedContent,
         "photo.png is not a supported file type (.txt, .md, .html, .jsonl)"),
        ("report.txt", b"%PDF-1.7\n1 0 obj", UnsupportedContent,
         "report.txt looks like a binary file (a PDF document), not text"),
        ("page.html", b"\x89PNG\r\n\x1a\n\x00\x00", UnsupportedContent,
         "page.html looks like a binary file (a PNG image), not text"),
        ("notes.txt", b"", EmptyDocument, "notes.txt is empty"),
        ("notes.txt", b" \r\n\t\n", EmptyDocument, "notes.txt is empty"),
        ("gallery.html", b"<html><body><img src=a.png></body></html>", EmptyDocument,
         "No readable text found in gallery.html"),
        ("big.txt", b"a" * 2_001, TooLarge, "big.txt is larger than the 2 kB limit"),
    ],
)  # fmt: skip
def test_bad_files_come_back_as_one_line_errors(name, data, error, message):
    outcomes = documents_from_bytes(name, data, config=CONFIG)

    assert len(outcomes) == 1
    label, item = outcomes[0]
    assert label == name
    assert isinstance(item, error)
    assert _one_line(item) == message


# --- documents_from_path ----------------------------------------------------------------


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def test_folder_is_walked_in_order_skipping_hidden_and_unsupported(tmp_path):
    _write(tmp_path / "b.md", "# Second\n\nText of the second note.")
    _write(tmp_path / "a.txt", NEWS_NOTE)
    _write(tmp_path / "sub" / "c.html", ARTICLE_PAGE)
    _write(tmp_path / "sub" / "d.jsonl", _jsonl({"text": "One."}, "oops"))
    _write(tmp_path / "sub" / "photo.png", b"\x89PNG\r\n\x1a\n")
    _write(tmp_path / ".git" / "notes.txt", "hidden folder")
    _write(tmp_path / ".draft.txt", "hidden file")
    _write(tmp_path / "e.txt", "")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)

    outcomes = list(documents_from_path(tmp_path, config=CONFIG))

    labels = [Path(label).relative_to(tmp_path).as_posix() for label, _ in outcomes]
    assert labels == ["a.txt", "b.md", "e.txt", "sub/c.html", "sub/d.jsonl:1", "sub/d.jsonl:2"]
    kinds = [type(item).__name__ for _, item in outcomes]
    assert kinds == ["Document", "Document", "EmptyDocument", "Document", "Document", "InputError"]
    assert outcomes[1][1].title == "Second"
    assert str(outcomes[2][1]) == f"{tmp_path / 'e.txt'} is empty"


def test_oversized_file_is_refused_without_reading_it(tmp_path):
    huge = tmp_path / "dump.txt"
    with huge.open("wb") as handle:
        handle.truncate(8 * 10**9)  # sparse: reading it would take minutes and 8 GB

    outcomes = list(documents_from_path(huge, config=KnowledgeConfig()))

    assert len(outcomes) == 1 and isinstance(outcomes[0][1], TooLarge)
    assert _one_line(outcomes[0][1]) == f"{huge} is larger than the 5 MB limit"


def test_a_named_file_with_any_extension_is_sniffed(tmp_path):
    path = _write(tmp_path / "README", NEWS_NOTE)
    [(label, doc)] = list(documents_from_path(path, config=CONFIG))
    assert label == str(path)
    assert isinstance(doc, Document) and doc.source_ref == str(path)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("weird.pdf", b"text", "weird.pdf is not a supported file type (.txt, .md, .html, .jsonl)"),
        ("doc.pdf", b"%PDF-1.7\n1 0 obj", "doc.pdf is not a supported file type (.txt, .md, .html, .jsonl)"),
        ("scan.JPG", b"", "scan.JPG is not a supported file type (.txt, .md, .html, .jsonl)"),
        ("ls", b"\x7fELF\x02\x01\x01" + bytes(64), "ls looks like a binary file (a program), not text"),
        ("blob.dat", b"\x89PNG\r\n\x1a\n\x00", "blob.dat looks like a binary file (a PNG image), not text"),
    ],
)  # fmt: skip
def test_named_files_follow_one_type_rule(tmp_path, name, data, message):
    path = _write(tmp_path / name, data)
    [(label, err)] = list(documents_from_path(path, config=CONFIG))
    assert isinstance(err, UnsupportedContent)
    assert _one_line(err) == f"{tmp_path}/{message}"
    [(_, same)] = documents_from_bytes(name, data, config=CONFIG)  # uploads: the same rule
    assert _one_line(same) == message


@pytest.mark.parametrize("name", ["README", "script.py", "notes.log"])
def test_named_text_files_of_other_types_are_read(tmp_path, name):
    path = _write(tmp_path / name, NEWS_NOTE)
    [(_, doc)] = list(documents_from_path(path, config=CONFIG))
    assert isinstance(doc, Document) and doc.text == NEWS_NOTE


def test_a_folder_reads_supported_files_and_counts_the_others(tmp_path):
    _write(tmp_path / "a.txt", NEWS_NOTE)
    _write(tmp_path / "README", NEWS_NOTE)
    _write(tmp_path / "sub" / "script.py", "print('hello')\n")
    _write(tmp_path / "sub" / "doc.pdf", b"%PDF-1.7")
    _write(tmp_path / ".hidden.txt", "not counted")

    listing = list_folder(tmp_path)
    assert [p.name for p in listing.files] == ["a.txt"]
    assert (listing.skipped, listing.problem) == (3, None)
    labels = [label for label, _ in documents_from_path(tmp_path, config=CONFIG)]
    assert labels == [str(tmp_path / "a.txt")]


def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(InputError) as caught:
        documents_from_path(tmp_path / "nope", config=CONFIG)
    assert _one_line(caught.value) == f"No such file or directory: {tmp_path / 'nope'}"

    (tmp_path / "empty").mkdir()
    [(label, err)] = list(documents_from_path(tmp_path / "empty", config=CONFIG))
    assert isinstance(err, InputError)
    assert _one_line(err) == f"No .txt, .md, .html, .jsonl files found in {tmp_path / 'empty'}"


# --- documents_from_url -----------------------------------------------------------------

URL_ROUTES = {
    "/stiri/123": page(ARTICLE_PAGE),
    "/go": redirect("/stiri/123", 301),
    "/note.txt": page(NEWS_NOTE.encode("cp1250"), "text/plain; charset=windows-1250"),
    "/untyped": page(ARTICLE_PAGE.encode("utf-8"), None),
    "/untyped-binary": page(b"\x89PNG\r\n\x1a\n\x00\x00\x00", None),
    "/empty": page("<html><body><nav><a href='/'>Acasă</a></nav></body></html>"),
}


@pytest.fixture
def server(http_server):
    return http_server(URL_ROUTES)


def test_url_article_is_extracted_with_its_metadata(server):
    doc = documents_from_url(server.url("/go"), config=LOCAL)

    assert doc.url == server.url("/stiri/123")  # after the redirect
    assert doc.canonical_url == server.url("/stiri/podul-braila")
    assert doc.source_kind == "url"
    assert doc.title == "Podul de la Brăila, deschis traficului"
    assert doc.author == "Ioana Mărgărit"
    assert doc.date == "2025-07-12"
    assert "Şoferii spun că drumul spre Tulcea s-a scurtat" in doc.text
    assert "forty loaded trucks" in doc.text
    for furniture in ("Acasă", "Reduceri la anvelope", "drepturile rezervate"):
        assert furniture not in doc.text


def test_url_plain_text_is_read_as_text(server):
    doc = documents_from_url(server.url("/note.txt"), config=LOCAL)

    assert doc.text == NEWS_NOTE
    assert doc.title == "Podul de la Brăila, deschis traficului"
    assert (doc.url, doc.source_kind, doc.canonical_url) == (server.url("/note.txt"), "url", None)


def test_url_without_content_type_is_sniffed(server):
    doc = documents_from_url(server.url("/untyped"), config=LOCAL)
    assert doc.title == "Podul de la Brăila, deschis traficului"

    with pytest.raises(UnsupportedContent) as caught:
        documents_from_url(server.url("/untyped-binary"), config=LOCAL)
    assert _one_line(caught.value) == (
        f"{server.url('/untyped-binary')} looks like a binary file (a PNG image), not a web page"
    )


def test_url_errors_reach_the_caller(server):
    with pytest.raises(EmptyDocument, match="^No readable text found in http://127"):
        documents_from_url(server.url("/empty"), config=LOCAL)
    with pytest.raises(HTTPStatusError, match="answered 404 Not Found"):
        documents_from_url(server.url("/missing"), config=LOCAL)
