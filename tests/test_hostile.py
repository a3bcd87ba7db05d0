"""Hostile input, through the command line and the API, on both backends.

Every case here once stopped an ingest or escaped as an error outside
``KnowledgeError`` (issue 11). Each run mixes hostile inputs with good ones and
checks what a user sees: one line per input, the good inputs stored and
reported, and a store whose articles, passages and index entries agree.
:data:`HOSTILE_INPUTS` counts the hostile inputs the module tries.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import os
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from archivist.cli import main
from knowledge import Archivist, Document, KnowledgeConfig
from knowledge.errors import KnowledgeError, StoreError

GOOD_TITLE = "Lighthouse keepers return to Fastnet"
GOOD_NOTE = f"""\
{GOOD_TITLE}

Two keepers moved back into the Fastnet lighthouse on Thursday to restore its old lens,
the heritage board said, the first people to live on the rock since 1989.
"""
CAFE = "Caf\xe9 about the harbour bridge that reopened on Tuesday."
#: Declared charsets that are codecs or nonsense, not text encodings (item 3).
NOT_ENCODINGS = [
    "rot13", "rot-13", "base64", "base_64", "zlib", "zip", "hex", "uu", "bz2",
    "quopri", "quoted-printable", "x-no-such-charset", "idna", "punycode",
    "unicode_escape", "raw-unicode-escape", "undefined", "utf-7",
]  # fmt: skip
#: Over-long runs that are not words (item 1): stored, but not indexed.
LONG_RUNS = {
    "w65.txt": "q" * 65,
    "w200.txt": "q" * 200,
    "w201.txt": "q" * 201,
    "w5000.txt": "q" * 5000,
    "digits.txt": "7" * 5000,
    "accented.txt": "é" * 300,
}
#: JSON Lines records, each on its own line: (record, expected line fragment or None if stored).
JSONL_RECORDS = [
    ('{"title": "First good record", "text": "The ferry to Inishmore sails at nine."}', None),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"title": "Lone", "text": "broken \\ud800 escape here"}', "lone surrogate"),
    ('{"title": "Lone title \\udfff", "text": "The text itself is fine."}', "lone surrogate"),
    ('{"title": "Big", "text": "x", "n": ' + "9" * 5000 + "}", "not valid JSON"),
    ('{"title": "Nul", "text": "The weir \\u0000 was \\u0000 rebuilt in May."}', None),
    ('{"title": "Nul \\u0000 title", "text": "The mill pond froze in January."}', None),
    ('{"author": "A\\u0000B", "text": "The orchard flooded in the spring rain."}', None),
    ('{"title": "\\u202eevil\\u202c title", "text": "The quay lights were replaced."}', None),
    ('{"text": "A ' + "z" * 300 + ' word in the harbour log book."}', None),
    ('{"title": "Last good record", "text": "The lifeboat crew trained at dawn."}', None),
]
#: Markup that bounds extraction's work (item 5) or loses text (item 10).
TAG_DENSE = "<html><body>" + "<p>x</p>" * 70_000 + "</body></html>"
DEEP = (
    "<html><body><article><p>Opening words of the story about the harbour.</p>"
    + "<div>" * 300
    + "<p>Deep words.</p>"
    + "</div>" * 300
    + "</article></body></html>"
)
STDIN_NOTE = b"Stdin note\n\nThe keeper's log on stdin: " + b"k" * 300 + b" \xe9t\xe9 end.\n"
RTL_TITLE = "Budget \u202egnirts\u202c approved \u2066x\u2069"


pytestmark = pytest.mark.usefixtures("isolated_cli")


@pytest.fixture
def cli(run_cli, store_url):
    return functools.partial(run_cli, store_url)


def assert_intact(url: str) -> dict[str, int]:
    """Articles, passages, full-text rows and vocabulary counts agree; returns the counts."""
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            articles = db.execute(text("SELECT count(*) FROM articles")).scalar_one()
            declared = db.execute(
                text("SELECT coalesce(sum(passage_count), 0) FROM articles")
            ).scalar_one()
            passages = db.execute(text("SELECT body_terms FROM passages")).scalars().all()
            if engine.dialect.name == "sqlite":
                indexed = db.execute(text("SELECT count(*) FROM passage_fts_docsize")).scalar_one()
            else:
                indexed = db.execute(
                    text("SELECT count(*) FROM passages WHERE search IS NOT NULL")
                ).scalar_one()
            terms = dict(db.execute(text("SELECT term, df FROM terms WHERE df > 0")).all())
            orphans = db.execute(
                text(
                    "SELECT count(*) FROM passages p LEFT JOIN articles a "
                    "ON a.id = p.article_id WHERE a.id IS NULL"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    expected: Counter[str] = Counter()
    for body in passages:
        expected.update(set(body.split()))
    assert declared == len(passages) == indexed
    assert orphans == 0
    assert terms == dict(expected)
    assert all(len(term) <= 64 for term in terms)
    return {"articles": articles, "passages": len(passages)}


def stored_texts(url: str) -> dict[str, tuple[str, str | None, str]]:
    """Title -> (text, author, added_by) of every stored article."""
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            rows = db.execute(text("SELECT title, text, author, added_by FROM articles")).all()
    finally:
        engine.dispose()
    return {title: (body, author, who) for title, body, author, who in rows}


# --- the command line -----------------------------------------------------------------


def _hostile_folder(root: Path) -> dict[str, tuple[str, str]]:
    """Write the hostile files; returns file name -> ("stored", title) or ("refused", why)."""
    root.mkdir()
    expected: dict[str, tuple[str, str]] = {}
    (root / "good.txt").write_text(GOOD_NOTE, encoding="utf-8")
    expected["good.txt"] = ("stored", GOOD_TITLE)
    for name, run in LONG_RUNS.items():
        (root / name).write_text(f"{name} title\n\nx {run} y about the tidal mill {name}.\n")
        expected[name] = ("stored", f"{name} title")
    for i, label in enumerate(NOT_ENCODINGS):
        page = f'<meta charset="{label}"><p>{i} {CAFE}</p>'
        (root / f"meta{i:02d}.html").write_bytes(page.encode("latin-1"))
        expected[f"meta{i:02d}.html"] = ("stored", f"{i} {CAFE}")
    (root / "dense.html").write_text(TAG_DENSE)
    expected["dense.html"] = ("refused", "more than the 60,000 Archivist reads in one page")
    (root / "deep.html").write_text(DEEP)
    expected["deep.html"] = ("refused", "more than 255 elements deep")
    (root / "empty-tree.html").write_text("<p>")
    expected["empty-tree.html"] = ("refused", "No readable text found")
    (root / "rtl.txt").write_text(f"{RTL_TITLE}\n\nThe council approved the harbour budget.\n")
    expected["rtl.txt"] = ("stored", "Budget gnirts approved x")
    (root / "loop.txt").symlink_to(root / "loop.txt")
    expected["loop.txt"] = ("refused", "Too many levels of symbolic links")
    (root / "records.jsonl").write_text("\n".join(r for r, _ in JSONL_RECORDS) + "\n")
    return expected


def test_one_run_of_hostile_files_stores_the_rest_and_reports_each_in_one_line(
    cli, tmp_path, store_url, caplog
):
    expected = _hostile_folder(tmp_path / "in")
    caplog.set_level(logging.WARNING)
    stdin = io.TextIOWrapper(io.BytesIO(STDIN_NOTE), encoding="utf-8", errors="surrogateescape")
    result = cli("ingest", "in", "-", stdin=stdin)  # after the folder: the run must reach it
    assert result.code == 1  # some inputs refused
    lines = result.lines
    for name, (outcome, fragment) in expected.items():
        if outcome == "stored":
            mine = [line for line in lines if line.startswith("#") and f"  {fragment}  (" in line]
        else:
            mine = [line for line in lines if f"in/{name}" in line]
            assert mine and mine[0].startswith("refused") and fragment in mine[0], mine
        assert len(mine) == 1, (name, lines)
    for lineno, (_, refusal) in enumerate(JSONL_RECORDS, start=1):
        mine = [line for line in lines if f"records.jsonl:{lineno}:" in line]
        if refusal is None:
            assert not mine, mine
        else:
            assert len(mine) == 1 and refusal in mine[0], (lineno, lines)
    stored_records = sum(1 for _, refusal in JSONL_RECORDS if refusal is None)
    assert any("Last good record" in line for line in lines)
    assert lines[-1].startswith("#") and "  Stdin note  (" in lines[-1]  # reached, stored
    refused = sum(1 for o, _ in expected.values() if o == "refused")
    refused += len(JSONL_RECORDS) - stored_records
    stored = sum(1 for o, _ in expected.values() if o == "stored") + stored_records + 1
    assert len(lines) == stored + refused
    assert f"{stored} stored, {refused} refused" in result.err
    # Nothing else on stderr: no trafilatura ERROR lines, no tracebacks.
    assert result.err.strip().splitlines() == [f"{stored} stored, {refused} refused"]
    assert not [r for r in caplog.records if "pipeline" in r.getMessage().lower()]
    assert assert_intact(store_url)["articles"] == stored

    texts = stored_texts(store_url)
    assert texts[GOOD_TITLE][0] == GOOD_NOTE
    assert all(CAFE in body for title, (body, _, _) in texts.items() if title.endswith(CAFE))
    assert "Nul title" in texts  # NUL dropped from the title, the same on both backends
    assert any(body == "The weir  was  rebuilt in May." for body, _, _ in texts.values())
    assert any(author == "AB" for _, author, _ in texts.values())
    assert "evil title" in texts and "Budget gnirts approved x" in texts  # no bidi controls
    assert not any(set(title) & set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
                   for title in texts)  # fmt: skip


def test_a_long_word_is_stored_but_not_indexed_and_the_rest_is_searchable(cli, tmp_path):
    (tmp_path / "w.txt").write_text(f"T\n\nx {'q' * 201} y about the weir at Ballina.\n")
    result = cli("ingest", "w.txt")
    assert result.code == 0 and result.lines[0].startswith("#1  T")
    answer = cli("ask", "--json", "weir Ballina")
    assert json.loads(answer.out)["excerpts"][0]["article_id"] == 1


def test_a_symbolic_link_loop_named_on_the_command_line_says_so(cli, tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "good.txt").write_text(GOOD_NOTE)
    result = cli("ingest", "loop", "good.txt")
    assert result.lines[0] == "refused  loop: too many levels of symbolic links"
    assert result.lines[1].startswith("#1  " + GOOD_TITLE)


def test_unreadable_folders_are_named_not_called_empty(cli, tmp_path, monkeypatch):
    # Tests run as root here, who reads every folder: the refusal is made at the
    # operating system's boundary, where os.walk lists a folder.
    (tmp_path / "in" / "locked").mkdir(parents=True)
    (tmp_path / "in" / "locked" / "a.txt").write_text(GOOD_NOTE)
    (tmp_path / "shut").mkdir()
    real_scandir = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith(("locked", "shut")):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = cli("ingest", "in", "shut")
    assert result.lines == [
        "refused  Could not read the folder in/locked: permission denied",
        "refused  Could not read the folder shut: permission denied",
    ]


def test_ask_batch_writes_utf8_whatever_bytes_come_in(store_url, monkeypatch):
    def stream(data: bytes) -> io.TextIOWrapper:  # as a UTF-8 terminal or pipe hands it over
        return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape")

    monkeypatch.setattr(sys, "stdin", stream(b"x \xff\xfe Kim\n\xc3 Lavrov \xed\xa0\x80\n"))
    out = stream(b"")
    monkeypatch.setattr(sys, "stdout", out)
    code = main(["--database", store_url, "ask", "--batch"])
    out.flush()
    assert code == 0
    written = out.buffer.getvalue().decode("utf-8")  # strict: every byte is UTF-8
    answers = [json.loads(line) for line in written.splitlines()]
    assert [a["question"] for a in answers] == [
        "x \ufffd\ufffd Kim",
        "\ufffd Lavrov \ufffd\ufffd\ufffd",
    ]


# --- the API --------------------------------------------------------------------------

#: (what is tried, call on the service). Each must return or raise a KnowledgeError.
API_CASES = [
    ("NUL in text", lambda a: a.ingest_text("Weir\n\nThe weir\x00 at Ballina was rebuilt.")),
    ("NUL in title", lambda a: a.ingest_text("The quay lights.", title="Quay\x00 lights")),
    ("NUL in author", lambda a: a.ingest_text("The quay wall.", title="Wall", author="B\x00C")),
    ("NUL in added_by", lambda a: a.ingest_text("The pier lamps.", added_by="cli:\x00root")),
    ("NUL in collection", lambda a: a.ingest_text("The slipway.", collection="guild\x00:1")),
    ("NUL in source_ref", lambda a: a.ingest_text("The boathouse.", source_ref="a\x00b.txt")),
    ("NUL in url", lambda a: a.ingest_text("The dock.", url="https://example.org/\x00")),
    ("NUL in date", lambda a: a.ingest_text("The dock gate.", date="2025-07-12\x00")),
    ("surrogate in text", lambda a: a.ingest_text("Mill\n\nThe mill \udc8f wheel turned.")),
    ("surrogate in title", lambda a: a.ingest_text("The mill race.", title="Race \ud800")),
    ("surrogate in author", lambda a: a.ingest_text("The mill dam.", author="\udfff")),
    ("surrogate in source_ref", lambda a: a.ingest_text("The sluice.", source_ref="\udce9.txt")),
    ("surrogate in url", lambda a: a.ingest_text("The lock.", url="https://e.org/\ud800")),
    ("surrogate in collection", lambda a: a.ingest_text("The canal.", collection="g\ud800")),
    ("long collection", lambda a: a.ingest_text("The towpath.", collection="c" * 101)),
    ("blank collection", lambda a: a.ingest_text("The culvert.", collection="   ")),
    ("bidi in title", lambda a: a.ingest_text("The ferry.", title="\u202eyrref\u202c ferry")),
    ("long word", lambda a: a.ingest_text("Hash\n\nThe hash " + "f" * 201 + " was logged.")),
    ("huge number", lambda a: a.ingest_text("Digits\n\nThe count " + "9" * 5000 + " grew.")),
    ("surrogate file name", lambda a: a.ingest_bytes("b\udce9d.txt", b"The bad name file.")),
    ("NUL file name", lambda a: a.ingest_bytes("n\x00.txt", b"The nul name file.")),
    ("NUL content type", lambda a: a.ingest_bytes("x", b"The tide.", content_type="text/\x00")),
    ("NUL charset", lambda a: a.ingest_bytes("y", CAFE.encode("latin-1"),
                                             content_type="text/plain; charset=utf\x00")),
    ("bad file collection", lambda a: a.ingest_bytes("z.txt", b"A note.", collection="\x00")),
    ("tag-dense page", lambda a: a.ingest_bytes("dense.html", TAG_DENSE.encode())),
    ("deep page", lambda a: a.ingest_bytes("deep.html", DEEP.encode())),
    ("html string with surrogate", lambda a: a.ingest_document(
        Document(text="The estuary \ud800 survey.", title="Estuary", source_kind="k" * 50))),
    ("document with a long date", lambda a: a.ingest_document(
        Document(text="The estuary dredging.", title="Dredging", date="d" * 40))),
    ("document with NUL body_start", lambda a: a.ingest_document(
        Document(text="T\x00\x00itle\n\nThe estuary birds.", title="Birds", body_start=8))),
    ("url with NUL", lambda a: a.ingest_url("http://example.org/\x00")),
    ("url with surrogate", lambda a: a.ingest_url("http://example.org/\udce9")),
    ("question with NUL", lambda a: a.ask("ferry\x00 Kim")),
    ("question with surrogate", lambda a: a.ask("ferry \ud800 Kim")),
    ("question of one long run", lambda a: a.ask("q" * 300)),
    ("ask a long collection", lambda a: a.ask("ferry", collections=["c" * 101])),
    ("ask a NUL collection", lambda a: a.ask("ferry", collections=["\x00"])),
    ("list a NUL collection", lambda a: a.list_articles(collections=["g\x00"])),
    ("stats of a surrogate collection", lambda a: a.stats(collections=["\udce9"])),
    ("article in a long collection", lambda a: a.get_article(1, collections=["c" * 500])),
]  # fmt: skip
API_CHARSET_CASES = [
    (f"{kind} declared {label}", name, f"{media}; charset={label}")
    for label in NOT_ENCODINGS
    for kind, name, media in (("page", "p", "text/html"), ("text", "t", "text/plain"))
]


def test_the_api_raises_only_knowledge_errors_and_keeps_the_store_intact(any_archive, store_url):
    any_archive.ingest_text(GOOD_NOTE)
    for what, call in API_CASES:
        try:
            call(any_archive)
        except KnowledgeError as exc:
            assert str(exc) and "\n" not in str(exc), what
        # Anything else fails the test, naming the case in its traceback.
    assert any_archive.ask("Fastnet lighthouse keepers").found
    texts = stored_texts(store_url)
    assert texts["Quay lights"][0] == "The quay lights."
    assert texts["Wall"][1] == "BC"
    assert texts["Race \ufffd"][0] == "The mill race."
    assert "The weir at Ballina was rebuilt." in texts["Weir"][0]
    assert texts["yrref ferry"][0] == "The ferry."
    assert texts["Birds"][0] == "Title\n\nThe estuary birds."
    assert any(who == "cli:root" for _, _, who in texts.values())
    assert not any("\x00" in body for body, _, _ in texts.values())
    assert assert_intact(store_url)["articles"] == len(texts)


@pytest.mark.parametrize("collection", ["guild\x00:1", "c" * 101, "g\ud800", "\t", ""])
def test_collection_names_are_checked_the_same_on_both_backends(any_archive, collection):
    if not collection:  # empty means the default collection, as everywhere
        assert not any_archive.ingest_text(GOOD_NOTE, collection=collection).duplicate
        return
    with pytest.raises(KnowledgeError, match="collection name is 1 to 100 printable characters"):
        any_archive.ingest_text(GOOD_NOTE, collection=collection)


def test_declared_charsets_that_are_not_encodings_fall_back_to_detection(any_archive, store_url):
    for i, (what, name, content_type) in enumerate(API_CHARSET_CASES):
        body = f"{i} {CAFE}"
        page = f"<html><body><p>{body}</p></body></html>"
        data = (page if name == "p" else body).encode("latin-1")
        outcomes = any_archive.ingest_bytes(f"{name}{i}", data, content_type=content_type)
        assert [o.error for o in outcomes] == [None], what
        assert any_archive.article_text(outcomes[0].result.article.id) == body, what
    assert assert_intact(store_url)["articles"] == len(API_CHARSET_CASES)


def test_bad_jsonl_records_are_refused_by_line_and_the_others_stored(any_archive, store_url):
    data = "\n".join(r for r, _ in JSONL_RECORDS).encode()
    outcomes = any_archive.ingest_bytes("upload.jsonl", data)
    assert len(outcomes) == len(JSONL_RECORDS)
    for lineno, (outcome, (_, refusal)) in enumerate(
        zip(outcomes, JSONL_RECORDS, strict=True), start=1
    ):
        assert outcome.source == f"upload.jsonl:{lineno}"
        if refusal is None:
            assert outcome.result is not None and not outcome.result.duplicate, outcome
        else:
            assert outcome.error.startswith(f"upload.jsonl:{lineno}: ") and refusal in outcome.error
    stored = sum(1 for _, refusal in JSONL_RECORDS if refusal is None)
    assert assert_intact(store_url)["articles"] == stored


def test_discord_shows_the_same_one_line_reasons_for_a_bad_jsonl(any_archive):
    from bot.render import render_outcomes

    data = "\n".join(r for r, _ in JSONL_RECORDS).encode()
    message = render_outcomes(any_archive.ingest_bytes("upload.jsonl", data))
    assert message.startswith(f"{sum(1 for _, r in JSONL_RECORDS if r is None)} of ")
    for lineno, (_, refusal) in enumerate(JSONL_RECORDS, start=1):
        if refusal is not None:
            line = next(ln for ln in message.splitlines() if f"upload.jsonl:{lineno}" in ln)
            assert refusal in line
    assert "sorry" not in message.lower()


def test_ingest_path_names_link_loops_and_unreadable_folders(any_archive, tmp_path, monkeypatch):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    [outcome] = any_archive.ingest_path(tmp_path / "loop")
    assert outcome.error == f"Too many levels of symbolic links: {tmp_path / 'loop'}"
    (tmp_path / "in" / "locked").mkdir(parents=True)
    (tmp_path / "in" / "good.txt").write_text(GOOD_NOTE)
    real_scandir = os.scandir

    def scandir(path="."):  # root reads every folder: refuse at the OS boundary instead
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    outcomes = list(any_archive.ingest_path(tmp_path / "in"))
    assert [o.error for o in outcomes] == [
        None,
        f"Could not read the folder {tmp_path / 'in' / 'locked'}: permission denied",
    ]


# --- a damaged store ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "content", [b"this is a note, not a database\n" * 40, b"SQLite format 3\x00" + b"\xff" * 4000]
)
def test_a_file_that_is_not_a_database_cannot_be_opened_by_name(tmp_path, capsys, content):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    with pytest.raises(StoreError, match=f"Cannot open the database {path}: "):
        Archivist(KnowledgeConfig(database_url=f"sqlite:///{path}"))
    code = main(["--database", f"sqlite:///{path}", "list"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"archivist: Cannot open the database {path}: ")
    assert len(err.splitlines()) == 1 and "unexpected" not in err
    assert path.read_bytes() == content  # left as it was


#: How many hostile inputs this module tries, per backend (reported in issue 11's closing note).
HOSTILE_INPUTS = (
    len(LONG_RUNS) + len(NOT_ENCODINGS) + 5  # the CLI folder: + dense, deep, empty, rtl, loop
    + len(JSONL_RECORDS) - 2  # every record but the first and last good ones
    + 1 + 1 + 1 + 2  # hostile stdin, a long word, a link loop, two unreadable folders
    + 2  # undecodable --batch lines
    + len(API_CASES) + 4 + len(API_CHARSET_CASES)  # + 4 bad collection names
    + (len(JSONL_RECORDS) - 2) * 2  # the JSONL through the API and through Discord
    + 2  # a link loop and an unreadable folder through ingest_path
    + 2  # damaged SQLite files (SQLite only)
)  # fmt: skip
