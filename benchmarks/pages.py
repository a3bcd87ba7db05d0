"""What a user gets from real web pages: extraction and answers.

Every page of a folder of saved HTML pages (by default the 82 real pages in
``../shared/data/pages`` next to this checkout) is ingested with
``archivist ingest``'s code path (``Archivist.ingest_path``) into a fresh
SQLite store, then the questions of ``benchmarks/data/pages_questions.jsonl``
are asked with ``svc.ask(question, k=5)``: with words alone (``lexical``), and,
where the model runs, with the passages embedded as ``archivist ingest``
embeds them (``fused``, what a user gets by default). Vectors are kept in
``benchmarks/.cache`` (see ``embeddings.py``), so only the first run embeds.

    python benchmarks/pages.py [--pages DIR] [--questions FILE] [--misses]
                               [--systems lexical,fused]

Prints extraction figures (pages stored, titles without a site suffix, dates
found) and retrieval figures (right article at rank 1 and within 5, expected
sentence fragment inside one of the 5 quotes, unanswerable questions refused).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from pathlib import Path

import xquad

xquad.use_repo_checkout()

from embeddings import cached_embedder  # noqa: E402

from knowledge import Archivist, KnowledgeConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PAGES = ROOT / ".." / "shared" / "data" / "pages"
DEFAULT_QUESTIONS = ROOT / "benchmarks" / "data" / "pages_questions.jsonl"

_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
_SEPARATOR = re.compile(r"\s+(?:\||–|—|-|•|·|»|::)\s+")
_SITE_NAME = re.compile(
    r"""<meta[^>]+(?:property|name)=["'](?:og:site_name|application-name)["'][^>]*>""", re.I
)
_CONTENT = re.compile(r"""content=["']([^"']+)["']""", re.I)
_DATE_ONLY = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_GENERIC = {"www", "com", "org", "net", "html", "blog", "blogspot", "wordpress", "info", "de"}


def _fold(text: str) -> str:
    return " ".join(_INVISIBLE.sub("", text).split()).casefold()


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def site_names(page: Path) -> set[str]:
    """What the site calls itself: ``og:site_name`` and the labels of the file's host name."""
    names = {label for label in page.stem.split(".") if label not in _GENERIC and len(label) >= 2}
    head = page.read_bytes()[:200_000].decode("utf-8", "replace")
    for tag in _SITE_NAME.findall(head):
        if content := _CONTENT.search(tag):
            names.add(_alnum(content.group(1)))
    return {name for name in names if name}


def has_site_suffix(title: str, names: set[str]) -> bool:
    """Whether a separator is followed by the site's name or a bare date ("… | DW | 19.01.2020")."""
    parts = _SEPARATOR.split(title)
    for segment in parts[1:]:
        seg = _alnum(segment)
        if _DATE_ONLY.match(segment.strip()):
            return True
        if seg and any(seg == n or (len(n) >= 3 and n in seg) for n in names):
            return True
    return False


def score(archive, answerable, unanswerable, article_of):
    """Right article at 1 and 5, expected fragment quoted, unanswerable refused."""
    at1 = at5 = quoted = refused_right = 0
    misses: list[str] = []
    for q in answerable:
        answer = archive.ask(q["question"], k=5)
        expected = article_of.get(q["page"])
        ids = [e.article_id for e in answer.excerpts]
        at1 += bool(ids) and ids[0] == expected
        hit5 = expected in ids
        at5 += hit5
        fragment = _fold(q["fragment"])
        in_quote = any(fragment in _fold(e.quote) for e in answer.excerpts)
        quoted += in_quote
        if not in_quote:
            misses.append(f"{'@5' if hit5 else '--'}  {q['question']}  ({q['page']})")
    for q in unanswerable:
        answer = archive.ask(q["question"], k=5)
        if not answer.excerpts:
            refused_right += 1
        else:
            misses.append(f"answered  {q['question']}  -> {answer.excerpts[0].title[:50]}")
    return at1, at5, quoted, refused_right, misses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=DEFAULT_PAGES, help="folder of .html pages")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--misses", action="store_true", help="list each question that missed")
    parser.add_argument(
        "--systems",
        type=lambda value: [v.strip() for v in value.split(",") if v.strip()],
        default=["lexical", "fused"],
        help="comma-separated: lexical, fused",
    )
    args = parser.parse_args()
    pages = sorted(args.pages.glob("*.html"))
    if not pages:
        print(f"no .html pages in {args.pages}", file=sys.stderr)
        return 1
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line]
    print(f"{xquad.describe_checkout()}; {len(pages)} pages in {args.pages.resolve()}")

    with tempfile.TemporaryDirectory() as tmp:
        config = KnowledgeConfig(database_url=f"sqlite:///{Path(tmp) / 'pages.db'}", semantic="off")
        with Archivist(config) as archive:
            article_of: dict[str, int] = {}
            refused: list[str] = []
            suffixed: list[str] = []
            dated = 0
            started = time.perf_counter()
            for page in pages:
                for outcome in archive.ingest_path(page):
                    if outcome.result is None:
                        refused.append(f"{page.name}: {outcome.error}")
                        continue
                    summary = outcome.result.article
                    article_of[page.name] = summary.id
                    dated += summary.date is not None
                    if has_site_suffix(summary.title, site_names(page)):
                        suffixed.append(f"{page.name}: {summary.title}")
            ingest_seconds = time.perf_counter() - started
            stored = len(article_of)
            print("\nextraction")
            print(f"  pages stored            {stored}/{len(pages)}  ({ingest_seconds:.1f} s)")
            print(f"  titles without suffix   {stored - len(suffixed)}/{stored}")
            print(f"  dates found             {dated}/{stored}")
            for line in refused:
                print(f"    refused  {line}")
            for line in suffixed:
                print(f"    suffix   {line}")

        answerable = [q for q in questions if q["page"]]
        unanswerable = [q for q in questions if not q["page"]]
        n, m = len(answerable), len(unanswerable)
        print(f"\nretrieval ({n} answerable questions, {m} not answerable)")
        print(
            f"  {'system':8} {'article @1':>11} {'article @5':>11} {'quote @5':>11} {'refused':>9}"
        )
        misses: dict[str, list[str]] = {}
        embedder = cached_embedder() if "fused" in args.systems else None
        for system in args.systems:
            if system == "fused" and embedder is None:
                print(f"  {system:8} (semantic search cannot run here)")
                continue
            settings = KnowledgeConfig(
                database_url=config.database_url,
                semantic="on" if system == "fused" else "off",
                retrieval=system,
            )
            with Archivist(settings, embedder=embedder if system == "fused" else None) as archive:
                while archive.embed_pending(256):
                    pass
                at1, at5, quoted, refused_right, missed = score(
                    archive, answerable, unanswerable, article_of
                )
            misses[system] = missed
            print(
                f"  {system:8} {at1:>5}/{n} {at1 / n:3.0%} {at5:>5}/{n} {at5 / n:3.0%}"
                f" {quoted:>5}/{n} {quoted / n:3.0%}"
                f" {refused_right:>3}/{m} {refused_right / m:3.0%}"
            )
        if args.misses:
            for system, lines in misses.items():
                for line in lines:
                    print(f"    {system} miss  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
