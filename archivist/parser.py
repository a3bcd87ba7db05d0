"""The ``archivist`` argument parser: commands, their options, and the global options."""

from __future__ import annotations

import argparse
import re

from archivist.context import PROG
from knowledge.limits import MAX_EXCERPTS, MAX_GAPS, MAX_LISTED
from knowledge.types import GLOBAL_COLLECTION


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
