"""Retrieval quality in a big store: XQuAD among generated distractor passages.

retrieval.py measures recall in a store of 250 passages, where no bound on a
question's work ever binds. Here the same XQuAD articles are stored after N
distractor passages, made as speed.py makes its corpus (real XQuAD sentences,
recombined and perturbed) in the articles' language, but without any
sentence that holds a gold answer,
so a hit can only come from the real paragraph. The distractors share the
real articles' topics and words: they are hard negatives, and the postings
budget and candidate limits do bind.

Each store is asked by Archivist's lexical search alone and by the fused
search it runs by default. Fused needs every passage embedded by the real
model (cached in ``benchmarks/.cache``, see embeddings.py): about 30-90 ms a
sentence on one core, so a few thousand distractors is what fits in minutes;
``--systems lexical`` skips the embedding and takes 100,000.

    python benchmarks/scale.py [--distractors 2000] [--settings en-en,en-ro]
                               [--systems lexical,fused]
"""

from __future__ import annotations

import argparse
import random
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import speed
import xquad
from retrieval import SETTINGS, Gold

xquad.use_repo_checkout()

from knowledge import Archivist, Document, KnowledgeConfig  # noqa: E402

SYSTEMS = ("lexical", "fused")


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


def measure(setting: str, distractors: int, seed: int, systems: list[str], embedder) -> str:
    """One store: N distractors, then the XQuAD articles, all embedded; then
    every question asked of each system. Returns the setting's lines."""
    question_language, passage_language = SETTINGS[setting]
    passages = xquad.load(passage_language)
    questions = xquad.load(question_language).questions
    gold = {q.id: Gold.of(q.answers) for q in passages.questions}
    answers = {a for q in passages.questions for a in q.answers if len(a) >= 3}
    pools = distractor_pools(passage_language, answers)
    rng = random.Random(seed)
    semantic = "on" if embedder is not None else "off"
    lines = []
    with tempfile.TemporaryDirectory(prefix="archivist-scale-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'store.db'}"
        config = KnowledgeConfig(database_url=url, semantic=semantic)
        with Archivist(config, embedder=embedder) as archive:
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
            embedded = made = 0
            started = time.perf_counter()
            if embedder is not None:
                before = embedder.computed
                while count := archive.embed_pending(64):
                    embedded += count
                    if embedded % 1024 < 64:
                        print(f"  {setting}: {embedded:,} passages embedded", file=sys.stderr)
                made = embedder.computed - before
            embed_s = time.perf_counter() - started
        for system in systems:
            config = KnowledgeConfig(database_url=url, semantic=semantic, retrieval=system)
            p5 = q5 = answered = 0
            latencies = []
            with Archivist(config, embedder=embedder) as archive:
                for question in questions:
                    began = time.perf_counter()
                    answer = archive.ask(question.text, k=5)
                    latencies.append(time.perf_counter() - began)
                    answered += answer.found
                    wanted = gold[question.id]
                    p5 += wanted.first_rank([e.passage for e in answer.excerpts]) is not None
                    q5 += wanted.first_rank([e.quote for e in answer.excerpts]) is not None
            n = len(questions)
            p50 = xquad.percentile(latencies, 50) * 1000
            p95 = xquad.percentile(latencies, 95) * 1000
            lines.append(
                f"{setting:7}  {stored:>11,}  {system:8}  {p5 / n:>6.3f}  {q5 / n:>6.3f}"
                f"  {answered / n:>8.3f}  {p50:>6.1f}  {p95:>6.1f}"
            )
    note = f"  {setting}: distractors ingested in {ingest_s:.0f} s"
    if embedder is not None:
        note += (
            f"; {embedded:,} passages embedded in {embed_s:.0f} s, one thread "
            f"({made:,} sentences by the model, the rest from the cache)"
        )
    return "\n".join([*lines, note])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--distractors", type=int, default=2_000)
    parser.add_argument("--settings", default="en-en,en-ro")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="from: " + ", ".join(SYSTEMS))
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if any(s not in SETTINGS for s in settings) or any(s not in SYSTEMS for s in systems):
        parser.error(f"settings from {', '.join(SETTINGS)}; systems from {', '.join(SYSTEMS)}")
    command = shlex.join(["python", *(sys.argv if argv is None else ["scale.py", *argv])])
    print(f"$ {command}")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC   code: {xquad.describe_checkout()}")
    from embeddings import cached_embedder

    # Lexical alone needs no vectors: the store then takes 100,000 distractors in minutes.
    embedder = cached_embedder() if "fused" in systems else None
    if embedder is None and "fused" in systems:
        print("semantic search cannot run here: lexical only")
        systems = ["lexical"]
    print("setting  distractors  system       P@5     Q@5  answered   p50ms   p95ms")
    for setting in settings:
        print(measure(setting, args.distractors, args.seed, systems, embedder), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
