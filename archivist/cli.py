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

This module is the entry point: it parses (:mod:`archivist.parser`), sets up logging, runs
one command (:mod:`archivist.ingest`, :mod:`archivist.commands`) and turns what it raised
into an exit status. What the commands share is in :mod:`archivist.context`.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import os
import sys

from archivist.commands import (
    CopyInterrupted,
    cmd_ask,
    cmd_chat,
    cmd_check,
    cmd_copy,
    cmd_embed,
    cmd_feedback,
    cmd_gaps,
    cmd_list,
    cmd_remove,
    cmd_run,
    cmd_show,
    cmd_stats,
)
from archivist.context import Context, EmbeddingInterrupted, UsageError, print_error
from archivist.ingest import cmd_ingest
from archivist.parser import build_parser
from knowledge.decode import printable
from knowledge.errors import KnowledgeError
from runtime.logs import setup_logging
from runtime.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)

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
        print_error(str(exc))
        return 2
    try:
        if args.command == "run":  # the bot's output is its log: stdout, at LOG_LEVEL
            setup_logging(settings, verbose=args.verbose, quiet=args.quiet, stream=sys.stdout)
        else:  # a command's output is its result; logs stay out of the way unless asked
            setup_logging(settings, verbose=args.verbose, quiet=args.quiet, console_level="WARNING")
    except OSError as exc:
        print_error(f"cannot open LOG_FILE {settings.log_file}: {exc.strerror or exc}")
        return 2

    ctx = Context(settings, args)
    try:
        return COMMANDS[args.command](ctx, args)
    except UsageError as exc:
        print_error(str(exc))
        return 2
    except KnowledgeError as exc:
        print_error(str(exc))
        return 1
    except (EmbeddingInterrupted, CopyInterrupted) as exc:
        print_error(str(exc))
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
        print_error(f"unexpected error: {type(exc).__name__}: {exc}{hint}")
        return 1
    finally:
        with contextlib.suppress(Exception):
            ctx.close()


def _silence_stdout() -> None:
    """The reader went away (``archivist list | head``): stop Python's final flush complaining."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
