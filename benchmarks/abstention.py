"""Does Archivist say "nothing relevant" when the answer is not stored?

Half of the XQuAD articles (every other title) are stored; every question is
asked. Questions about stored articles should be answered; questions about the
other half should not, since their article is missing, yet they share a
domain, a style and many words with what is stored: the hard case for a
relevance floor. A plain-text probe of unrelated questions is the easy case
and is covered by the tests.

    python benchmarks/abstention.py [--settings en-en,ro-ro,en-ro] [--floor 0.25]

Prints, per setting, the share of questions answered on each side and the
passage recall@5 on the stored side.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import xquad

xquad.use_repo_checkout()

from knowledge import Archivist, Document, KnowledgeConfig  # noqa: E402


def measure(setting: str, floor: float | None) -> str:
    question_language, passage_language = setting.split("-")
    passages = xquad.load(passage_language)
    questions = xquad.load(question_language).questions
    gold = {q.id: q.answers for q in passages.questions}
    stored = {a.title for i, a in enumerate(passages.articles) if i % 2 == 0}
    with tempfile.TemporaryDirectory() as tmp:
        config = KnowledgeConfig(database_url=f"sqlite:///{Path(tmp) / 'store.db'}")
        if floor is not None:
            config = KnowledgeConfig(database_url=config.database_url, min_confidence=floor)
        with Archivist(config) as archive:
            for article in passages.articles:
                if article.title in stored:
                    archive.ingest_document(
                        Document(
                            text="\n\n".join(article.paragraphs),
                            title=article.display_title,
                            source_kind="jsonl",
                        )
                    )
            asked = {True: 0, False: 0}
            answered = {True: 0, False: 0}
            hits = 0
            for question in questions:
                known = question.title in stored
                answer = archive.ask(question.text, k=5)
                asked[known] += 1
                answered[known] += answer.found
                if known and any(
                    g in e.passage for e in answer.excerpts for g in gold[question.id]
                ):
                    hits += 1
    return (
        f"{setting:7}  {answered[True] / asked[True]:>17.3f}  {hits / asked[True]:>6.3f}"
        f"  {answered[False] / asked[False]:>19.3f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", default="en-en,ro-ro,en-ro")
    parser.add_argument("--floor", type=float, default=None, help="min_confidence to use")
    args = parser.parse_args(argv)
    print(f"$ python benchmarks/abstention.py {' '.join(argv or sys.argv[1:])}".rstrip())
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC   code: {xquad.describe_checkout()}")
    print("setting  answered (stored)    P@5  answered (not stored)")
    for setting in args.settings.split(","):
        print(measure(setting.strip(), args.floor), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
