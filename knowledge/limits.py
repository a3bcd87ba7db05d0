"""What the service accepts from its callers: caps, the checks at its boundary,
and how a size limit reads in a message.

Faces (the bot, the command line) import the caps from here rather than
repeat them; this module is light (no database, no ranking), so a face can
check an input before it opens a store.
"""

from __future__ import annotations

import re

from knowledge.errors import InputError

#: Longest question looked at (and kept, when nothing answers it); the rest is
#: ignored, since its first terms count.
MAX_QUESTION_CHARS = 2000
#: Most excerpts in one answer: a Discord message holds no more fields.
MAX_EXCERPTS = 25
#: Most articles listed at once: one page of a listing, not a dump of the store.
MAX_LISTED = 200
#: Most gaps on one page of the gaps report.
MAX_GAPS = 25
#: The longest collection name (the column's width on PostgreSQL).
MAX_COLLECTION_CHARS = 100
#: The longest id a face gives (a user, an answer): the columns' width.
MAX_REF_CHARS = 100
#: Farthest a report looks back, in days: a century is "everything".
MAX_DAYS = 36_500

SURROGATE = re.compile("[\ud800-\udfff]")


def clean(value: str | None) -> str | None:
    """Text both databases store alike: NULs dropped, lone surrogates as U+FFFD.

    PostgreSQL refuses NUL where SQLite keeps it; no encoder takes a surrogate
    that is not half of a pair (from a careless caller, or a file name that is
    not UTF-8).
    """
    if value is None:
        return None
    return SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def collection_name(name: str) -> str:
    """A collection name as given, if it is one both databases can hold.

    Raises:
        InputError: empty, longer than :data:`MAX_COLLECTION_CHARS`, or holding
            control characters or lone surrogates.
    """
    if (
        not isinstance(name, str)
        or not name.strip()
        or len(name) > MAX_COLLECTION_CHARS
        or not name.isprintable()
        or SURROGATE.search(name)
    ):
        raise InputError(f"A collection name is 1 to {MAX_COLLECTION_CHARS} printable characters.")
    return name


def ref(value: str, what: str) -> str:
    """An id a face gives (a user, an answer): 1 to :data:`MAX_REF_CHARS` printable
    characters."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_REF_CHARS
        or not value.isprintable()
    ):
        raise InputError(f"A {what} is 1 to {MAX_REF_CHARS} printable characters.")
    return value


def days(value: int | None) -> int | None:
    """How far back a report looks: None (as far as is stored) or 1 to :data:`MAX_DAYS`."""
    if value is None:
        return None
    if not 1 <= value <= MAX_DAYS:
        raise InputError(f"Look back from 1 to {MAX_DAYS} days.")
    return value


def format_size(n: int) -> str:
    """A byte count for people: 5000000 -> "5 MB", 1500 -> "1.5 kB"."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"
