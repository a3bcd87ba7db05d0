"""The ``archivist`` command line, driven through ``main()`` over real SQLite files.

Fixture articles are written here in our own words; one mixes Romanian and English
like the news notes people paste (a tweet line with a pic.twitter.com link inside).
"""

from __future__ import annotations

import functools
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archivist.cli import main
from knowledge import Archivist, KnowledgeConfig
from runtime.settings import _KEYS
from tests._http_server import page

WONSAN_TITLE = "Lavrov la Wonsan: Kim promite sprijin deplin Moscovei"
WONSAN_MD = f"""\
# {WONSAN_TITLE}

Ministrul rus de externe, Serghei Lavrov, a fost primit sâmbătă de liderul nord-coreean \
Kim Jong Un la Wonsan, un oraș-stațiune de pe coasta de est a țării. Discuțiile au avut loc \
într-o atmosferă descrisă de presa oficială drept „caldă și prietenoasă”.

Russian diplomat Sergey Lavrov shook hands with Kim Jong-un in Wonsan, state media in \
Pyongyang reported. pic.twitter.com/Wq7Lm2Xc9P — Pacific Desk Watch (@pacdeskwatch) July 12, 2025

Kim a declarat că Phenianul va susține fără rezerve deciziile conducerii de la Moscova, \
potrivit agenției oficiale de presă KCNA.

## Stațiunea Wonsan-Kalma

Complexul turistic inaugurat recent pe litoral poate primi aproximativ 20.000 de oaspeți \
și are hoteluri, piscine, plaje amenajate și parcuri acvatice.
"""

BRIDGE_TITLE = "Harbour bridge reopens after two years of repairs"
BRIDGE_TXT = f"""\
{BRIDGE_TITLE}

The old swing bridge over the Tarrow estuary reopened to cars on Monday. Engineers replaced \
the rusted counterweights and rebuilt the deck with recycled steel.

Cyclists now have a separate lane on the northern side of the bridge, the town council said, \
and the toll booth has been removed for good.
"""

ORCHARD_TITLE = "Community orchard harvest breaks record"
ORCHARD_HTML = f"""\
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{ORCHARD_TITLE}</title>
<meta name="author" content="Ilse Brandt">
<meta property="article:published_time" content="2024-10-03">
</head><body>
<nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/contact">Contact</a></nav>
<article>
<h1>{ORCHARD_TITLE}</h1>
<p>Volunteers at the Elm Street orchard picked more than four tonnes of apples this autumn,
the largest harvest since the first trees were planted there in 2009.</p>
<p>Most of the fruit was pressed into juice and given to the food bank, said organiser
Ilse Brandt, who has looked after the orchard for a decade.</p>
<p>Next spring the group wants to plant a row of pear and quince trees along the fence.</p>
</article>
<footer>Copyright Example Gazette. All rights reserved.</footer>
</body></html>
"""

GLACIER = {
    "title": "Glacier retreat measured by drone",
    "url": "https://example.org/glacier",
    "date": "2023-05-17",
    "text": "A survey team flew drones over the Morteratsch glacier and found that its "
    "tongue had retreated forty metres in a single year.",
}
NIGHT_TRAIN = {
    "title": "Night train returns between Vienna and Bucharest",
    "url": "https://example.org/night-train",
    "date": "2024-12-15",
    "text": "A sleeper service linking Vienna and Bucharest resumed this week, with "
    "couchettes, a dining car and a stop in Budapest.",
}
ARCHIVE_JSONL = (
    "\n".join([json.dumps(GLACIER), "this line is not JSON at all", json.dumps(NIGHT_TRAIN)]) + "\n"
)

BINARY = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06" * 20

EXCERPT_KEYS = {
    "article_id",
    "passage_id",
    "title",
    "date",
    "author",
    "quote",
    "quote_start",
    "quote_end",
    "clipped_start",
    "clipped_end",
    "highlights",
    "matched_terms",
    "score",
    "language",
    "heading",
    "links",
}
INGESTED = re.compile(r"^#(\d+)  (.+)  \((.+)\)$")


pytestmark = pytest.mark.usefixtures("isolated_cli")


@pytest.fixture
def cli(run_cli, sqlite_url):
    """Run ``archivist --database <tmp sqlite> ARGS...``, optionally feeding stdin."""
    return functools.partial(run_cli, sqlite_url)


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    folder = tmp_path / "in"
    (folder / "nested" / "deeper").mkdir(parents=True)
    paths = {
        "md": folder / "wonsan.md",
        "txt": folder / "nested" / "bridge.txt",
        "html": folder / "nested" / "deeper" / "orchard.html",
    }
    paths["md"].write_text(WONSAN_MD, encoding="utf-8")
    paths["txt"].write_text(BRIDGE_TXT, encoding="utf-8")
    paths["html"].write_text(ORCHARD_HTML, encoding="utf-8")
    (folder / "nested" / "notes.docx").write_bytes(b"PK\x03\x04 not read")  # not a type we read
    paths["dir"] = folder
    outside = tmp_path / "other"
    outside.mkdir()
    paths["jsonl"] = outside / "archive.jsonl"
    paths["jsonl"].write_text(ARCHIVE_JSONL, encoding="utf-8")
    paths["empty"] = outside / "empty.txt"
    paths["empty"].write_text("  \n\n\t \n", encoding="utf-8")
    paths["binary"] = outside / "photo.txt"
    paths["binary"].write_bytes(BINARY)
    return paths


@pytest.fixture
def stored(cli, files) -> dict[str, int]:
    """The three fixture articles of the folder, stored; title -> id."""
    result = cli("ingest", str(files["dir"]))
    assert result.code == 0, result
    ids = {}
    for line in result.lines:
        match = INGESTED.match(line)
        assert match, line
        ids[match.group(2)] = int(match.group(1))
    assert set(ids) == {WONSAN_TITLE, BRIDGE_TITLE, ORCHARD_TITLE}
    return ids


@pytest.fixture
def service(sqlite_url):
    archive = Archivist(KnowledgeConfig(database_url=sqlite_url))
    yield archive
    archive.close()


# --- ingest ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "title", "facts"),
    [
        ("md", WONSAN_TITLE, ["ro", "en"]),
        ("txt", BRIDGE_TITLE, ["en"]),
        ("html", ORCHARD_TITLE, ["2024-10-03", "en"]),
    ],
)
def test_ingest_one_file_prints_id_title_and_facts(cli, files, kind, title, facts):
    result = cli("ingest", str(files[kind]))
    assert result.code == 0, result
    [line] = result.lines
    match = INGESTED.match(line)
    assert match, line
    assert match.group(2) == title
    details = match.group(3)
    assert re.search(r"\b\d+ passages?$", details), details
    for fact in facts:
        assert fact in details
    if kind == "md":  # mixed article: both languages, joined as in "ro+en"
        assert re.search(r"\b(ro\+en|en\+ro)\b", details), details


def test_ingest_directory_recursively_with_summary(cli, files):
    result = cli("ingest", str(files["dir"]))
    assert result.code == 0, result
    titles = sorted(INGESTED.match(line).group(2) for line in result.lines)
    assert titles == sorted([WONSAN_TITLE, BRIDGE_TITLE, ORCHARD_TITLE])
    assert "3 stored" in result.err
    assert "refused" not in result.out + result.err
    # notes.docx is not read in a folder, and the summary says so
    assert "1 other file in folders skipped (only .txt, .md, .html, .jsonl are read there)" in (
        result.err
    )


def test_named_files_and_folders_follow_one_type_rule(cli, tmp_path, service):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "README").write_text(BRIDGE_TXT, encoding="utf-8")
    (folder / "weird.pdf").write_bytes(b"text")
    (folder / "bridge.txt").write_text(BRIDGE_TXT, encoding="utf-8")

    named = cli("ingest", str(folder / "README"), str(folder / "weird.pdf"))
    assert INGESTED.match(named.lines[0]).group(2) == BRIDGE_TITLE
    assert named.lines[1] == (
        f"refused  {folder / 'weird.pdf'} is not a supported file type (.txt, .md, .html, .jsonl)"
    )
    walked = cli("ingest", str(folder))
    assert walked.lines == [f"already stored as #1  {BRIDGE_TITLE}"]
    assert "2 other files in folders skipped" in walked.err


def test_ingest_jsonl_reports_the_bad_line_and_stores_the_rest(cli, files, service):
    result = cli("ingest", str(files["jsonl"]))
    assert result.code == 1
    stored = [line for line in result.lines if INGESTED.match(line)]
    refused = [line for line in result.lines if line.startswith("refused  ")]
    assert len(stored) == 2 and len(refused) == 1
    assert refused[0] == f"refused  {files['jsonl']}:2: not valid JSON"
    assert GLACIER["title"] in result.out and "2023-05-17" in result.out
    assert result.err.strip().endswith("2 stored, 1 refused")
    assert {a.title for a in service.list_articles()} == {GLACIER["title"], NIGHT_TRAIN["title"]}


def test_ingest_again_says_already_stored(cli, files):
    first = cli("ingest", str(files["md"]))
    article_id = INGESTED.match(first.lines[0]).group(1)
    again = cli("ingest", str(files["md"]), str(files["txt"]))
    assert again.code == 0
    assert again.lines[0] == f"already stored as #{article_id}  {WONSAN_TITLE}"
    assert INGESTED.match(again.lines[1])
    assert "1 stored, 1 duplicate" in again.err


@pytest.mark.parametrize("name", ["empty", "binary", "missing"])
def test_refused_sources_get_one_line_and_store_nothing(cli, files, service, name):
    path = files.get(name, files["dir"] / "no-such-file.txt")
    result = cli("ingest", str(path))
    assert result.code == 1
    [line] = result.lines
    assert line.startswith("refused  ") and len(line) > len(f"refused  {path}") + 3
    assert line.count(str(path)) == 1, line  # the source is named once, not twice
    assert "Traceback" not in result.err
    assert service.count_articles() == 0


def test_mixed_sources_count_each_outcome(cli, files):
    result = cli("ingest", str(files["txt"]), str(files["empty"]), str(files["txt"]))
    assert result.code == 1
    assert result.err.strip().endswith("1 stored, 1 duplicate, 1 refused")


def test_ingest_stdin_with_title_date_and_author(cli, service):
    text = "Un pod nou peste Dâmbovița a fost deschis circulației, cu piste pentru biciclete."
    result = cli(
        "ingest",
        "-",
        "--title",
        "Pod nou în București",
        "--date",
        "2025-03-02",
        "--author",
        "Redacția",
        stdin=text,
    )
    assert result.code == 0, result
    match = INGESTED.match(result.lines[0])
    assert match and match.group(2) == "Pod nou în București"
    article = service.get_article(int(match.group(1))).summary
    assert (article.date, article.author, article.source_ref) == ("2025-03-02", "Redacția", "stdin")


def _stdin_bytes(data: bytes) -> io.TextIOWrapper:
    """Standard input as a UTF-8 terminal hands it over: text on top of raw bytes."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")


PNG_ON_STDIN = BINARY
PROGRAM_ON_STDIN = b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8
LATIN1_NOTE = (
    "Le café du port ouvre à six heures. Les pêcheurs y prennent un café noir "
    "et une crème brûlée, même en hiver, près de la fenêtre.\n"
)


@pytest.mark.parametrize(
    ("data", "kind"), [(PNG_ON_STDIN, "a PNG image"), (PROGRAM_ON_STDIN, "a program")]
)
def test_binary_on_stdin_is_refused_in_one_line(cli, service, data, kind):
    result = cli("ingest", "-", stdin=_stdin_bytes(data))
    assert result.code == 1
    assert result.lines == [f"refused  stdin looks like a binary file ({kind}), not text"]
    assert "unexpected" not in result.err and "Traceback" not in result.err
    assert service.count_articles() == 0


@pytest.mark.parametrize("meta", [[], ["--title", "Cafeneaua din port"]])
def test_legacy_encoded_stdin_is_decoded(cli, service, meta):
    result = cli("ingest", "-", *meta, stdin=_stdin_bytes(LATIN1_NOTE.encode("latin-1")))
    assert result.code == 0, result
    article_id = int(INGESTED.match(result.lines[0]).group(1))
    assert service.article_text(article_id).strip() == LATIN1_NOTE.strip()
    assert service.get_article(article_id).summary.source_ref == "stdin"


def test_undecodable_bytes_in_arguments_do_not_crash(cli, service):
    # What $'Pool \xe9' becomes in sys.argv under a UTF-8 locale.
    result = cli("ingest", "-", "--title", "Pool \udce9", stdin="The pool opens in June.\n")
    assert result.code == 0, result
    article_id = int(INGESTED.match(result.lines[0]).group(1))
    assert service.get_article(article_id).summary.title == "Pool \ufffd"


def test_a_file_name_that_is_not_utf8_is_stored_and_shown(cli, tmp_path, service):
    path = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.txt")  # a Latin-1 name on a UTF-8 system
    Path(path).write_text(BRIDGE_TXT, encoding="utf-8")
    result = cli("ingest", path)
    assert result.code == 0, result
    article_id = int(INGESTED.match(result.lines[0]).group(1))
    assert service.get_article(article_id).summary.source_ref == f"{tmp_path}/caf\ufffd.txt"


def test_a_folder_without_readable_files_is_named_in_its_refusal(cli, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "slides.pptx").write_bytes(b"PK\x03\x04")
    result = cli("ingest", "d")
    assert result.lines == ["refused  No .txt, .md, .html, .jsonl files found in d"]
    assert "1 other file in folders skipped" in result.err


def test_metadata_options_need_a_single_source(cli, files):
    result = cli("ingest", str(files["md"]), str(files["txt"]), "--title", "One title")
    assert result.code == 2
    assert result.err.startswith("archivist: ") and len(result.err.strip().splitlines()) == 1


@pytest.fixture
def web(http_server) -> str:
    """The base URL of a real server on 127.0.0.1 with one article page."""
    return http_server({"/orchard.html": page(ORCHARD_HTML)}).base_url


def test_ingest_url_from_a_local_server(cli, web, monkeypatch):
    monkeypatch.setenv("ARCHIVIST_ALLOW_PRIVATE_URLS", "true")
    result = cli("ingest", f"{web}/orchard.html", f"{web}/gone.html")
    assert result.code == 1
    assert INGESTED.match(result.lines[0]).group(2) == ORCHARD_TITLE
    assert result.lines[1] == f"refused  {web}/gone.html answered 404 Not Found"


def test_ingest_url_on_loopback_is_refused_by_default(cli, web, service):
    result = cli("ingest", f"{web}/orchard.html")
    assert result.code == 1
    assert result.lines[0].startswith("refused  ")
    assert result.lines[0].count(f"{web}/orchard.html") == 1
    assert "loopback" in result.lines[0]
    assert service.count_articles() == 0


# --- ask ------------------------------------------------------------------------------------


def test_ask_prints_quotes_with_marked_words_source_and_links(cli, stored):
    result = cli("ask", "did", "Lavrov", "shake", "hands", "with", "Kim", "Jong-un?")
    assert result.code == 0, result
    quotes = [line for line in result.lines if line.startswith("> ")]
    assert any("**Lavrov**" in line for line in quotes)  # not a terminal: markdown-style marks
    assert any("shook hands" in line.replace("**", "") for line in quotes), result.out
    assert "\033[" not in result.out
    source = f"— {WONSAN_TITLE} "
    assert any(
        line.startswith(source) and line.endswith(f"#{stored[WONSAN_TITLE]}")
        for line in result.lines
    )
    assert any(
        line.startswith("  ") and "pic.twitter.com/Wq7Lm2Xc9P" in line for line in result.lines
    )


def test_ask_json_schema_and_quotes_are_slices_of_the_stored_text(cli, stored, service):
    result = cli("ask", "--json", "-k", "3", "where did Lavrov meet Kim")
    assert result.code == 0, result
    data = json.loads(result.out)
    assert data["schema"] == 1
    assert data["question"] == "where did Lavrov meet Kim"
    assert {"terms", "total", "offset", "excerpts"} <= set(data)
    assert 1 <= len(data["excerpts"]) <= 3 and data["total"] >= len(data["excerpts"])
    for excerpt in data["excerpts"]:
        assert set(excerpt) == EXCERPT_KEYS
        text = service.article_text(excerpt["article_id"])
        assert text[excerpt["quote_start"] : excerpt["quote_end"]] == excerpt["quote"]
        for start, end in excerpt["highlights"]:
            assert 0 <= start < end <= len(excerpt["quote"])
        for link in excerpt["links"]:
            assert set(link) == {"url", "label", "kind"}
            assert link["kind"] in {"article", "quoted", "attribution", "posted"}
    wonsan = [e for e in data["excerpts"] if e["article_id"] == stored[WONSAN_TITLE]]
    assert wonsan and any("Wonsan" in e["quote"] for e in wonsan)
    assert all(e["title"] == WONSAN_TITLE for e in wonsan)


def test_ask_pages_move_the_offset(cli, stored):
    first = json.loads(cli("ask", "--json", "-k", "1", "Kim Lavrov Wonsan").out)
    second = json.loads(cli("ask", "--json", "-k", "1", "--page", "2", "Kim Lavrov Wonsan").out)
    assert first["total"] >= 2, first
    assert (first["offset"], second["offset"]) == (0, 1)
    assert first["excerpts"][0]["passage_id"] != second["excerpts"][0]["passage_id"]


def test_ask_batch_writes_one_json_line_per_question(cli, stored):
    questions = "where did Lavrov meet Kim\n\n   \n???\nwhat did engineers do to the bridge\n"
    result = cli("ask", "--batch", stdin=questions)
    assert result.code == 0, result
    answers = [json.loads(line) for line in result.lines]
    assert [a["question"] for a in answers] == [
        "where did Lavrov meet Kim",
        "???",
        "what did engineers do to the bridge",
    ]
    assert answers[1]["error"] and "excerpts" not in answers[1]
    assert answers[0]["schema"] == answers[2]["schema"] == 1
    assert stored[WONSAN_TITLE] in {e["article_id"] for e in answers[0]["excerpts"]}
    assert answers[2]["excerpts"][0]["title"] == BRIDGE_TITLE


def test_nothing_relevant_is_said_plainly(cli, stored):
    result = cli("ask", "sourdough bread recipe")
    assert result.code == 0
    assert result.out.strip() == (
        "Nothing relevant is stored for “sourdough bread recipe”. Try other words or names, "
        "or add the article with `archivist ingest`."
    )


@pytest.mark.parametrize("question", ["?!", "?!?", "", "   "])
def test_unsearchable_question_is_one_line_error(cli, stored, question):
    result = cli("ask", question)
    assert result.code == 1
    assert result.out == ""
    assert result.err.startswith("archivist: ") and len(result.err.strip().splitlines()) == 1


def test_unsearchable_question_with_json_prints_an_error_object(cli, stored):
    result = cli("ask", "--json", "???")
    assert result.code == 1
    data = json.loads(result.out)
    assert data == {"schema": 1, "question": "???", "error": data["error"]}
    assert data["error"] == "Your question has no words to search for."


def test_page_past_the_end_says_how_many_matched(cli, stored):
    total = json.loads(cli("ask", "--json", "-k", "1", "Kim Lavrov Wonsan").out)["total"]
    assert total >= 2
    result = cli("ask", "-k", "1", "--page", "99", "Kim Lavrov Wonsan")
    assert result.code == 0
    assert result.out.strip() == f"No page 99: {total} passages matched (pages 1–{total})."


def test_page_counter_with_one_excerpt_shows_one_number(cli, stored):
    total = json.loads(cli("ask", "--json", "-k", "1", "Kim Lavrov Wonsan").out)["total"]
    result = cli("ask", "-k", "1", "--page", "2", "Kim Lavrov Wonsan")
    counter = result.lines[-1]
    assert counter == f"(2 of {total} passages; --page 3 for more)"


def test_first_question_on_an_empty_store_loads_the_examples(cli):
    result = cli("ask", "who met Kim and where")
    assert result.code == 0, result
    assert re.search(r"Loaded \d+ example articles into an empty store\.", result.err)
    assert "Wonsan" in result.out and "> " in result.out
    again = cli("ask", "who met Kim and where")
    assert "Loaded" not in again.err  # only into an empty store


def test_the_examples_go_away_when_the_user_stores_an_article(cli, files, service):
    assert "Wonsan" in cli("ask", "who met Kim and where").out  # the quick start
    result = cli("ingest", str(files["txt"]))
    assert result.code == 0, result
    assert "Removed the 3 example articles: the store now holds your own." in result.err
    listed = cli("list").lines
    assert len(listed) == 1 and BRIDGE_TITLE in listed[0]
    assert cli("ask", "who met Kim and where").out.startswith("Nothing relevant is stored")
    assert "Loaded" not in cli("ask", "Lavrov Wonsan").err  # and they do not come back


def test_examples_loaded_into_the_shared_collection_by_an_older_version_move_out(sqlite_url):
    with Archivist(KnowledgeConfig(database_url=sqlite_url)) as old:
        [outcome] = old.ingest_bytes(
            "lavrov.txt", b"Lavrov met Kim Jong Un in Wonsan.\n", added_by="examples"
        )
        assert outcome.result.article.collection == "global"
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # the store as version 4 left it
        connection.execute(text("DELETE FROM schema_version WHERE version >= 5"))
        connection.execute(text("UPDATE articles SET collection = 'global'"))
        connection.execute(text("UPDATE passages SET collection = 'global'"))
    engine.dispose()
    with Archivist(KnowledgeConfig(database_url=sqlite_url)) as upgraded:
        assert upgraded.count_articles(collections=["global"]) == 0  # no server sees it
        assert upgraded.ask("Lavrov Wonsan", collections=["global"]).excerpts == ()
        assert upgraded.ask("Lavrov Wonsan").excerpts  # the command line still does


def test_a_store_emptied_on_purpose_stays_empty(cli):
    cli("ask", "who met Kim and where")
    for line in cli("list").lines:
        article = line.split()[0].lstrip("#")
        assert cli("remove", "--yes", article).code == 0
    result = cli("ask", "who met Kim and where")
    assert "Loaded" not in result.err
    assert result.out.startswith("Nothing relevant is stored")


def test_min_confidence_decides_whether_a_weak_match_is_shown(cli, tmp_path, monkeypatch):
    # Two of the question's six words match the bakery passage: a weak match.
    monkeypatch.setenv("ARCHIVIST_SEMANTIC", "off")  # the share of words alone decides
    note = tmp_path / "quay.txt"
    note.write_text(
        "Quay notes\n\nThe bakery on the quay sells plum cake on Sundays.\n\n"
        "The ferry crew trained on the new boat all winter.\n",
        encoding="utf-8",
    )
    assert cli("ingest", str(note)).code == 0
    question = "plum cake prices at the harbour market"
    monkeypatch.setenv("ARCHIVIST_MIN_CONFIDENCE", "0.05")
    lenient = cli("ask", question)
    assert lenient.code == 0
    assert lenient.lines[0] == "> The bakery on the quay sells **plum** **cake** on Sundays."
    monkeypatch.setenv("ARCHIVIST_MIN_CONFIDENCE", "0.9")
    strict = cli("ask", question)
    assert strict.code == 0 and strict.out.startswith("Nothing relevant is stored")


def test_other_collections_are_not_filled_with_examples(cli):
    result = cli("ask", "--collection", "team-notes", "who met Kim and where")
    assert result.code == 0
    assert "Loaded" not in result.err
    assert result.out.startswith("Nothing relevant is stored")


# --- list, show, remove, stats --------------------------------------------------------------


def test_list_newest_first_with_paging(cli, stored):
    result = cli("list")
    assert result.code == 0
    assert len(result.lines) == 3
    listed = {int(re.match(r"#(\d+)", line).group(1)) for line in result.lines}
    assert listed == set(stored.values())
    page = cli("list", "--limit", "1")
    assert len(page.lines) == 2
    assert page.lines[1] == "(1–1 of 3; --offset 1 for more)"


def test_show_gives_metadata_and_opening(cli, stored):
    article_id = stored[ORCHARD_TITLE]
    result = cli("show", f"#{article_id}")
    assert result.code == 0
    assert result.lines[0] == f"#{article_id}  {ORCHARD_TITLE}"
    assert "2024-10-03" in result.out and "Ilse Brandt" in result.out
    assert re.search(r"passages:\s+\d+ \([\d,]+ characters\)", result.out)
    assert re.search(r"added:\s+\S+ by cli", result.out)
    assert any(line.startswith("> ") and "Volunteers" in line for line in result.lines)
    assert "Copyright" not in result.out and "Contact" not in result.out


def test_remove_then_gone(cli, stored):
    article_id = stored[BRIDGE_TITLE]
    result = cli("remove", str(article_id), "--yes")
    assert result.code == 0
    assert result.out.strip() == f"removed #{article_id}  {BRIDGE_TITLE}"
    gone = cli("show", str(article_id))
    assert gone.code == 1
    assert gone.err.strip() == f"archivist: There is no article #{article_id} here."
    assert BRIDGE_TITLE not in cli("list").out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_remove_asks_on_a_terminal_and_keeps_on_no(cli, stored, service):
    article_id = stored[BRIDGE_TITLE]
    result = cli("remove", str(article_id), stdin=_Terminal("n\n"))
    assert result.code == 0
    assert f"Remove #{article_id}  {BRIDGE_TITLE}? [y/N]" in result.out
    assert "Nothing removed." in result.out
    assert service.get_article(article_id).summary.title == BRIDGE_TITLE


def test_remove_unknown_id_is_one_line_error(cli, stored):
    result = cli("remove", "9999", "--yes")
    assert result.code == 1
    assert result.out == ""
    assert result.err.strip() == "archivist: There is no article #9999 here."


def test_stats(cli, stored):
    result = cli("stats")
    assert result.code == 0
    assert re.search(r"^articles:\s+3$", result.out, re.MULTILINE)
    assert re.search(r"^languages:\s+.*\bro \d", result.out, re.MULTILINE)
    assert re.search(r"^collections:\s+global 3 ", result.out, re.MULTILINE)


def test_stats_never_prints_the_database_password(capsys, pg_schema_url):
    with_password = pg_schema_url.replace("://postgres@", "://postgres:s3cret-pw@", 1)
    assert "s3cret-pw" in with_password  # the URL this test is about
    assert main(["--database", with_password, "stats"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^database:\s+postgresql\+psycopg://postgres:\*\*\*@127\.0\.0\.1", out, re.M)
    assert "s3cret-pw" not in out


# --- chat -----------------------------------------------------------------------------------


def test_chat_answers_question_after_question_and_quits(cli, stored):
    lines = [
        "where did Lavrov meet Kim",
        ":more",
        "what did engineers do to the bridge",
        ":list",
        ":stats",
        ":nonsense",
        "x" * 10_000,
        ":quit",
        "this line is never read",
    ]
    result = cli("chat", stdin="\n".join(lines) + "\n")
    assert result.code == 0, result
    assert result.out.count("ask> ") == 8
    assert "Wonsan" in result.out
    assert f"— {BRIDGE_TITLE}" in result.out
    assert re.search(r"articles:\s+3$", result.out, re.MULTILINE)  # after the "ask> " prompt
    assert "Unknown command :nonsense" in result.out
    assert "cut to 2,000 characters" in result.out
    assert "Traceback" not in result.err


@pytest.mark.parametrize("ending", ["", ":q\n"])
def test_chat_ends_cleanly_on_eof_or_q(cli, stored, ending):
    result = cli("chat", stdin=":help\n" + ending)
    assert result.code == 0
    assert ":more" in result.out and result.err == ""


class _Interrupted(io.StringIO):
    def readline(self, *args):
        raise KeyboardInterrupt

    def __iter__(self):
        raise KeyboardInterrupt


def test_ctrl_c_leaves_without_traceback(cli, stored):
    assert cli("chat", stdin=_Interrupted()).code == 0
    result = cli("ask", "--batch", stdin=_Interrupted())
    assert result.code == 130
    assert "Traceback" not in result.err


# --- errors and the entry point -------------------------------------------------------------


def test_bad_settings_exit_2_with_one_line(cli, monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.setenv("ARCHIVIST_TOP_K", "-1")
    result = cli("stats")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith("archivist: ") and "LOG_LEVEL" in line and "ARCHIVIST_TOP_K" in line


def test_log_file_gets_json_lines_while_the_terminal_stays_quiet(cli, files, monkeypatch, tmp_path):
    log_file = tmp_path / "logs" / "archivist.jsonl"
    log_file.parent.mkdir()
    monkeypatch.setenv("LOG_FILE", str(log_file))
    monkeypatch.setenv("LOG_FORMAT", "json")
    result = cli("ingest", str(files["txt"]))
    assert result.code == 0
    assert result.err == ""  # INFO lines go to the file, not between the results
    entries = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    assert entries and all({"ts", "level", "logger", "msg"} <= set(e) for e in entries)
    assert any(e["level"] == "INFO" and e["logger"].startswith("knowledge") for e in entries)


def test_unwritable_log_file_is_a_settings_error(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("LOG_FILE", str(tmp_path / "no-such-dir" / "a.log"))
    result = cli("stats")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith("archivist: cannot open LOG_FILE ")


def test_quiet_drops_notes_but_not_results(cli, files):
    result = cli("-q", "ingest", str(files["txt"]), str(files["md"]))
    assert result.code == 0
    assert len(result.lines) == 2 and result.err == ""


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["ask"], 'archivist: ask needs a question, e.g. archivist ask "who met Kim and where"'),
        (["show", "twelve"], "archivist show: error: argument ID: not an article id: 'twelve'"),
        (["ask", "-k", "0", "x"], "archivist ask: error: argument -k: must be from 1 to 25"),
        (["frobnicate"], "archivist: error: argument COMMAND: invalid choice: 'frobnicate'"),
        ([], "archivist: error: the following arguments are required: COMMAND"),
    ],
)
def test_usage_errors_exit_2_saying_what_is_wrong(cli, args, said):
    result = cli(*args)
    assert result.code == 2
    assert result.out == ""
    # The last line says what is wrong; argparse's usage lines may come before it.
    assert result.err.strip().splitlines()[-1].startswith(said), result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    "url", ["nosuchdb://nowhere/x", "postgresql+psycopg://someone:hunter2@127.0.0.1:1/none"]
)
def test_unusable_database_is_one_line_without_traceback(capsys, url):
    code = main(["--database", url, "stats"])
    out, err = capsys.readouterr()
    assert code == 1
    [line] = err.strip().splitlines()
    assert line.startswith("archivist: ")
    assert "Traceback" not in err and "hunter2" not in err


@pytest.mark.parametrize("command", [["ask", "harbour bridge"], ["list"], ["show", "1"], ["stats"]])
def test_a_database_error_on_a_read_is_one_line(cli, files, sqlite_url, command):
    assert cli("ingest", str(files["txt"])).code == 0
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # a damaged store
        connection.execute(text("DROP TABLE passages"))
        connection.execute(text("DROP TABLE articles"))
    engine.dispose()
    result = cli(*command)
    assert result.code == 1
    [line] = result.err.strip().splitlines()
    assert line.startswith("archivist: The database failed: no such table: "), line
    assert "unexpected" not in line and "[SQL" not in line


def test_run_without_a_token_says_what_is_missing(cli):
    result = cli("run")
    assert result.code == 2
    [line] = result.err.strip().splitlines()
    assert line.startswith("archivist: ") and "DISCORD_TOKEN" in line


def test_help_lists_every_command(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("ingest", "ask", "list", "show", "remove", "stats", "chat", "run"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.MULTILINE), command


def test_installed_entry_point_runs_end_to_end(tmp_path, files):
    """The console script (or ``python -m archivist``) in a real process."""
    script = Path(sys.executable).with_name("archivist")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "archivist"]
    env = {k: v for k, v in os.environ.items() if k not in _KEYS}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'proc.db'}"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
    )

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )

    ingest = run("ingest", str(files["md"]))
    assert ingest.returncode == 0, ingest.stderr
    assert WONSAN_TITLE in ingest.stdout
    ask = run("ask", "--json", "Lavrov Wonsan")
    assert ask.returncode == 0, ask.stderr
    assert json.loads(ask.stdout)["excerpts"][0]["title"] == WONSAN_TITLE


# --- metadata options on pages and URLs (issue 7) --------------------------------------------


def test_title_date_and_author_apply_to_an_html_file(cli, files, service):
    result = cli(
        "ingest",
        str(files["html"]),
        "--title",
        "Orchard record",
        "--date",
        "2024-10-05",
        "--author",
        "Town Desk",
    )
    assert result.code == 0, result
    match = INGESTED.match(result.lines[0])
    assert match and match.group(2) == "Orchard record"
    article = service.get_article(int(match.group(1))).summary
    assert (article.date, article.author) == ("2024-10-05", "Town Desk")


def test_title_date_and_author_apply_to_a_url(cli, web, monkeypatch, service):
    monkeypatch.setenv("ARCHIVIST_ALLOW_PRIVATE_URLS", "true")
    result = cli("ingest", f"{web}/orchard.html", "--date", "2024-10-04", "--author", "Ilse B.")
    assert result.code == 0, result
    match = INGESTED.match(result.lines[0])
    assert match and match.group(2) == ORCHARD_TITLE  # the page's own title stays
    article = service.get_article(int(match.group(1))).summary
    assert (article.date, article.author) == ("2024-10-04", "Ilse B.")


def test_metadata_options_refuse_a_file_of_several_articles(cli, tmp_path, service):
    archive = tmp_path / "two.jsonl"
    archive.write_text(json.dumps(GLACIER) + "\n" + json.dumps(GLACIER | {"title": "B"}) + "\n")
    result = cli("ingest", str(archive), "--title", "One title")
    assert result.code == 1
    assert result.lines == [
        f"refused  {archive} holds 2 articles; a title, date or author applies to a single one"
    ]
    assert service.count_articles() == 0


# --- gaps and feedback -----------------------------------------------------------------------


def test_gaps_lists_what_a_server_could_not_answer(cli, service):
    server = "guild:42"
    for question in (
        "chess tournament winner",
        "Chess tournament winner?",
        "chess tournament winner",
        "tide tables",
    ):
        service.record_unanswered(question, collection=server, user_id="7")
    service.record_vote(
        answer_ref="1",
        collection=server,
        user_id="8",
        helpful=False,
        question="tide tables",
        excerpts=[(1, 2)],
    )
    service.record_unanswered("a shared question", collection="global", user_id="7")

    result = cli("gaps", "--collection", server, "--days", "30")
    assert result.code == 0, result
    assert re.fullmatch(
        r" {3}3×  chess tournament winner  \(3 unanswered; last \S+\)\n"
        r" {8}also: Chess tournament winner\?\n"
        r" {3}2×  tide tables  \(1 unanswered, 1 not helpful; last \S+\)\n",
        result.out,
    ), result.out

    data = json.loads(cli("gaps", "--collection", server, "--json", "--limit", "1").out)
    assert data["schema"] == 1 and data["total"] == 2 and data["collection"] == server
    assert [(g["question"], g["count"], g["variants"]) for g in data["gaps"]] == [
        ("chess tournament winner", 3, ["Chess tournament winner?"])
    ]
    assert cli("gaps").out.startswith("   1×  a shared question")
    assert cli("gaps", "--collection", "guild:9").out == "Nothing went unanswered in “guild:9”.\n"
    assert cli("gaps", "--days", "0").code == 2


def test_feedback_prints_helpful_question_passage_pairs(cli, service):
    for user in ("7", "8"):
        service.record_vote(
            answer_ref="100",
            collection="global",
            user_id=user,
            helpful=True,
            question="who met Kim",
            excerpts=[(3, 30), (4, 40)],
        )
    service.record_vote(
        answer_ref="101",
        collection="global",
        user_id="7",
        helpful=False,
        question="who won",
        excerpts=[(5, 50)],
    )
    result = cli("feedback", "--json")
    assert result.code == 0, result
    lines = [json.loads(line) for line in result.lines]
    assert [
        (x["question"], x["article_id"], x["passage_id"], x["rank"], x["votes"]) for x in lines
    ] == [
        ("who met Kim", 3, 30, 1, 2),
        ("who met Kim", 4, 40, 2, 2),
    ]
    assert cli("feedback").lines[0] == "who met Kim  →  #3 passage 30 (excerpt 1, 2 votes)"
    assert cli("feedback", "--collection", "guild:1").out == (
        "No answers in “guild:1” were voted helpful yet.\n"
    )
