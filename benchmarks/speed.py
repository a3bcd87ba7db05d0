"""Ingest rate, query latency and memory at a given store size.

Articles are generated from the bundled XQuAD paragraphs (English and
Romanian): sentences shuffled across paragraphs, numbers and names swapped,
words dropped or doubled, with a seeded RNG, about ten passages per article,
until the store holds N passages. Each size runs in its own fresh process and
fresh store, so peak memory is that size's own.

With semantic search on (the default where the model runs), every question is
embedded by the real model, as in production. The stored passages are not:
embedding 100,000 passages takes hours on this machine, so they get random
unit vectors per sentence, quantised and stored exactly as real ones are
(``backfill.embed_pending``, ``vectorstore.add_vectors``). The search does the same
work on them; only the answers mean nothing. The model's own speed is measured
apart, on a sample of the stored sentences.

    python benchmarks/speed.py [--sizes 10000,100000] [--queries 200] [--seed 7]
                               [--semantic on|off] [--embed-sample 300]
                               [--database postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import multiprocessing
import os
import pstats
import random
import re
import resource
import shlex
import sys
import tempfile
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import xquad

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

log = logging.getLogger(__name__)

TARGET_SIZE = 100_000
TARGET_P95_MS = 50.0
TARGET_RSS_MB = 600.0
#: Passages given synthetic vectors per store write.
VECTOR_BATCH = 2000
WARMUP = 10
PROGRESS_EVERY_S = 10.0
SLOWEST = 5

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“„(]?[^\W\d_])")
NUMBER = re.compile(r"\d+")
CAPITALISED = re.compile(r"^[^\W\d_][\w'’-]*$")


# ---------------------------------------------------------------- generated text


@dataclass(frozen=True)
class Pools:
    """Real material per language: sentences to recombine, names to swap in."""

    sentences: dict[str, tuple[str, ...]]
    names: dict[str, tuple[str, ...]]


def load_pools() -> Pools:
    sentences: dict[str, tuple[str, ...]] = {}
    names: dict[str, tuple[str, ...]] = {}
    for language in xquad.LANGUAGES:
        data = xquad.load(language)
        found: list[str] = []
        seen_names: dict[str, None] = {}
        for article in data.articles:
            for paragraph in article.paragraphs:
                for sentence in SENTENCE_END.split(paragraph):
                    found.append(sentence.strip())
                    # A capitalised word after the first is most likely a name.
                    for word in sentence.split()[1:]:
                        word = word.strip(".,;:()\"“”„'’")
                        if len(word) > 2 and word[0].isupper() and CAPITALISED.match(word):
                            seen_names.setdefault(word)
        sentences[language] = tuple(s for s in found if s)
        names[language] = tuple(seen_names)
    return Pools(sentences, names)


def perturb(sentence: str, names: Sequence[str], rng: random.Random) -> str:
    """The sentence with some numbers, names and words changed."""
    sentence = NUMBER.sub(
        lambda m: (
            str(rng.randrange(10 ** (len(m.group()) - 1), 10 ** len(m.group())))
            if rng.random() < 0.7
            else m.group()
        ),
        sentence,
    )
    words = sentence.split()
    out: list[str] = []
    for index, word in enumerate(words):
        roll = rng.random()
        if index and roll < 0.03:
            continue  # dropped
        if index and word[0].isupper() and CAPITALISED.match(word) and rng.random() < 0.3:
            word = rng.choice(names)
        out.append(word)
        if roll > 0.98:
            out.append(word)  # doubled
    return " ".join(out)


def generate(pools: Pools, rng: random.Random) -> Iterator[tuple[str, str]]:
    """Endless (title, text) pairs, about ten paragraphs each."""
    number = 0
    while True:
        number += 1
        language = rng.choice(xquad.LANGUAGES)
        other = "ro" if language == "en" else "en"
        paragraphs = []
        for _ in range(rng.randint(8, 12)):
            # Now and then a paragraph in the other language, as in mixed articles.
            lang = other if rng.random() < 0.1 else language
            picked = rng.sample(pools.sentences[lang], rng.randint(2, 5))
            paragraphs.append(" ".join(perturb(s, pools.names[lang], rng) for s in picked))
        title_words = rng.sample(pools.names[language], rng.randint(2, 4))
        yield f"{' '.join(title_words)} ({number})", "\n\n".join(paragraphs)


def questions(count: int, rng: random.Random) -> list[str]:
    """``count`` XQuAD questions, English and Romanian mixed, plus the warm-up ones first."""
    pool = [q.text for language in xquad.LANGUAGES for q in xquad.load(language).questions]
    return rng.sample(pool, min(len(pool), count + WARMUP))


# ---------------------------------------------------------------- vectors


class RandomEmbedder:
    """Random unit vectors under the real model's name, for stored passages
    only: the store takes them for the model's own and the real one embeds
    the questions."""

    def __init__(self, name: str, dim: int, seed: int) -> None:
        import numpy as np

        self.name = name
        self.dim = dim
        self._rng = np.random.default_rng(seed)

    def passages(self, texts: Sequence[str]):
        import numpy as np

        vectors = self._rng.standard_normal((len(texts), self.dim), dtype=np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def queries(self, texts: Sequence[str]):
        raise AssertionError("questions go to the real model")


class TimedEmbedder:
    """The real model, timing each question it embeds: the share of a
    question's latency that is the model's."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.query_ms: list[float] = []

    def queries(self, texts: Sequence[str]):
        started = time.perf_counter()
        vectors = self._inner.queries(texts)
        self.query_ms.append((time.perf_counter() - started) * 1000)
        return vectors

    def passages(self, texts: Sequence[str]):
        return self._inner.passages(texts)


@dataclass
class Throughput:
    """The real model embedding the sentences of stored passages, one thread."""

    load_s: float
    passages: int
    sentences: int
    seconds: float


def embedding_throughput(url: str, sample: int) -> Throughput:
    """Embed the first stored passages, ``sample`` sentences or a few more, as
    the background embedding does (``backfill.embed_pending``), without storing."""
    from sqlalchemy.orm import sessionmaker

    from knowledge import backfill, database, embedding, vectorstore
    from knowledge.sentences import split_sentences

    engine = database.open_engine(url)
    try:
        with sessionmaker(engine)() as session:
            pending = vectorstore.pending_passages(session, sample, split_sentences)
    finally:
        engine.dispose()
    taken, sentences = [], 0
    for passage in pending:
        if sentences >= sample:
            break
        taken.append(passage)
        sentences += len(passage.texts)
    model = embedding.shared_embedder()
    started = time.perf_counter()
    model.passages(["warm-up"])  # loads the weights
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    for at in range(0, len(taken), embedding.BATCH):
        backfill.embed_pending(model, taken[at : at + embedding.BATCH])
    return Throughput(load_s, len(taken), sentences, time.perf_counter() - started)


def store_random_vectors(url: str, name: str, seed: int) -> int:
    """Give every stored passage synthetic vectors, in bulk; returns how many."""
    from knowledge import Archivist, KnowledgeConfig

    filler = RandomEmbedder(name, 384, seed)
    done = 0
    with Archivist(KnowledgeConfig(database_url=url, semantic="on"), embedder=filler) as svc:
        while count := svc.embed_pending(VECTOR_BATCH):
            done += count
    return done


# ---------------------------------------------------------------- measuring


@dataclass
class SizeResult:
    size: int
    backend: str
    semantic: bool
    articles: int
    passages: int
    duplicates: int
    ingest_s: float
    articles_per_s: float
    passages_per_s: float
    rss_start_mb: float
    peak_after_ingest_mb: float
    vectors_s: float  # writing the synthetic vectors
    rss_after_vectors_mb: float
    first_question_ms: float  # loads the summary matrix when semantic search is on
    peak_after_first_mb: float
    embed_p50_ms: float  # the model embedding a question, within the timed questions
    embed_p95_ms: float
    peak_after_queries_mb: float
    store_mb: float
    queries: int
    answered: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    questions_per_s: float
    slowest: list[tuple[float, str]]
    profile: str  # cProfile of the timed questions, when asked for
    throughput: Throughput | None


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Store:
    """A fresh store for one size: a SQLite file in a temp dir, or a new PostgreSQL schema."""

    def __init__(self, database: str | None, tmp: Path) -> None:
        self.database = database
        self.schema: str | None = None
        self.path: Path | None = None
        if database is None:
            self.path = tmp / "speed.db"
            self.url = f"sqlite:///{self.path}"
        else:
            from sqlalchemy import create_engine, text

            self.schema = f"speed_{uuid.uuid4().hex[:10]}"
            engine = create_engine(database)
            with engine.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            engine.dispose()
            separator = "&" if "?" in database else "?"
            # Only the fresh schema: with public on the path too, a store left
            # there by another run is visible and gets used instead.
            self.url = f"{database}{separator}options=-csearch_path%3D{self.schema}"

    @property
    def backend(self) -> str:
        return "sqlite" if self.database is None else "postgresql"

    def size_mb(self) -> float:
        if self.path is not None:
            files = [self.path, *(Path(f"{self.path}{s}") for s in ("-wal", "-shm"))]
            return sum(f.stat().st_size for f in files if f.exists()) / 1e6
        from sqlalchemy import create_engine, text

        engine = create_engine(self.url)
        with engine.connect() as conn:
            total = conn.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relkind IN ('r', 'm')"
                ),
                {"schema": self.schema},
            ).scalar_one()
        engine.dispose()
        return int(total) / 1e6

    def drop(self) -> None:
        if self.schema is None or self.database is None:
            return
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database)
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        engine.dispose()


def measure(
    size: int,
    query_count: int,
    seed: int,
    database: str | None,
    profile: int = 0,
    semantic: bool = False,
    embed_sample: int = 0,
) -> SizeResult:
    """Fill a fresh store to ``size`` passages, then time questions. Runs in a child process."""
    xquad.use_repo_checkout()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from knowledge import Archivist, Document, KnowledgeConfig

    rng = random.Random(seed)
    profile_text = ""
    pools = load_pools()
    asked = questions(query_count, random.Random(seed + 1))
    throughput = None

    with tempfile.TemporaryDirectory(prefix="archivist-speed-") as tmp:
        store = Store(database, Path(tmp))
        config = KnowledgeConfig(database_url=store.url, semantic="on" if semantic else "off")
        timer = None
        if semantic:
            from knowledge.embedding import shared_embedder

            timer = TimedEmbedder(shared_embedder())
        svc = Archivist(config, embedder=timer)
        try:
            rss_start = current_rss_mb()
            articles = passages = duplicates = 0
            ingest_s = 0.0
            last_report = time.monotonic()
            for title, text in generate(pools, rng):
                if passages >= size:
                    break
                doc = Document(text=text, title=title, source_kind="text")
                started = time.perf_counter()
                ingested = svc.ingest_document(doc)
                ingest_s += time.perf_counter() - started
                if ingested.duplicate:
                    duplicates += 1
                    continue
                articles += 1
                passages += ingested.article.passage_count
                if time.monotonic() - last_report > PROGRESS_EVERY_S:
                    last_report = time.monotonic()
                    print(
                        f"  {size:,}: {passages:,} passages, {articles:,} articles, "
                        f"{passages / ingest_s:,.0f} passages/s",
                        file=sys.stderr,
                        flush=True,
                    )
            peak_ingest = peak_rss_mb()
            vectors_s = 0.0
            if semantic:
                if embed_sample:
                    print(f"  {size:,}: embedding {embed_sample} sentences", file=sys.stderr)
                    throughput = embedding_throughput(store.url, embed_sample)
                print(f"  {size:,}: writing synthetic vectors", file=sys.stderr, flush=True)
                started = time.perf_counter()
                store_random_vectors(store.url, timer.name, seed)
                vectors_s = time.perf_counter() - started
            rss_vectors = current_rss_mb()
            print(f"  {size:,}: ingested; asking {len(asked)} questions", file=sys.stderr)

            latencies: list[float] = []
            first_ms = 0.0
            peak_first = 0.0
            timed: list[tuple[float, str]] = []
            answered = 0
            for number, question in enumerate(asked):
                if number == WARMUP and timer is not None:
                    timer.query_ms.clear()
                started = time.perf_counter()
                answer = svc.ask(question)
                elapsed = time.perf_counter() - started
                if number == 0:
                    first_ms = elapsed * 1000
                    peak_first = peak_rss_mb()
                if number >= WARMUP:
                    latencies.append(elapsed * 1000)
                    timed.append((elapsed * 1000, question))
                    answered += answer.found
            embed_ms = list(timer.query_ms) if timer is not None else []
            if profile:
                # A second pass over the same questions, so the profiler's own
                # cost stays out of the figures above (caches are warmer now).
                profiler = cProfile.Profile()
                profiler.enable()
                for question in asked[WARMUP:]:
                    svc.ask(question)
                profiler.disable()
                report = io.StringIO()
                stats = pstats.Stats(profiler, stream=report).strip_dirs()
                stats.sort_stats("cumulative").print_stats(profile)
                profile_text = report.getvalue().rstrip()
            peak_queries = peak_rss_mb()
        finally:
            svc.close()
        try:
            store_mb = store.size_mb()
        finally:
            store.drop()

    total_s = sum(latencies) / 1000
    return SizeResult(
        size=size,
        backend=store.backend,
        semantic=semantic,
        articles=articles,
        passages=passages,
        duplicates=duplicates,
        ingest_s=ingest_s,
        articles_per_s=articles / ingest_s if ingest_s else float("nan"),
        passages_per_s=passages / ingest_s if ingest_s else float("nan"),
        rss_start_mb=rss_start,
        peak_after_ingest_mb=peak_ingest,
        vectors_s=vectors_s,
        rss_after_vectors_mb=rss_vectors,
        first_question_ms=first_ms,
        peak_after_first_mb=peak_first,
        embed_p50_ms=xquad.percentile(embed_ms, 50),
        embed_p95_ms=xquad.percentile(embed_ms, 95),
        peak_after_queries_mb=peak_queries,
        store_mb=store_mb,
        queries=len(latencies),
        answered=answered / len(latencies) if latencies else float("nan"),
        p50_ms=xquad.percentile(latencies, 50),
        p95_ms=xquad.percentile(latencies, 95),
        p99_ms=xquad.percentile(latencies, 99),
        mean_ms=total_s * 1000 / len(latencies) if latencies else float("nan"),
        max_ms=max(latencies, default=float("nan")),
        questions_per_s=len(latencies) / total_s if total_s else float("nan"),
        slowest=[(round(ms, 1), q) for ms, q in sorted(timed, reverse=True)[:SLOWEST]],
        profile=profile_text,
        throughput=throughput,
    )


# ---------------------------------------------------------------- report


def describe(r: SizeResult) -> str:
    mode = "semantic on: fused" if r.semantic else "semantic off: lexical"
    lines = [
        f"{r.size:,} passages ({r.backend}, {mode})",
        f"  ingest   {r.articles:,} articles, {r.passages:,} passages in {r.ingest_s:.1f} s: "
        f"{r.articles_per_s:.1f} articles/s, {r.passages_per_s:.0f} passages/s"
        + (f" ({r.duplicates} generated duplicates refused)" if r.duplicates else ""),
    ]
    t = r.throughput
    if t is not None:
        lines.append(
            f"  model    {t.sentences} sentences of the first {t.passages} stored passages "
            f"embedded in {t.seconds:.1f} s, one thread: {t.sentences / t.seconds:.1f} "
            f"sentences/s, {t.passages / t.seconds:.1f} passages/s "
            f"({t.seconds / t.sentences * 1000:.0f} ms a sentence); weights loaded in "
            f"{t.load_s:.1f} s"
        )
    if r.semantic:
        lines.append(
            f"  vectors  SYNTHETIC: random unit vectors per sentence for all {r.passages:,} "
            f"passages, quantised and stored as real ones, written in {r.vectors_s:.1f} s; "
            "questions embedded by the real model"
        )
    lines += [
        f"  memory   RSS {r.rss_start_mb:.0f} MB with the store open; peak "
        f"{r.peak_after_ingest_mb:.0f} MB after ingest"
        + (f", RSS {r.rss_after_vectors_mb:.0f} MB after the vectors" if r.semantic else "")
        + f", peak {r.peak_after_first_mb:.0f} MB after the first question, "
        f"{r.peak_after_queries_mb:.0f} MB after all (ru_maxrss)",
        f"  store    {r.store_mb:.1f} MB",
        f"  ask      first question {r.first_question_ms:.0f} ms"
        + (" (loads the vector matrix)" if r.semantic else ""),
        f"           {r.queries} questions after {WARMUP} warm-up: p50 {r.p50_ms:.1f} ms, "
        f"p95 {r.p95_ms:.1f}, p99 {r.p99_ms:.1f}, mean {r.mean_ms:.1f}, max {r.max_ms:.1f}; "
        f"{r.questions_per_s:.1f} questions/s (one thread); answered {r.answered:.2f}"
        + (" (vectors are random: not a quality figure)" if r.semantic else ""),
        *(
            [
                f"           of which the model embedding the question: p50 {r.embed_p50_ms:.1f} "
                f"ms, p95 {r.embed_p95_ms:.1f}"
            ]
            if r.semantic
            else []
        ),
        "  slowest  " + "\n           ".join(f"{ms:.1f} ms  {q}" for ms, q in r.slowest),
    ]
    return "\n".join(lines)


def table(results: Sequence[SizeResult]) -> str:
    header = (
        f"{'passages':>9} {'semantic':>8} {'articles':>8} {'ingest_s':>8} {'art/s':>7} "
        f"{'pass/s':>7} "
        f"{'peakMB':>7} {'storeMB':>8} {'p50ms':>6} {'p95ms':>6} {'p99ms':>6} "
        f"{'meanms':>6} {'q/s':>6}"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r.passages:>9,} {'on' if r.semantic else 'off':>8} {r.articles:>8,} "
            f"{r.ingest_s:>8.1f} {r.articles_per_s:>7.1f} "
            f"{r.passages_per_s:>7.0f} {r.peak_after_queries_mb:>7.0f} {r.store_mb:>8.1f} "
            f"{r.p50_ms:>6.1f} {r.p95_ms:>6.1f} {r.p99_ms:>6.1f} {r.mean_ms:>6.1f} "
            f"{r.questions_per_s:>6.1f}"
        )
    return "\n".join(lines)


def parse_size(value: str) -> int:
    value = value.strip().lower().replace("_", "")
    scale = 1000 if value.endswith("k") else 1
    return int(value.rstrip("k")) * scale


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="10000,100000",
        help="comma-separated passage counts (10k, 100k accepted)",
    )
    parser.add_argument("--queries", type=int, default=200, help="timed questions per size")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", help="a PostgreSQL URL; a fresh schema is made and dropped")
    parser.add_argument(
        "--semantic",
        choices=("on", "off"),
        default="on",
        help="semantic search (synthetic passage vectors, real question embedding)",
    )
    parser.add_argument(
        "--embed-sample",
        type=int,
        default=300,
        metavar="N",
        help="sentences the real model embeds to measure its speed, in the first size (0: skip)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="profile the timed questions and print the top N functions",
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error("--sizes takes numbers such as 10000,100k")
    if not args.sizes or min(args.sizes) < 1 or args.queries < 1:
        parser.error("--sizes and --queries must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    command = shlex.join(["python", *(sys.argv if argv is None else ["speed.py", *argv])])
    print(f"$ {command}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}   code: {xquad.describe_checkout()}   "
        "machine: "
        f"{multiprocessing.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average {load} at start",
        flush=True,
    )
    semantic = args.semantic == "on"
    if semantic:
        xquad.use_repo_checkout()
        from knowledge.embedding import semantic_status

        status = semantic_status("auto")
        if not status.enabled:
            print(f"semantic search cannot run here ({status.reason}): lexical only")
            semantic = False

    results: list[SizeResult] = []
    for number, size in enumerate(args.sizes):
        # A fresh process per size: its peak RSS is that size's alone.
        context = multiprocessing.get_context("spawn")
        sample = args.embed_sample if semantic and number == 0 else 0
        with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
            result = pool.submit(
                measure,
                size,
                args.queries,
                args.seed,
                args.database,
                args.profile,
                semantic,
                sample,
            ).result()
        results.append(result)
        print()
        print(describe(result), flush=True)
        if result.profile:
            print(
                f"  profile of a second pass over the timed questions (top {args.profile}, "
                "cumulative):"
            )
            print(result.profile, flush=True)

    print()
    print(table(results))
    print()
    at_target = [r for r in results if r.passages >= TARGET_SIZE]
    if at_target:
        r = at_target[0]
        mode = "semantic on" if r.semantic else "semantic off"
        mark = "✓" if r.p95_ms <= TARGET_P95_MS else "✗"
        print(
            f"target: {mark} p95 <= {TARGET_P95_MS:.0f} ms per question at {TARGET_SIZE:,} "
            f"passages ({r.backend}, {mode}): {r.p95_ms:.1f} ms"
        )
        peak = max(x.peak_after_queries_mb for x in results)
        mark = "✓" if peak <= TARGET_RSS_MB else "✗"
        print(f"target: {mark} peak RSS <= {TARGET_RSS_MB:.0f} MB at every size: {peak:.0f} MB")
    else:
        print(f"targets: not measured (need a size of at least {TARGET_SIZE:,} passages)")

    if args.json:
        figures = {"load_average": os.getloadavg(), "results": [asdict(r) for r in results]}
        xquad.write_report(args.json, command, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
