"""The bundled XQuAD files, read into plain values for the benchmarks.

XQuAD (github.com/deepmind/xquad, DeepMind, Artetxe et al. 2019, CC BY-SA 4.0)
ships one SQuAD v1.1 JSON file per language; the files are parallel: same
titles, same paragraph order, same question ids.

Also what every benchmark script needs besides: how to import the engine from
the checkout without installing, which commit the figures belong to, and how
latencies are summed up.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(__file__).resolve().parent / "data" / "xquad"
#: The other XQuAD languages, read from the shared data beside the checkout.
SHARED_DIR = ROOT.parent / "shared" / "data" / "xquad"
LANGUAGES = ("en", "ro")
OTHER_LANGUAGES = ("ru", "tr", "vi", "el", "zh", "ar", "hi", "th")


def use_repo_checkout() -> None:
    """Make ``import knowledge`` find this checkout when it is not installed."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def describe_checkout() -> str:
    """The commit the engine is at, and whether knowledge/ has changes beyond it."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "knowledge"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" + uncommitted changes in knowledge/" if dirty else "")


@dataclass(frozen=True)
class Article:
    """One Wikipedia title: its paragraphs, in order."""

    title: str  # as in the file, with underscores
    paragraphs: tuple[str, ...]

    @property
    def display_title(self) -> str:
        return self.title.replace("_", " ")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]  # every gold answer text, deduplicated, in file order
    title: str  # the article it was asked about
    paragraph: int  # index of its paragraph within that article


@dataclass(frozen=True)
class XQuAD:
    language: str
    articles: tuple[Article, ...]
    questions: tuple[Question, ...]

    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def context(self, question: Question) -> str:
        """The paragraph a question was asked about."""
        for article in self.articles:
            if article.title == question.title:
                return article.paragraphs[question.paragraph]
        raise KeyError(question.title)


def load(language: str, data_dir: Path | None = None) -> XQuAD:
    """Read ``xquad.<language>.json``: English and Romanian from the bundled
    data, the other languages from ``../shared/data/xquad``."""
    if data_dir is None:
        data_dir = DATA_DIR if language in LANGUAGES else SHARED_DIR
    path = data_dir / f"xquad.{language}.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    articles: list[Article] = []
    questions: list[Question] = []
    for entry in raw["data"]:
        title = entry["title"]
        paragraphs = []
        for index, paragraph in enumerate(entry["paragraphs"]):
            paragraphs.append(paragraph["context"])
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(Question(qa["id"], qa["question"], answers, title, index))
        articles.append(Article(title, tuple(paragraphs)))
    return XQuAD(language, tuple(articles), tuple(questions))


def percentile(values: Sequence[float], p: float) -> float:
    """Linear-interpolated percentile, ``p`` in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def write_report(path: Path, command: str, figures: dict) -> None:
    """The figures as JSON at ``path``, with the command, the time and the checkout."""
    from datetime import UTC, datetime

    report = {
        "command": command,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": describe_checkout(),
        **figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"figures written to {path}")
