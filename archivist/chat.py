"""``archivist chat``: question after question at a prompt, answered as the bot would."""

from __future__ import annotations

import contextlib
import sys
from typing import TYPE_CHECKING

from archivist import render
from knowledge.errors import KnowledgeError
from knowledge.limits import MAX_QUESTION_CHARS

if TYPE_CHECKING:
    from archivist.context import Context
    from knowledge.types import Answer

PROMPT = "ask> "
LIST_LIMIT = 10

HELP = """\
Type a question and press Enter; the answer quotes the stored articles.
  :more    next excerpts for the last question
  :list    the newest articles
  :stats   what is stored
  :help    this text
  :quit    leave (also :q, Ctrl-D or Ctrl-C)"""


class ChatConsole:
    """A read-answer loop over one service; the state is the last question and its page."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.k = ctx.settings.knowledge.top_k
        self.last_question: str | None = None
        self.offset = 0

    def say(self, text: str) -> None:
        print(text, flush=True)

    def run(self) -> int:
        if sys.stdin.isatty():
            # Line editing and in-session history with the arrow keys, where available.
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401
        count = self.ctx.service().count_articles()
        self.say(
            f"Archivist chat — {count} articles in “{self.ctx.collection}”. "
            "Ask a question, or :help."
        )
        while True:
            try:
                line = input(PROMPT)
            except (EOFError, KeyboardInterrupt):
                self.say("")
                return 0
            try:
                if not self.handle(line):
                    return 0
            except KeyboardInterrupt:  # Ctrl-C during a long answer: leave cleanly
                self.say("")
                return 0

    def handle(self, line: str) -> bool:
        """Act on one input line; False means leave."""
        text = line.strip()
        if not text:
            return True
        if text.startswith(":"):
            return self.command(text[1:].strip().lower())
        if len(text) > MAX_QUESTION_CHARS:
            text = text[:MAX_QUESTION_CHARS]
            self.say(f"(Your question was cut to {MAX_QUESTION_CHARS:,} characters.)")
        self.last_question, self.offset = text, 0
        self.answer()
        return True

    def command(self, name: str) -> bool:
        if name in {"q", "quit", "exit"}:
            return False
        if name in {"h", "help", "?"}:
            self.say(HELP)
        elif name == "more":
            if self.last_question is None:
                self.say("Ask a question first; :more shows further excerpts for it.")
            else:
                self.offset += self.k
                self.answer(more=True)
        elif name == "list":
            self.list_articles()
        elif name == "stats":
            self.guard(lambda: self.say(render.stats_text(self.ctx.service().stats())))
        else:
            self.say(f"Unknown command :{name} — :help lists them.")
        return True

    def answer(self, *, more: bool = False) -> None:
        question = self.last_question
        assert question is not None

        def run() -> None:
            self.ctx.ensure_examples()
            answer: Answer = self.ctx.service().ask(question, k=self.k, offset=self.offset)
            if more and not answer.excerpts:
                self.say(f"No more excerpts for “{render.nothing_found_subject(question)}”.")
                return
            self.say(render.answer_text(answer, bold=self.ctx.bold, more_hint=":more"))

        self.guard(run)

    def list_articles(self) -> None:
        def run() -> None:
            svc = self.ctx.service()
            articles = svc.list_articles(limit=LIST_LIMIT)
            if not articles:
                self.say("No articles stored yet. Add some with `archivist ingest SOURCE`.")
                return
            for article in articles:
                self.say(render.list_line(article))
            total = svc.count_articles()
            if total > len(articles):
                self.say(f"(newest {len(articles)} of {total}; `archivist list` shows all)")

        self.guard(run)

    def guard(self, action) -> None:
        """Run one request; a refused question is a reply, not the end of the session."""
        try:
            action()
        except KnowledgeError as exc:
            self.say(f"Sorry: {exc}")
