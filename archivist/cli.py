"""The ``archivist`` command line: a face over :class:`knowledge.Archivist`.

Usage (``archivist COMMAND --help`` for each)::

    archivist ingest SOURCE...          .txt .md .html .jsonl files, directories, URLs, - (stdin)
    archivist ask QUESTION... [-k N] [--page P] [--json]
    archivist ask --batch < questions.txt > answers.jsonl
    archivist list [--limit N] [--offset N]
    archivist show ID
    archivist remove ID [--yes]
    archivist stats
    archivist embed                     make the vectors semantic search needs (resumable)
    archivist gaps [--days N] [--json]  questions nobody could answer, most asked first
    archivist feedback [--json]         (question, passage) pairs from answers voted helpful
    archivist chat                      an interactive console, question after question
    archivist copy --to URL             copy the whole store into another database (resumable)
    archivist check [--repair]          is the store sound? says what is wrong and the fix
    archivist run                       start the Discord bot

Global options (before or after the command): ``--database URL`` (instead of
``DATABASE_URL``), ``--collection NAME``, ``-v`` (debug logs, tracebacks), ``-q`` (errors only).

Results go to standard output, logs and notes to standard error. Exit status: 0 done
(including "nothing relevant stored" and duplicates), 1 an error or a refused source,
2 bad usage or settings, 130 interrupted. The ``--json`` schema is documented in
:mod:`archivist.render`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import errno
import getpass
import json
import logging
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from archivist import render
from archivist.logs import setup_logging
from archivist.settings import Settings, SettingsError, load_settings
from knowledge.decode import printable
from knowledge.errors import InvalidQuery, KnowledgeError
from knowledge.filetypes import SUPPORTED_LIST
from knowledge.limits import MAX_EXCERPTS, MAX_GAPS, MAX_LISTED
from knowledge.types import GLOBAL_COLLECTION, IngestOutcome

if TYPE_CHECKING:
    from knowledge import Archivist

log = logging.getLogger(__name__)

PROG = "archivist"
STDIN = "stdin"  # how `ingest -` names standard input in its lines and stored source


class UsageError(Exception):
    """Arguments argparse accepted but that do not fit together; exit status 2."""


class Context:
    """What every command needs: settings, options, output streams and the (lazy) service."""

    def __init__(self, settings: Settings, args: argparse.Namespace) -> None:
        self.settings = settings
        self.args = args
        self.quiet = args.quiet and not args.verbose
        self.collection = settings.knowledge.default_collection
        self._service: Archivist | None = None
        self._examples_checked = False

    @property
    def out(self):  # sys.stdout looked up late: tests swap it
        return sys.stdout

    @property
    def bold(self) -> bool:
        """ANSI bold for matched words only on a terminal that wants it."""
        # NO_COLOR and TERM are terminal conventions, not Archivist settings.
        if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
            return False
        return hasattr(sys.stdout, "isatty") and sys.stdout.isatty()

    def note(self, message: str) -> None:
        """A remark for the person at the terminal (stderr), silenced by ``-q``."""
        if not self.quiet:
            print(message, file=sys.stderr)

    def service(self) -> Archivist:
        if self._service is None:
            # Imported here so --help and `archivist run` do not load the engine's libraries.
            from knowledge import Archivist

            self._service = Archivist(self.settings.knowledge)
        return self._service

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None

    def ensure_examples(self) -> None:
        """First-run experience: an empty default store gets the bundled example articles."""
        if self._examples_checked:
            return
        self._examples_checked = True
        if self.collection != GLOBAL_COLLECTION:
            return
        svc = self.service()
        # Only a store that never had them: one emptied on purpose stays empty.
        if svc.examples_loaded or svc.count_articles() > 0:
            return
        outcomes = svc.load_examples()
        stored = sum(1 for o in outcomes if o.result is not None)
        for outcome in outcomes:
            if outcome.error:
                log.warning("example %s not loaded: %s", outcome.source, outcome.error)
        if stored:
            self.note(f"Loaded {stored} example articles into an empty store.")
            # A few seconds once, so the first answers use meaning as well as words.
            _embed_pending(self, "embedding the examples")

    @property
    def added_by(self) -> str:
        try:
            return f"cli:{getpass.getuser()}"
        except (OSError, KeyError, ImportError):  # no login name in some containers
            return "cli"


# --- argument parsing ---------------------------------------------------------------------


def _article_id(value: str) -> int:
    try:
        number = int(value.strip().lstrip("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an article id: {value!r} (e.g. 12)") from None
    if number <= 0:
        raise argparse.ArgumentTypeError(f"not an article id: {value!r}")
    return number


def _bounded_int(low: int, high: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}")
        return number

    return parse


_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _iso_date(value: str) -> str:
    if not _DATE.fullmatch(value.strip()):
        raise argparse.ArgumentTypeError(f"expected 2025, 2025-07 or 2025-07-12, not {value!r}")
    return value.strip()


def _add_global_options(parser: argparse.ArgumentParser, *, on_command: bool) -> None:
    # On subcommands the defaults are SUPPRESS so `archivist -v ask` is not reset by `ask`.
    def default(value):
        return argparse.SUPPRESS if on_command else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--database",
        metavar="URL",
        default=default(None),
        help="database URL, instead of DATABASE_URL (e.g. sqlite:///archivist.db)",
    )
    group.add_argument(
        "--collection",
        metavar="NAME",
        default=default(None),
        help=f"collection to work in (default: ARCHIVIST_COLLECTION or {GLOBAL_COLLECTION!r})",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=default(False),
        help="show debug logs and tracebacks",
    )
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default(False),
        help="show only errors on stderr",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Answer questions about stored articles with verbatim quotes and sources.",
        epilog=(
            "examples:\n"
            '  archivist ask "who met Kim and where"\n'
            "  archivist ingest notes/ https://example.org/story.html\n"
            "  archivist ask --json -k 5 \"Lavrov Wonsan\" | jq '.excerpts[].quote'\n"
            "\n"
            "Settings come from the environment and .env (see .env.example)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser, on_command=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, summary: str, description: str | None = None):
        sub = commands.add_parser(
            name,
            help=summary,
            description=description or summary,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        _add_global_options(sub, on_command=True)
        return sub

    ingest = command(
        "ingest",
        "store articles from files, directories, URLs or stdin",
        "Store articles. SOURCE is a .txt/.md/.html file, a .jsonl file of\n"
        '{"title","url","date","text"} records, a directory (read recursively),\n'
        "an http(s) URL, or - to read one text from standard input.\n"
        "Prints one line per article: its id, or the id it duplicates, or why it was refused.",
    )
    ingest.add_argument("sources", nargs="+", metavar="SOURCE")
    ingest.add_argument("--title", help="title for a single file, URL or stdin")
    ingest.add_argument(
        "--date", type=_iso_date, help="date (2025-07-12) for a single file, URL or stdin"
    )
    ingest.add_argument("--author", help="author for a single file, URL or stdin")
    ingest.add_argument(
        "--no-embed",
        action="store_true",
        help="store only; leave the vectors for semantic search to `archivist embed` or the bot",
    )

    ask = command(
        "ask",
        "answer a question with quotes from the stored articles",
        "Print the passages that answer QUESTION as quotes, with their sources.\n"
        "With --batch, read questions one per line from stdin and write JSON Lines.",
    )
    ask.add_argument("question", nargs="*", metavar="QUESTION")
    ask.add_argument(
        "-k",
        type=_bounded_int(1, MAX_EXCERPTS),
        metavar="N",
        help="excerpts per answer (default: ARCHIVIST_TOP_K, 3)",
    )
    ask.add_argument(
        "--page",
        type=_bounded_int(1, 10_000),
        default=1,
        metavar="P",
        help="show the P-th page of excerpts",
    )
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (schema 1)")
    ask.add_argument(
        "--batch",
        action="store_true",
        help="questions from stdin, one per line; answers as JSON Lines",
    )

    lister = command("list", "list stored articles, newest first")
    lister.add_argument("--limit", type=_bounded_int(1, MAX_LISTED), default=20, metavar="N")
    lister.add_argument("--offset", type=_bounded_int(0, 10**9), default=0, metavar="N")

    show = command("show", "show an article's details and opening passage")
    show.add_argument("article_id", type=_article_id, metavar="ID")

    remove = command("remove", "delete an article and its passages")
    remove.add_argument("article_id", type=_article_id, metavar="ID")
    remove.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")

    command("stats", "count articles, passages and languages")
    command(
        "embed",
        "make the vectors semantic search needs, for passages that have none",
        "Embed every stored passage that has no vectors yet (after an upgrade, an\n"
        "ingest with --no-embed, or a model change). Progress is saved as it goes:\n"
        "Ctrl-C stops it, and running it again carries on.",
    )
    gaps = command(
        "gaps",
        "list the questions nobody could answer, most asked first",
        "Questions the bot found nothing relevant for, and those whose answer was voted\n"
        "Not helpful, near-duplicates grouped, with counts and the last time asked.\n"
        "Discord servers record theirs in their own collection (--collection guild:ID);\n"
        "direct messages in the shared one.",
    )
    gaps.add_argument(
        "--days", type=_bounded_int(1, 36_500), metavar="N", help="look back N days (default: all)"
    )
    gaps.add_argument("--limit", type=_bounded_int(1, MAX_GAPS), default=MAX_GAPS, metavar="N")
    gaps.add_argument("--offset", type=_bounded_int(0, 10**9), default=0, metavar="N")
    gaps.add_argument("--json", action="store_true", help="print the gaps as JSON")
    feedback = command(
        "feedback",
        "list the (question, passage) pairs of answers voted Helpful",
        "One line per question and passage shown in an answer voted Helpful, most votes\n"
        "first; with --json, JSON Lines a benchmark can replay.",
    )
    feedback.add_argument(
        "--days", type=_bounded_int(1, 36_500), metavar="N", help="look back N days (default: all)"
    )
    feedback.add_argument("--json", action="store_true", help="print JSON Lines")
    command(
        "chat",
        "ask question after question in an interactive console",
        "An interactive console that answers like the bot in a channel.\n"
        "Commands: :more  :list  :stats  :help  :quit",
    )
    copy = command(
        "copy",
        "copy the whole store into another database (SQLite <-> PostgreSQL)",
        "Copy every collection, article, passage and vector from this store (DATABASE_URL\n"
        "or --database) into the database at --to, keeping ids, then compare the counts.\n"
        "The target must be empty or an earlier, interrupted copy of this store:\n"
        "running the same copy again carries on where it stopped.\n"
        "\n"
        "  archivist copy --to postgresql+psycopg://archivist@localhost/archivist",
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the target database URL")
    check = command(
        "check",
        "check the store is sound, and say how to fix what is not",
        "Check the store: its schema, the full-text index against the passages, the\n"
        "vocabulary counts, and the vectors. Prints what is wrong in plain words, each\n"
        "with its fix. Exit status 0 only when all is well. Run it after an upgrade, a\n"
        "crash, or a restore. Safe while the bot runs; --repair too.",
    )
    check.add_argument(
        "--repair",
        action="store_true",
        help="rebuild the full-text index and term counts, drop stray vectors, upgrade the schema",
    )
    command("run", "start the Discord bot (needs DISCORD_TOKEN)")
    return parser


# --- commands -------------------------------------------------------------------------------


def cmd_ingest(ctx: Context, args: argparse.Namespace) -> int:
    meta = {"title": args.title, "date": args.date, "author": args.author}
    has_meta = any(v is not None for v in meta.values())
    if has_meta and len(args.sources) != 1:
        raise UsageError("--title, --date and --author apply to a single file, URL or stdin")
    counts: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    for source in args.sources:
        for outcome in _ingest_source(ctx, source, meta if has_meta else None, skipped):
            if outcome.result is not None:
                duplicate = outcome.result.duplicate
                kind = "duplicate" if duplicate else "stored"
                line = render.ingested_line(outcome.result.article, duplicate=duplicate)
            else:
                kind = "refused"
                line = _refused_line(outcome.source, outcome.error or "refused")
            counts[kind] += 1
            print(printable(line), flush=True)
    if sum(counts.values()) > 1:
        parts = [f"{counts['stored']} stored"]
        if counts["duplicate"]:
            plural = "s" if counts["duplicate"] > 1 else ""
            parts.append(f"{counts['duplicate']} duplicate{plural}")
        if counts["refused"]:
            parts.append(f"{counts['refused']} refused")
        ctx.note(", ".join(parts))
    if counts["stored"] and ctx.collection == GLOBAL_COLLECTION:
        # The examples were there to try Archivist out; the user's own articles replace them.
        removed = ctx.service().remove_examples()
        if removed:
            ctx.note(f"Removed the {removed} example articles: the store now holds your own.")
    if skipped["files"]:
        n = skipped["files"]
        other = "other file" if n == 1 else "other files"
        ctx.note(f"{n} {other} in folders skipped (only {SUPPORTED_LIST} are read there)")
    if counts["stored"] and not args.no_embed:
        _embed_pending(ctx, "embedding")
    return 1 if counts["refused"] else 0


def _embed_pending(ctx: Context, label: str) -> tuple[int, int, float]:
    """Embed what waits for vectors, with a progress bar on a terminal.

    Every batch is committed as it is done, so an interruption loses at most one;
    ``KeyboardInterrupt`` is raised as ``EmbeddingInterrupted`` with the counts.
    Returns (embedded, waiting, seconds).
    """
    from archivist.progress import Progress

    svc = ctx.service()
    waiting = svc.pending_embeddings() if svc.semantic.enabled else 0
    if not waiting:
        return 0, 0, 0.0
    progress = Progress(label, waiting, enabled=None if not ctx.quiet else False)
    try:
        while done := svc.embed_pending():
            progress.advance(done)
    except KeyboardInterrupt:
        raise EmbeddingInterrupted(progress.done, waiting) from None
    finally:
        progress.close()
    return progress.done, waiting, progress.elapsed


class EmbeddingInterrupted(KeyboardInterrupt):
    def __init__(self, done: int, waiting: int) -> None:
        super().__init__()
        self.done, self.waiting = done, waiting

    def __str__(self) -> str:
        return (
            f"stopped: {self.done:,} of {self.waiting:,} passages embedded and saved; "
            "run `archivist embed` to carry on"
        )


def cmd_embed(ctx: Context, args: argparse.Namespace) -> int:
    svc = ctx.service()
    if not svc.semantic.enabled:
        print(f"Semantic search is off: {svc.semantic.reason}. Nothing to embed.")
        return 0
    done, waiting, seconds = _embed_pending(ctx, "embedding")
    if not waiting:
        print("Every stored passage has vectors already.")
    else:
        rate = done / seconds if seconds > 0 else 0.0
        print(f"Embedded {done:,} passages in {seconds:.1f} s ({rate:.1f}/s).")
    return 0


def _refused_line(source: str, message: str) -> str:
    """``refused  <source>: <why>``, naming the source once when the reason already does."""
    message = _one_line(message)
    # The source as a word of the message ("d" must not match inside ".md").
    if re.search(rf"(?<!\S){re.escape(source)}(?=$|[\s:,;)])", message):
        return f"refused  {message}"
    return f"refused  {source}: {message}"


def _ingest_folder(ctx: Context, folder: str, skipped: Counter[str]) -> Iterator[IngestOutcome]:
    """Every supported file under ``folder``; the others are counted in ``skipped``."""
    from knowledge.sources import list_folder

    listing = list_folder(folder)
    skipped["files"] += listing.skipped
    for path in listing.files:
        yield from ctx.service().ingest_path(path, collection=ctx.collection, added_by=ctx.added_by)
    for label, problem in listing.refusals():
        yield IngestOutcome(label, error=str(problem))


def _ingest_source(
    ctx: Context, source: str, meta: dict | None, skipped: Counter[str]
) -> Iterator[IngestOutcome]:
    """Every article one SOURCE argument yields; failures become refused outcomes."""
    svc = ctx.service()
    common = {"collection": ctx.collection, "added_by": ctx.added_by}
    if source == "-":
        source = STDIN  # what the messages call it
    try:
        if source == STDIN:
            limit = ctx.settings.knowledge.max_document_bytes
            data = _read_stdin_bytes(limit + 1)  # bounded: one byte over is enough to refuse
            if len(data) > limit:
                yield IngestOutcome(source, error=_too_large(limit))
            else:
                # Bytes, not text: binary and legacy encodings take the same path as files.
                yield from svc.ingest_bytes(STDIN, data, source_ref=STDIN, **common, **(meta or {}))
            return
        if "://" in source:
            yield IngestOutcome(source, svc.ingest_url(source, **common, **(meta or {})))
            return
        if not os.path.exists(source):
            yield IngestOutcome(source, error=_missing(source))
            return
        if meta:
            yield from _ingest_file_with_meta(ctx, source, meta)
            return
        if os.path.isdir(source):
            yield from _ingest_folder(ctx, source, skipped)
            return
        yield from svc.ingest_path(source, **common)
    except KnowledgeError as exc:
        yield IngestOutcome(source, error=str(exc))
    except UnicodeDecodeError:
        yield IngestOutcome(source, error="not UTF-8 text")
    except OSError as exc:
        yield IngestOutcome(source, error=exc.strerror or str(exc))


def _missing(path: str) -> str:
    """Why a path that does not exist cannot be read: absent, or a symbolic link loop."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.strerror and exc.errno != errno.ENOENT:
            return exc.strerror[0].lower() + exc.strerror[1:]
    return "no such file or directory"


def _ingest_file_with_meta(ctx: Context, path: str, meta: dict) -> Iterator[IngestOutcome]:
    """One file (text, Markdown, HTML) whose title/date/author the user gives."""
    if os.path.isdir(path):
        raise UsageError("--title, --date and --author apply to a single file, URL or stdin")
    limit = ctx.settings.knowledge.max_document_bytes
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)  # bounded: one byte over is enough to refuse
    if len(data) > limit:
        yield IngestOutcome(path, error=_too_large(limit))
        return
    yield from ctx.service().ingest_bytes(
        path, data, source_ref=path, collection=ctx.collection, added_by=ctx.added_by, **meta
    )


def _read_stdin_bytes(limit: int) -> bytes:
    """Up to ``limit`` bytes of standard input, as the bytes they are."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is not None:
        return stream.read(limit)
    # A text-only stdin (an embedding program's StringIO): give back what it holds.
    return sys.stdin.read(limit).encode("utf-8", "surrogateescape")


def _too_large(limit: int) -> str:
    return f"larger than the {limit:,}-byte limit (ARCHIVIST_MAX_DOCUMENT_BYTES)"


def cmd_ask(ctx: Context, args: argparse.Namespace) -> int:
    k = args.k or ctx.settings.knowledge.top_k
    offset = (args.page - 1) * k
    if args.batch:
        if args.question:
            raise UsageError("with --batch, give the questions on standard input, one per line")
        return _ask_batch(ctx, k=k, offset=offset)
    if not args.question:
        raise UsageError('ask needs a question, e.g. archivist ask "who met Kim and where"')
    # An empty or punctuation-only question is a question we cannot search (exit 1), not
    # bad usage: the service says why.
    question = " ".join(args.question)
    ctx.ensure_examples()
    try:
        answer = ctx.service().ask(question, k=k, offset=offset)
    except InvalidQuery as exc:
        if not args.json:
            raise
        entry = render.error_to_dict(" ".join(question.split()), str(exc))
        print(json.dumps(entry, ensure_ascii=False, indent=2))
        return 1
    if args.json:
        print(render.answer_json(answer, pretty=True))
    elif not answer.excerpts and answer.total > 0:
        print(render.past_the_end(args.page, answer.total, k))
    else:
        print(render.answer_text(answer, bold=ctx.bold, more_hint=f"--page {args.page + 1}"))
    return 0


def _ask_batch(ctx: Context, *, k: int, offset: int) -> int:
    """One JSON line per non-blank stdin line, flushed as it goes, in one process."""
    ctx.ensure_examples()
    svc = ctx.service()
    failed = 0
    for raw in sys.stdin:
        # Undecodable bytes arrive as lone surrogates; written back they are not UTF-8.
        question = printable(raw.strip())
        if not question:
            continue
        try:
            entry = render.answer_to_dict(svc.ask(question, k=k, offset=offset))
        except InvalidQuery as exc:  # a bad line is data, not a failure of the run
            entry = render.error_to_dict(question, str(exc))
        except KnowledgeError as exc:
            failed += 1
            entry = render.error_to_dict(question, str(exc))
        sys.stdout.write(json.dumps(entry, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 1 if failed else 0


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    svc = ctx.service()
    total = svc.count_articles()
    articles = svc.list_articles(limit=args.limit, offset=args.offset)
    if not articles:
        if total == 0:
            print(f"No articles in “{ctx.collection}” yet. Add some: `archivist ingest SOURCE`.")
        else:
            print(f"No articles from offset {args.offset}; there are {total}.")
        return 0
    for article in articles:
        print(render.list_line(article))
    shown_to = args.offset + len(articles)
    if total > shown_to:
        print(f"({args.offset + 1}–{shown_to} of {total}; --offset {shown_to} for more)")
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    print(render.detail_text(ctx.service().get_article(args.article_id)))
    return 0


def cmd_remove(ctx: Context, args: argparse.Namespace) -> int:
    svc = ctx.service()
    article = svc.get_article(args.article_id).summary
    if not args.yes and sys.stdin.isatty():
        reply = input(f"Remove #{article.id}  {article.title}? [y/N] ")
        if reply.strip().lower() not in {"y", "yes"}:
            print("Nothing removed.")
            return 0
    removed = svc.remove_article(article.id)
    print(f"removed #{removed.id}  {removed.title}")
    return 0


def cmd_stats(ctx: Context, args: argparse.Namespace) -> int:
    print(render.stats_text(ctx.service().stats()))
    return 0


def cmd_gaps(ctx: Context, args: argparse.Namespace) -> int:
    report = ctx.service().gaps(
        collections=[ctx.collection], days=args.days, limit=args.limit, offset=args.offset
    )
    if args.json:
        print(json.dumps(render.gaps_to_dict(report, ctx.collection), ensure_ascii=False, indent=2))
    else:
        print(render.gaps_text(report, ctx.collection))
    return 0


def cmd_feedback(ctx: Context, args: argparse.Namespace) -> int:
    pairs = ctx.service().helpful_pairs(collections=[ctx.collection], days=args.days)
    for pair in pairs:
        if args.json:
            print(json.dumps(render.pair_to_dict(pair), ensure_ascii=False))
        else:
            print(render.pair_line(pair))
    if not pairs and not args.json:
        print(f"No answers in “{ctx.collection}” were voted helpful yet.")
    return 0


def cmd_chat(ctx: Context, args: argparse.Namespace) -> int:
    from archivist.chat import ChatConsole

    return ChatConsole(ctx).run()


def cmd_copy(ctx: Context, args: argparse.Namespace) -> int:
    from archivist.progress import Progress
    from knowledge.transfer import copy_store

    bar: Progress | None = None

    def advance(rows: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = Progress("copying", total, enabled=None if not ctx.quiet else False)
        bar.advance(rows)

    try:
        report = copy_store(ctx.settings.knowledge.database_url, args.to, progress=advance)
    except KeyboardInterrupt:
        raise CopyInterrupted() from None
    finally:
        if bar is not None:
            bar.close()
    for name, (have, got) in report.counts.items():
        mark = "ok" if have == got else "DIFFERS"
        print(f"{name:<16} {have:>10,} in the source  {got:>10,} in the target  {mark}")
    if not report.ok:
        for problem in report.problems:
            _error(problem)
        return 1
    print(f"Copied {report.copied:,} rows; the target matches the source.")
    return 0


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    from knowledge.embedding import semantic_status, shared_embedder
    from knowledge.health import check_store

    # Not the service: opening it would upgrade the schema and drop vectors of another
    # model before the check could say so.
    semantic = semantic_status(ctx.settings.knowledge.semantic)
    model = shared_embedder().name if semantic.enabled else None
    report = check_store(ctx.settings.knowledge.database_url, repair=args.repair, model=model)
    labels = {"ok": "ok", "note": "note", "problem": "PROBLEM", "repaired": "REPAIRED"}
    for finding in report.findings:
        print(f"{labels[finding.status]:<9}{finding.part}: {finding.detail}")
        if finding.fix and finding.status == "problem":
            print(f"{'':<9}fix: {finding.fix}")
    problems = sum(f.status == "problem" for f in report.findings)
    if problems:
        print(f"{problems} problem{'s' if problems > 1 else ''} found.")
        return 1
    print("All is well.")
    return 0


class CopyInterrupted(KeyboardInterrupt):
    def __str__(self) -> str:
        return "stopped: what was copied is kept; run the same `archivist copy` to carry on"


def cmd_run(ctx: Context, args: argparse.Namespace) -> int:
    if not ctx.settings.bot.token:
        raise UsageError("DISCORD_TOKEN is not set; put it in .env or the environment")
    try:
        from bot.launcher import run
    except ImportError as exc:
        raise KnowledgeError(f"the Discord bot is not available: {exc}") from exc
    return run(ctx.settings) or 0


COMMANDS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "list": cmd_list,
    "show": cmd_show,
    "remove": cmd_remove,
    "stats": cmd_stats,
    "embed": cmd_embed,
    "gaps": cmd_gaps,
    "feedback": cmd_feedback,
    "chat": cmd_chat,
    "copy": cmd_copy,
    "check": cmd_check,
    "run": cmd_run,
}


# --- entry point ----------------------------------------------------------------------------


def _apply_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    changes = {}
    if args.database:
        changes["database_url"] = args.database
    if args.collection:
        changes["default_collection"] = args.collection
    if not changes:
        return settings
    knowledge = dataclasses.replace(settings.knowledge, **changes)
    return dataclasses.replace(settings, knowledge=knowledge)


def _clean_text_options(args: argparse.Namespace) -> None:
    """Undecodable bytes out of the options that become stored or searched text.

    SOURCE arguments keep their bytes: they name files that must still open.
    """
    for name in ("title", "author", "date", "collection"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, printable(value))
    if isinstance(getattr(args, "question", None), list):
        args.question = [printable(word) for word in args.question]


def _one_line(message: str) -> str:
    # Driver messages (psycopg's "connection refused" hint) can span lines; ours never do.
    return " ".join(str(message).split())


def _error(message: str) -> None:
    print(printable(f"{PROG}: {_one_line(message)}"), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run one ``archivist`` command; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, or a usage error argparse already printed
        return exc.code if isinstance(exc.code, int) else 2
    _clean_text_options(args)
    try:
        settings = _apply_overrides(load_settings(), args)
    except SettingsError as exc:
        _error(str(exc))
        return 2
    try:
        if args.command == "run":  # the bot's output is its log: stdout, at LOG_LEVEL
            setup_logging(settings, verbose=args.verbose, quiet=args.quiet, stream=sys.stdout)
        else:  # a command's output is its result; logs stay out of the way unless asked
            setup_logging(settings, verbose=args.verbose, quiet=args.quiet, console_level="WARNING")
    except OSError as exc:
        _error(f"cannot open LOG_FILE {settings.log_file}: {exc.strerror or exc}")
        return 2

    ctx = Context(settings, args)
    try:
        return COMMANDS[args.command](ctx, args)
    except UsageError as exc:
        _error(str(exc))
        return 2
    except KnowledgeError as exc:
        _error(str(exc))
        return 1
    except (EmbeddingInterrupted, CopyInterrupted) as exc:
        _error(str(exc))
        return 130
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into a line
        # The traceback goes to LOG_FILE always, to the terminal only with -v.
        log.error("unexpected error in %s", args.command, exc_info=True, extra={"console": False})
        hint = "" if args.verbose else " (run with -v for details)"
        _error(f"unexpected error: {type(exc).__name__}: {exc}{hint}")
        return 1
    finally:
        with contextlib.suppress(Exception):
            ctx.close()


def _silence_stdout() -> None:
    """The reader went away (``archivist list | head``): stop Python's final flush complaining."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
