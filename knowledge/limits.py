"""The engine's fixed caps, which the faces (bot, command line) check against too,
and how a size limit reads in a message.

Each cap is enforced by the service; a face that validates its own arguments
imports the number from here rather than writing it again.
"""

from __future__ import annotations

#: Longest question looked at; the rest is ignored (its first terms count).
MAX_QUESTION_CHARS = 2000
#: Excerpts one answer page holds at most (and a vote remembers).
MAX_EXCERPTS = 25
#: Articles one page of a listing holds at most.
MAX_LIST = 200
#: Gaps one page of the gaps report holds at most.
MAX_GAPS = 25


def format_size(n: int) -> str:
    """A byte count for people: 5000000 -> "5 MB", 1500 -> "1.5 kB"."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"
