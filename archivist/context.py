"""What every ``archivist`` command needs: settings, options, output streams, the service.

Also the few helpers every command shares: the one-line error on stderr, text made fit to
print, and embedding what waits for vectors with a progress bar.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from typing import TYPE_CHECKING

from knowledge.decode import printable
from knowledge.types import GLOBAL_COLLECTION

if TYPE_CHECKING:
    import argparse

    from knowledge import Archivist
    from runtime.settings import Settings

log = logging.getLogger(__name__)

PROG = "archivist"


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
            embed_pending(self, "embedding the examples")

    @property
    def added_by(self) -> str:
        try:
            return f"cli:{getpass.getuser()}"
        except (OSError, KeyError, ImportError):  # no login name in some containers
            return "cli"


def embed_pending(ctx: Context, label: str) -> tuple[int, int, float]:
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


def one_line(message: str) -> str:
    """``message`` with every run of whitespace made one space."""
    # Driver messages (psycopg's "connection refused" hint) can span lines; ours never do.
    return " ".join(str(message).split())


def print_error(message: str) -> None:
    """``archivist: <message>`` on one line of standard error."""
    print(printable(f"{PROG}: {one_line(message)}"), file=sys.stderr)
