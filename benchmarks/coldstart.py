"""Cold start: how long one ``archivist`` command takes from a fresh process.

Builds a store of 1,000 generated articles once (as ``speed.py`` generates
them: XQuAD sentences shuffled and perturbed, English and Romanian), gives
every passage a synthetic vector (seeded random unit vectors: embedding 10,000
passages for real would take an hour, and a cold ``ask`` reads vectors the
same whatever they hold), then times N fresh processes of ``archivist --help``
and ``archivist ask QUESTION`` with semantic search on (the default) and off.

    python benchmarks/coldstart.py [--runs 15] [--articles 1000] [--store PATH]

Each run is ``python -m archivist`` with this checkout first on PYTHONPATH.
Prints median and p95 wall time per command, and a digest of the answers so
two checkouts can be compared on the same ``--store``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import speed
import xquad

xquad.use_repo_checkout()

from knowledge import Archivist, KnowledgeConfig, database, vectorstore  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DIMENSIONS = 384
QUESTIONS = (
    "What is the name of the High Elf illusionist in Skyrim?",
    "In what year did Tesla die?",
    "Who designed the building?",
    "Ce a inaugurat Regina Elisabeta a II-a în Newcastle?",
    "How many soldiers were sent?",
)


class SyntheticEmbedder:
    """Seeded random unit vectors in place of the model's, for building the store."""

    def __init__(self, seed: int) -> None:
        import numpy as np

        self._rng = np.random.default_rng(seed)

    def passages(self, texts):
        import numpy as np

        vectors = self._rng.standard_normal((len(texts), DIMENSIONS)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def build(path: Path, articles: int, seed: int) -> None:
    from sqlalchemy.orm import sessionmaker

    from knowledge.backfill import embed_pending
    from knowledge.sentences import split_sentences

    url = f"sqlite:///{path}"
    started = time.perf_counter()
    rng = random.Random(seed)
    pools = speed.load_pools()
    # semantic "auto" records the model's name, so the vectors below count as its own.
    with Archivist(KnowledgeConfig(database_url=url, semantic="auto")) as archive:
        for n, (title, body) in enumerate(speed.generate(pools, rng)):
            if n == articles:
                break
            archive.ingest_text(body, title=title)
    engine = database.open_engine(url)
    sessions = sessionmaker(engine, expire_on_commit=False)
    embedder = SyntheticEmbedder(seed)
    while True:
        with sessions() as session:
            pending = vectorstore.pending_passages(session, 500, split_sentences)
        if not pending:
            break
        rows = embed_pending(embedder, pending)
        with sessions() as session, session.begin():
            vectorstore.add_vectors(session, rows)
    engine.dispose()
    print(f"built {path} ({articles} articles) in {time.perf_counter() - started:.0f} s")


def time_runs(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], str]:
    times, outputs = [], []
    for n in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "archivist", *argv], env=env, capture_output=True, text=True
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"archivist {' '.join(argv)} failed: {done.stderr.strip()}")
        if n == 0:
            outputs.append(done.stdout)
    return times, "".join(outputs)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="cold processes per command")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--store", type=Path, help="store file to reuse (built when missing)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    folder = tempfile.TemporaryDirectory(prefix="archivist-coldstart-")
    path = args.store or Path(folder.name) / "archive.db"
    if not path.exists():
        build(path, args.articles, args.seed)

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["DATABASE_URL"] = f"sqlite:///{path}"
    for key in ("ARCHIVIST_COLLECTION", "LOG_FILE"):
        env.pop(key, None)

    print(f"checkout {xquad.describe_checkout()}; {args.runs} cold runs each; seconds")
    print(f"{'command':<34} {'median':>7} {'p95':>7}")
    times, _ = time_runs(["--help"], env, args.runs)
    print(f"{'archivist --help':<34} {statistics.median(times):7.3f} {p95(times):7.3f}")
    answers = hashlib.sha256()
    for semantic in ("auto", "off"):
        env["ARCHIVIST_SEMANTIC"] = semantic
        times = []
        per_question = max(1, args.runs // len(QUESTIONS))
        for question in QUESTIONS:
            some, output = time_runs(["ask", question, "--json"], env, per_question)
            times += some
            answers.update(output.encode())
        label = f"archivist ask (semantic {'on' if semantic == 'auto' else 'off'})"
        print(f"{label:<34} {statistics.median(times):7.3f} {p95(times):7.3f}")
    print(f"answers digest {answers.hexdigest()[:16]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
