"""Retrieval quality on XQuAD: lexical, semantic and fused, against plain BM25.

Each setting stores the XQuAD paragraphs of one language in a fresh SQLite file
(one Wikipedia title = one article), embeds them, asks the 1,190 questions
through ``Archivist.ask`` once per system and counts a hit when a gold answer
text appears in a top-k passage (passage recall) or in a top-k quote actually
shown (quote recall). The systems are Archivist's lexical search alone, its
semantic search alone, the two fused (what Archivist runs by default), and the
fused ranking with abstention off ("ranked": every question gets its best
five, to measure ranking apart from the decision to say "nothing relevant");
the baseline is bm25s over exactly the passages the store holds.

    python benchmarks/retrieval.py [--k 5] [--settings en-en,ro-ro,en-ro,en-ru,...]
                                   [--systems lexical,semantic,fused] [--limit N]
                                   [--json out.json] [--misses misses.jsonl]

English and Romanian XQuAD are bundled; the other languages are read from
``../shared/data/xquad``. Vectors are cached in ``benchmarks/.cache`` (the
model's own, keyed by text), so a second run embeds nothing again.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import shlex
import sys
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import xquad

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from knowledge import Archivist

log = logging.getLogger(__name__)

#: setting -> (question language, passage language)
SETTINGS = {"en-en": ("en", "en"), "ro-ro": ("ro", "ro"), "en-ro": ("en", "ro")}
SETTINGS |= {f"en-{lang}": ("en", lang) for lang in xquad.OTHER_LANGUAGES}
DEFAULT_SETTINGS = "en-en,ro-ro,en-ro"
#: "ranked" is the fused system with abstention off: ranking measured alone.
SYSTEMS = ("lexical", "semantic", "fused", "ranked")

LABELS = {
    "passage@1": "passage recall@1",
    "passage@5": "passage recall@5",
    "quote@5": "quote recall@5",
    "passagemrr": "passage MRR",
}

#: (setting, metric, minimum) for the fused system, from issues 2 and 6.
TARGETS = (
    ("en-en", "passage@5", 0.97),
    ("ro-ro", "passage@5", 0.97),
    ("en-en", "quote@5", 0.90),
    ("en-ro", "passage@1", 0.88),
    ("en-ro", "passage@5", 0.98),
    ("en-ro", "quote@5", 0.86),
    ("en-en", "passage@1", 0.942 + 0.02),
    ("ro-ro", "passage@1", 0.924 + 0.02),
    ("en-en", "quote@5", 0.905),
    ("ro-ro", "quote@5", 0.896),
) + tuple((f"en-{lang}", "quote@5", 0.80) for lang in xquad.OTHER_LANGUAGES)

# The baseline is meant to be plain: bm25s' own English list, and for Romanian
# only the commonest function and question words.
_ROMANIAN_STOPWORDS = """a ai al ale am are au ca care ce cel cea cei cele cine cu cum când
    cât câte câți către da dar de deci din după este fi fost în îi îl într la le lor lui mai ne nu o
    pe pentru prin sa să se și sau sunt un una unde unei unui va vor"""
ROMANIAN_STOPWORDS = frozenset(_ROMANIAN_STOPWORDS.split())

WORD = re.compile(r"\w+")
OUTCOME_KEYS = ("id", "passage_rank", "quote_rank", "bm25_rank", "found", "latency_ms")


# ---------------------------------------------------------------- matching


def normalise(text: str) -> str:
    """NFC and single spaces, so line breaks inside a passage do not hide an answer."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Gold:
    """Gold answers, prepared for the substring test."""

    texts: tuple[str, ...]

    @classmethod
    def of(cls, answers: Iterable[str]) -> Gold:
        return cls(tuple(t for t in (normalise(a) for a in answers) if t))

    def in_text(self, text: str) -> bool:
        # Case-sensitive first; casefolded too, so a sentence-initial capital
        # in the quote does not turn a found answer into a miss.
        text = normalise(text)
        if any(g in text for g in self.texts):
            return True
        folded = text.casefold()
        return any(g.casefold() in folded for g in self.texts)

    def first_rank(self, texts: Sequence[str]) -> int | None:
        """1-based rank of the first text containing a gold answer."""
        for rank, text in enumerate(texts, start=1):
            if self.in_text(text):
                return rank
        return None


# ---------------------------------------------------------------- baseline


def tokens(text: str, language: str) -> list[str]:
    from bm25s.stopwords import STOPWORDS_EN

    stop = frozenset(STOPWORDS_EN) if language == "en" else ROMANIAN_STOPWORDS
    return [t for t in WORD.findall(text.lower()) if t not in stop]


class Bm25Baseline:
    """bm25s with default parameters over a fixed list of passages."""

    def __init__(self, passages: Sequence[str], passage_language: str) -> None:
        import bm25s

        # bm25s sets its logger to DEBUG on import and would log every index build.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        self._retriever = bm25s.BM25()
        self._retriever.index([tokens(p, passage_language) for p in passages], show_progress=False)

    def rank(self, question: str, question_language: str, k: int) -> list[int]:
        """Indexes of the top-k passages with a score above zero."""
        import numpy as np

        vocab = self._retriever.vocab_dict
        query = [t for t in tokens(question, question_language) if t in vocab]
        if not query:
            return []
        scores = self._retriever.get_scores(query)
        order = np.argsort(-scores, kind="stable")[:k]
        return [int(i) for i in order if scores[i] > 0]


# ---------------------------------------------------------------- running


@dataclass
class Outcome:
    """What one question got from both systems."""

    id: str
    question: str
    gold: tuple[str, ...]
    passage_rank: int | None
    quote_rank: int | None
    bm25_rank: int | None
    found: bool
    latency_ms: float
    bm25_ms: float
    top: list[dict[str, object]] = field(default_factory=list)
    terms: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class SettingRun:
    name: str
    articles: int
    passages: int
    ingest_s: float
    reachable: float  # share of questions whose gold answer lies inside one stored passage
    outcomes: list[Outcome]


def ingest(svc: Archivist, data: xquad.XQuAD) -> list[str]:
    """Store every article; return the stored passages, as the store holds them."""
    from knowledge import Document

    passages: list[str] = []
    for number, article in enumerate(data.articles):
        doc = Document(
            text="\n\n".join(article.paragraphs),
            title=article.display_title,
            source_kind="jsonl",
            source_ref=f"xquad.{data.language}.json:{number + 1}",
        )
        ingested = svc.ingest_document(doc)
        if ingested.duplicate:
            log.warning("%s was taken for a duplicate of #%s", article.title, ingested.article.id)
            continue
        passages.extend(svc.article_passages(ingested.article.id))
    return passages


def run_setting(
    name: str, k: int, limit: int | None, systems: Sequence[str], embedder
) -> tuple[dict[str, SettingRun], dict[str, dict[str, str]]]:
    """Store one setting's articles once, then ask every question of each system."""
    from knowledge import Archivist, KnowledgeConfig, KnowledgeError

    question_language, passage_language = SETTINGS[name]
    stored = xquad.load(passage_language)
    asked = xquad.load(question_language)
    stored_by_id = stored.by_id()
    questions = asked.questions[:limit] if limit else asked.questions

    runs: dict[str, SettingRun] = {}
    extra: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="archivist-retrieval-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'store.db'}"
        semantic = "on" if embedder is not None else "off"
        with Archivist(
            KnowledgeConfig(database_url=url, semantic=semantic), embedder=embedder
        ) as svc:
            started = time.perf_counter()
            passages = ingest(svc, stored)
            while svc.embed_pending(64):
                pass
            ingest_s = time.perf_counter() - started
        baseline = Bm25Baseline(passages, passage_language)
        gold_of = {q.id: Gold.of(stored_by_id[q.id].answers) for q in questions}
        reachable = sum(1 for q in questions if any(gold_of[q.id].in_text(p) for p in passages))
        bm25: dict[str, tuple[int | None, float]] = {}
        for q in questions:
            started = time.perf_counter()
            ranked = baseline.rank(q.text, question_language, k)
            elapsed = (time.perf_counter() - started) * 1000
            bm25[q.id] = (gold_of[q.id].first_rank([passages[i] for i in ranked]), elapsed)

        for system in systems:
            config = KnowledgeConfig(
                database_url=url,
                semantic=semantic,
                retrieval="fused" if system == "ranked" else system,
                abstain=system != "ranked",
            )
            outcomes: list[Outcome] = []
            with Archivist(config, embedder=embedder) as svc:
                for number, q in enumerate(questions, start=1):
                    gold_q = stored_by_id[q.id]
                    gold = gold_of[q.id]
                    started = time.perf_counter()
                    error = None
                    try:
                        answer = svc.ask(q.text, k=k)
                        excerpts = answer.excerpts[:k]
                        terms = answer.terms
                    except KnowledgeError as err:
                        excerpts, terms, error = (), (), str(err)
                    latency_ms = (time.perf_counter() - started) * 1000
                    outcome = Outcome(
                        id=q.id,
                        question=q.text,
                        gold=gold_q.answers,
                        passage_rank=gold.first_rank([e.passage for e in excerpts]),
                        quote_rank=gold.first_rank([e.quote for e in excerpts]),
                        bm25_rank=bm25[q.id][0],
                        found=bool(excerpts),
                        latency_ms=latency_ms,
                        bm25_ms=bm25[q.id][1],
                        terms=tuple(terms),
                        error=error,
                    )
                    if outcome.quote_rank is None:
                        outcome.top = [
                            {
                                "rank": rank,
                                "title": e.title,
                                "quote": e.quote,
                                "score": round(e.score, 4),
                                "passage_hit": gold.in_text(e.passage),
                                "matched_terms": list(e.matched_terms),
                            }
                            for rank, e in enumerate(excerpts[:3], start=1)
                        ]
                        extra[q.id] = {
                            "title": gold_q.title,
                            "gold_paragraph": stored.context(gold_q),
                        }
                        if question_language != passage_language:
                            extra[q.id]["question_in_passage_language"] = gold_q.text
                    outcomes.append(outcome)
                    if number % 400 == 0:
                        print(
                            f"  {name} {system}: {number}/{len(questions)} questions",
                            file=sys.stderr,
                        )
            runs[system] = SettingRun(
                name=name,
                articles=len(stored.articles),
                passages=len(passages),
                ingest_s=ingest_s,
                reachable=reachable / len(questions) if questions else 0.0,
                outcomes=outcomes,
            )
    return runs, extra


# ---------------------------------------------------------------- figures


def rank_metrics(ranks: Sequence[int | None], k: int) -> dict[str, float]:
    n = len(ranks) or 1
    metrics = {
        "@1": sum(1 for r in ranks if r is not None and r <= 1) / n,
        "@5": sum(1 for r in ranks if r is not None and r <= 5) / n,
        "mrr": sum(1 / r for r in ranks if r is not None and r <= k) / n,
    }
    if k != 5:
        metrics[f"@{k}"] = sum(1 for r in ranks if r is not None and r <= k) / n
    return metrics


def summarise(runs: dict[str, SettingRun], k: int) -> dict[str, dict[str, float]]:
    summary: dict[str, dict[str, float]] = {}
    for system, run in runs.items():
        o = run.outcomes
        n = len(o) or 1
        metrics = {
            f"passage{m}": v for m, v in rank_metrics([x.passage_rank for x in o], k).items()
        }
        metrics |= {f"quote{m}": v for m, v in rank_metrics([x.quote_rank for x in o], k).items()}
        metrics["answered"] = sum(x.found for x in o) / n
        metrics["p50_ms"] = xquad.percentile([x.latency_ms for x in o], 50)
        metrics["p95_ms"] = xquad.percentile([x.latency_ms for x in o], 95)
        summary[system] = metrics
    o = next(iter(runs.values())).outcomes
    bm25 = {f"passage{m}": v for m, v in rank_metrics([x.bm25_rank for x in o], k).items()}
    bm25["p50_ms"] = xquad.percentile([x.bm25_ms for x in o], 50)
    bm25["p95_ms"] = xquad.percentile([x.bm25_ms for x in o], 95)
    summary["bm25"] = bm25
    return summary


def table(summaries: dict[str, dict[str, dict[str, float]]], k: int) -> str:
    columns = [("P@1", "passage@1"), ("P@5", "passage@5")]
    if k != 5:
        columns.append((f"P@{k}", f"passage@{k}"))
    columns.append(("P-MRR", "passagemrr"))
    columns += [("Q@1", "quote@1"), ("Q@5", "quote@5")]
    if k != 5:
        columns.append((f"Q@{k}", f"quote@{k}"))
    columns += [("Q-MRR", "quotemrr"), ("answered", "answered"), ("p50ms", "p50_ms")]
    columns.append(("p95ms", "p95_ms"))

    header = f"{'setting':<8} {'system':<10} " + " ".join(f"{c:>8}" for c, _ in columns)
    lines = [header, "-" * len(header)]
    for name, systems in summaries.items():
        for system, metrics in systems.items():
            cells = []
            for _, key in columns:
                value = metrics.get(key)
                if value is None:
                    cells.append(f"{'-':>8}")
                elif key.endswith("_ms"):
                    cells.append(f"{value:>8.1f}")
                else:
                    cells.append(f"{value:>8.3f}")
            lines.append(f"{name:<8} {system:<10} " + " ".join(cells))
    return "\n".join(lines)


def check_targets(summaries: dict[str, dict[str, dict[str, float]]]) -> list[dict[str, object]]:
    checks: list[dict[str, object]] = []
    for setting, metric, minimum in TARGETS:
        if setting in summaries and "fused" in summaries[setting]:
            value = summaries[setting]["fused"][metric]
            checks.append(
                {
                    "target": f"{setting} {LABELS[metric]} >= {minimum}",
                    "value": round(value, 3),
                    "met": value >= minimum,
                }
            )
    for setting, systems in summaries.items():
        if "fused" in systems and "semantic" in systems:
            fused, alone = systems["fused"], systems["semantic"]
            keys = ("passage@1", "passage@5", "quote@5")
            checks.append(
                {
                    "target": f"{setting} fused ahead of semantic alone on P@1 / P@5 / Q@5 "
                    f"({' / '.join(f'{alone[m]:.3f}' for m in keys)})",
                    "value": " / ".join(f"{fused[m]:.3f}" for m in keys),
                    "met": all(fused[m] >= alone[m] for m in keys)
                    and any(fused[m] > alone[m] for m in keys),
                }
            )
        shipped = "fused" if "fused" in systems else next(iter(systems))
        # Ahead: no worse on recall@5 and MRR, better on at least one.
        ours, base = systems[shipped], systems["bm25"]
        pairs = [(ours[m], base[m]) for m in ("passage@5", "passagemrr")]
        checks.append(
            {
                "target": f"{setting} ahead of BM25 on passage recall@5 / MRR "
                f"({base['passage@5']:.3f} / {base['passagemrr']:.3f})",
                "value": f"{ours['passage@5']:.3f} / {ours['passagemrr']:.3f}",
                "met": all(o >= b for o, b in pairs) and any(o > b for o, b in pairs),
            }
        )
    return checks


def miss_records(run: SettingRun, extra: dict[str, dict[str, str]]) -> list[dict[str, object]]:
    """Questions whose answer is in none of the shown quotes."""
    records = []
    for o in run.outcomes:
        if o.quote_rank is not None:
            continue
        record: dict[str, object] = {
            "setting": run.name,
            "id": o.id,
            "question": o.question,
            "gold": list(o.gold),
            "kind": "passage" if o.passage_rank is None else "quote",
            "passage_rank": o.passage_rank,
            "bm25_rank": o.bm25_rank,
            "terms": list(o.terms),
            "error": o.error,
            "top": o.top,
        }
        record |= extra.get(o.id, {})
        records.append(record)
    return records


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=5, help="excerpts asked for (at least 5)")
    parser.add_argument(
        "--settings",
        default=DEFAULT_SETTINGS,
        help="comma-separated, from: " + ", ".join(SETTINGS) + " (or 'all')",
    )
    parser.add_argument(
        "--systems",
        default=",".join(SYSTEMS),
        help="comma-separated, from: " + ", ".join(SYSTEMS),
    )
    parser.add_argument("--limit", type=int, help="only the first N questions (quick runs)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument(
        "--misses",
        type=Path,
        help="write questions without a quote hit as JSON Lines "
        "('{setting}' in the name gives one file per setting)",
    )
    args = parser.parse_args(argv)
    if args.settings == "all":
        args.settings = ",".join(SETTINGS)
    args.settings = [s.strip() for s in args.settings.split(",") if s.strip()]
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    if any(s not in SYSTEMS for s in args.systems):
        parser.error(f"--systems: choose from {', '.join(SYSTEMS)}")
    unknown = [s for s in args.settings if s not in SETTINGS]
    if unknown:
        parser.error(f"unknown setting(s): {', '.join(unknown)}; choose from {', '.join(SETTINGS)}")
    if args.k < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--k and --limit must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    xquad.use_repo_checkout()
    k = max(args.k, 5)

    command = shlex.join(["python", *(sys.argv if argv is None else ["retrieval.py", *argv])])
    print(f"$ {command}")
    print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}   code: {xquad.describe_checkout()}")
    print(f"XQuAD, k={k}" + (f", first {args.limit} questions only" if args.limit else ""))

    from embeddings import cached_embedder

    embedder = cached_embedder()
    systems = args.systems
    if embedder is None:
        print("semantic search cannot run here: lexical only")
        systems = ["lexical"]
    runs: dict[str, SettingRun] = {}
    summaries: dict[str, dict[str, dict[str, float]]] = {}
    misses: dict[str, list[dict[str, object]]] = {}
    for name in args.settings:
        by_system, extra = run_setting(name, k, args.limit, systems, embedder)
        shipped = "fused" if "fused" in by_system else systems[-1]
        run = by_system[shipped]
        runs[name] = run
        summaries[name] = summarise(by_system, k)
        misses[name] = miss_records(run, extra)
        print(
            f"{name}: {run.articles} articles, {run.passages} passages stored and embedded in "
            f"{run.ingest_s:.1f} s; {len(run.outcomes)} questions; gold answer inside one "
            f"stored passage for {run.reachable:.3f} of them"
        )

    print()
    print(table(summaries, k))
    print()
    checks = check_targets(summaries)
    print("targets" + (" (on a subset: indicative only)" if args.limit else "") + ":")
    for check in checks:
        mark = "✓" if check["met"] else "✗"
        value = check["value"]
        print(f"  {mark} {check['target']}: {value if isinstance(value, str) else f'{value:.3f}'}")

    if args.misses:
        paths: dict[Path, list[dict[str, object]]] = {}
        for name, records in misses.items():
            path = Path(str(args.misses).replace("{setting}", name))
            paths.setdefault(path, []).extend(records)
        for path, records in paths.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as out:
                for record in records:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
            print(f"misses: {len(records)} questions written to {path}")

    if args.json:
        figures = {
            "k": k,
            "limit": args.limit,
            "settings": {
                name: {
                    "articles": run.articles,
                    "passages": run.passages,
                    "questions": len(run.outcomes),
                    "reachable": run.reachable,
                    "ingest_and_embed_s": run.ingest_s,
                    **summaries[name],
                }
                for name, run in runs.items()
            },
            "targets": checks,
            # Per question ranks, so two runs can be compared question by question.
            "outcomes": {
                name: [
                    {key: value for key, value in asdict(o).items() if key in OUTCOME_KEYS}
                    for o in run.outcomes
                ]
                for name, run in runs.items()
            },
        }
        xquad.write_report(args.json, command, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
