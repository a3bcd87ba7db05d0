"""The ``archivist`` commands other than ``ingest``: each takes the context and its arguments
and returns the exit status."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from archivist import render
from archivist.context import Context, UsageError, embed_pending, print_error
from knowledge.decode import printable
from knowledge.errors import InvalidQuery, KnowledgeError

if TYPE_CHECKING:
    import argparse


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
            print_error(problem)
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


def cmd_embed(ctx: Context, args: argparse.Namespace) -> int:
    svc = ctx.service()
    if not svc.semantic.enabled:
        print(f"Semantic search is off: {svc.semantic.reason}. Nothing to embed.")
        return 0
    done, waiting, seconds = embed_pending(ctx, "embedding")
    if not waiting:
        print("Every stored passage has vectors already.")
    else:
        rate = done / seconds if seconds > 0 else 0.0
        print(f"Embedded {done:,} passages in {seconds:.1f} s ({rate:.1f}/s).")
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
