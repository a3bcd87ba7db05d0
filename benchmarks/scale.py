"""Retrieval quality in a big store: XQuAD among generated distractor passages.

retrieval.py measures recall in a store of 250 passages, where no bound on a
question's work ever binds. Here the same XQuAD articles are stored after N
distractor passages, made as speed.py makes its corpus (real XQuAD sentences,
recombined and perturbed) in the articles' language, but without any
sentence that holds a gold answer,
so a hit can only come from the real paragraph. The distractors share the
real articles' topics and words: they are hard negatives, and the postings
budget and candidate limits do bind.

    python benchmarks/scale.py [--distractors 100000] [--settings en-en,en-ro]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import speed
import xquad

xquad.use_repo_checkout()

from knowledge import Archivist, Document, KnowledgeConfig  # noqa: E402


def distractor_pools(language: str, answers: set[str]) -> speed.Pools:
    """speed.py's pools in one language, without any sentence holding a gold answer.

    One language: for English questions over Romanian articles, English
    distractors would be near-translations of the very articles asked about,
    a store no archive holds.
    """
    pools = speed.load_pools()
    sentences = tuple(s for s in pools.sentences[language] if not any(a in s for a in answers))
    names = pools.names[language]
    return speed.Pools(
        {other: sentences for other in xquad.LANGUAGES},
        {other: names for other in xquad.LANGUAGES},
    )


def measure(setting: str, distractors: int, seed: int) -> str:
    question_language, passage_language = setting.split("-")
    passages = xquad.load(passage_language)
    questions = xquad.load(question_language).questions
    gold = {q.id: q.answers for q in passages.questions}
    answers = {a for q in passages.questions for a in q.answers if len(a) >= 3}
    pools = distractor_pools(passage_language, answers)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        config = KnowledgeConfig(database_url=f"sqlite:///{Path(tmp) / 'store.db'}")
        with Archivist(config) as archive:
            stored = 0
            started = time.perf_counter()
            for title, text in speed.generate(pools, rng):
                if stored >= distractors:
                    break
                result = archive.ingest_document(Document(text=text, title=title))
                stored += 0 if result.duplicate else result.article.passage_count
            ingest_s = time.perf_counter() - started
            for article in passages.articles:
                archive.ingest_document(
                    Document(text="\n\n".join(article.paragraphs), title=article.display_title)
                )
            p5 = q5 = answered = 0
            latencies = []
            for question in questions:
                began = time.perf_counter()
                answer = archive.ask(question.text, k=5)
                latencies.append(time.perf_counter() - began)
                answered += answer.found
                wanted = gold[question.id]
                p5 += any(g in e.passage for e in answer.excerpts for g in wanted)
                q5 += any(g in e.quote for e in answer.excerpts for g in wanted)
    n = len(questions)
    p50 = xquad.percentile(latencies, 50) * 1000
    p95 = xquad.percentile(latencies, 95) * 1000
    return (
        f"{setting:7}  {stored:>11,}  {p5 / n:>6.3f}  {q5 / n:>6.3f}  {answered / n:>8.3f}"
        f"  {p50:>6.1f}  {p95:>6.1f}   (distractors ingested in {ingest_s:.0f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distractors", type=int, default=100_000)
    parser.add_argument("--settings", default="en-en,en-ro")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    print(f"$ python benchmarks/scale.py {' '.join(argv or sys.argv[1:])}".rstrip())
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC   code: {xquad.describe_checkout()}")
    print("setting  distractors     P@5     Q@5  answered   p50ms   p95ms")
    for setting in args.settings.split(","):
        print(measure(setting.strip(), args.distractors, args.seed), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
