"""What members made of the answers: unanswered questions, votes, and title look-ups.

Data functions over an open session (the service opens it): record a question that
found nothing, record a vote, list the gaps (near-duplicate questions grouped with
rapidfuzz), list the helpful (question, passage) pairs, forget a person, and suggest
articles by title while someone types. Everything is bounded: stored questions are
cut to :data:`MAX_QUESTION_CHARS`, reports read at most :data:`MAX_ROWS` rows.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rapidfuzz import fuzz, process, utils
from sqlalchemy.orm import Session

from knowledge import store
from knowledge.limits import MAX_EXCERPTS, MAX_GAPS, MAX_QUESTION_CHARS
from knowledge.types import ArticleChoice, Forgotten, Gap, GapReport, HelpfulPair, VoteRecorded

#: Rows a report reads, newest first: older ones fall out of it.
MAX_ROWS = 5000
#: rapidfuzz token_sort_ratio from which two questions count as one: case, punctuation,
#: word order and a typo differ; "mayor of Varna" and "mayor of Constanța" do not merge.
SIMILAR = 88
#: Phrasings shown under a gap besides its own.
MAX_VARIANTS = 3
#: Titles looked through when suggesting articles.
MAX_TITLES = 5000
#: Suggestions offered at once: Discord's autocomplete shows no more.
MAX_CHOICES = 25
#: Characters of a typed title compared: a title is rarely longer.
MAX_TYPED = 200


def clean_question(question: str) -> str:
    """The question on one line, within :data:`MAX_QUESTION_CHARS`."""
    return " ".join(question.split())[:MAX_QUESTION_CHARS]


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=moment.tzinfo or UTC).isoformat(timespec="seconds")


def _since(days: int | None) -> datetime | None:
    return None if days is None else datetime.now(UTC) - timedelta(days=days)


# --- recording ------------------------------------------------------------------------


def record_question(session: Session, *, collection: str, user_id: str, question: str) -> None:
    store.add_question(session, collection, user_id, clean_question(question), datetime.now(UTC))


def record_vote(
    session: Session,
    *,
    answer_ref: str,
    collection: str,
    user_id: str,
    helpful: bool,
    question: str,
    excerpts: Sequence[tuple[int, int]],
) -> VoteRecorded:
    shown = [[int(a), int(p)] for a, p in list(excerpts)[:MAX_EXCERPTS]]
    replaced = store.put_vote(
        session,
        {
            "answer_ref": answer_ref,
            "collection": collection,
            "user_id": user_id,
            "helpful": helpful,
            "question": clean_question(question),
            "excerpts": json.dumps(shown),
            "voted_at": datetime.now(UTC),
        },
    )
    return VoteRecorded(helpful=helpful, replaced=replaced)


def forget(session: Session, user_id: str) -> Forgotten:
    questions, votes = store.forget_user(session, user_id)
    return Forgotten(questions=questions, votes=votes)


# --- gaps -----------------------------------------------------------------------------


@dataclass
class _Group:
    key: str
    phrasings: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    not_helpful: int = 0
    last: datetime | None = None

    def add(self, question: str, at: datetime, *, unanswered: bool) -> None:
        self.phrasings[question] += 1
        if unanswered:
            self.unanswered += 1
        else:
            self.not_helpful += 1
        at = at.replace(tzinfo=at.tzinfo or UTC)
        if self.last is None or at > self.last:
            self.last = at

    @property
    def count(self) -> int:
        return self.unanswered + self.not_helpful

    def gap(self) -> Gap:
        ordered = [q for q, _ in self.phrasings.most_common()]
        assert self.last is not None
        return Gap(
            question=ordered[0],
            count=self.count,
            unanswered=self.unanswered,
            not_helpful=self.not_helpful,
            last_asked=_iso(self.last),
            variants=tuple(ordered[1 : 1 + MAX_VARIANTS]),
        )


def _normal(question: str) -> str:
    return utils.default_process(question)


def group_questions(rows: Sequence[tuple[str, datetime, bool]]) -> list[Gap]:
    """Group (question, when, unanswered?) rows by near-duplicate question, most
    frequent first, then most recent."""
    by_form: dict[str, list[tuple[str, datetime, bool]]] = defaultdict(list)
    for question, at, unanswered in rows:
        by_form[_normal(question) or question.casefold()].append((question, at, unanswered))
    groups: list[_Group] = []
    keys: list[str] = []
    # The most asked phrasing founds its group, so rarer variants join it.
    for form in sorted(by_form, key=lambda f: (-len(by_form[f]), f)):
        found = process.extractOne(
            form, keys, scorer=fuzz.token_sort_ratio, processor=None, score_cutoff=SIMILAR
        )
        if found is None:
            group = _Group(form)
            groups.append(group)
            keys.append(form)
        else:
            group = groups[found[2]]
        for question, at, unanswered in by_form[form]:
            group.add(question, at, unanswered=unanswered)
    groups.sort(key=lambda g: (-g.count, -(g.last.timestamp() if g.last else 0), g.key))
    return [g.gap() for g in groups]


def gap_report(
    session: Session,
    collections: Sequence[str],
    *,
    days: int | None,
    limit: int,
    offset: int,
) -> GapReport:
    since = _since(days)
    rows: list[tuple[str, datetime, bool]] = [
        (q, at, True) for q, at in store.recent_questions(session, collections, since, MAX_ROWS)
    ]
    rows += [
        (v.question, v.voted_at, False)
        for v in store.recent_votes(session, collections, since, MAX_ROWS, helpful=False)
    ]
    gaps = group_questions(rows)
    limit = max(1, min(limit, MAX_GAPS))
    offset = max(0, offset)
    return GapReport(tuple(gaps[offset : offset + limit]), len(gaps), offset, days)


# --- helpful answers -------------------------------------------------------------------


def helpful_pairs(
    session: Session, collections: Sequence[str], *, days: int | None
) -> list[HelpfulPair]:
    """(question, passage) pairs from answers voted Helpful, most votes first."""
    votes = store.recent_votes(session, collections, _since(days), MAX_ROWS, helpful=True)
    counted: dict[tuple[str, str, int, int], list] = {}
    for vote in votes:
        for rank, (article_id, passage_id) in enumerate(json.loads(vote.excerpts or "[]"), 1):
            key = (vote.collection, vote.question, article_id, passage_id)
            entry = counted.setdefault(key, [0, rank, vote.voted_at])
            entry[0] += 1
            entry[1] = min(entry[1], rank)
            entry[2] = max(entry[2], vote.voted_at)
    pairs = [
        HelpfulPair(
            question=question,
            article_id=article_id,
            passage_id=passage_id,
            rank=rank,
            votes=n,
            collection=collection,
            last_voted=_iso(last),
        )
        for (collection, question, article_id, passage_id), (n, rank, last) in counted.items()
    ]
    pairs.sort(key=lambda p: (-p.votes, p.question, p.rank))
    return pairs


# --- finding an article by title -------------------------------------------------------

#: "#12 …" names an article by its number; so does a bare "12" (also searched as a title).
_HASH_ID = re.compile(r"#\s*(\d{1,16})\b")
_BARE_ID = re.compile(r"\d{1,16}")


def suggest_articles(
    session: Session, collections: Sequence[str], typed: str
) -> list[ArticleChoice]:
    """Articles whose title is like ``typed`` (rapidfuzz), best first; the newest when
    nothing is typed. A number typed first puts that article first."""
    rows = store.article_titles(session, collections, MAX_TITLES)
    typed = " ".join(typed.split())[:MAX_TYPED]
    if not typed:
        return [ArticleChoice(i, t, d) for i, t, d in rows[:MAX_CHOICES]]
    chosen: list[tuple[int, str, str | None]] = []
    hashed = _HASH_ID.match(typed)
    number = hashed or _BARE_ID.fullmatch(typed)
    if number is not None:
        wanted = int(number.group(1) if hashed else number.group(0))
        chosen += [r for r in rows if r[0] == wanted]
    if hashed is not None:
        typed = typed[hashed.end() :].strip()
    if typed:
        titles = {i: t for i, t, _ in rows}
        matches = process.extract(
            typed,
            titles,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=MAX_CHOICES,
            score_cutoff=60,
        )
        # Equal scores: the newer article first (rows are newest first).
        order = {i: n for n, (i, _, _) in enumerate(rows)}
        matches.sort(key=lambda m: (-m[1], order[m[2]]))
        by_id = {r[0]: r for r in rows}
        chosen += [by_id[m[2]] for m in matches]
    seen: set[int] = set()
    unique = []
    for row in chosen:
        if row[0] not in seen:
            seen.add(row[0])
            unique.append(ArticleChoice(*row))
    return unique[:MAX_CHOICES]
