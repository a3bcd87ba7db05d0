"""Links inside a passage: URLs, and tweet credits ``— Name (@handle) date``.

A quote links to what it quotes: a ``pic.twitter.com`` picture, a page named in
the text, the account an embedded tweet credits.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from knowledge.types import Link

#: Links kept per passage; a link farm should not flood an excerpt.
MAX_LINKS = 20

_URL_CHARS = r"[\w\-.~:/?#\[\]@!$&()*+,;=%]"
URL = re.compile(
    rf"(?<![\w@])(?:https?://|www\.){_URL_CHARS}{{1,2000}}"
    rf"|(?<![\w@./-])(?:pic\.twitter\.com|t\.co|youtu\.be|x\.com|twitter\.com)/{_URL_CHARS}{{1,2000}}",
    re.IGNORECASE,
)
URL_START = re.compile(
    r"(?:https?://|www\.|pic\.twitter\.com/|t\.co/|youtu\.be/|x\.com/|twitter\.com/)", re.I
)
_URL_TRAILING = ".,;:!?'\"”’»…*"
# "July 12, 2025" or "12 iulie 2025"
_DATE = (
    r"(?:[A-Z][a-z]{2,8}\.?[^\S\n]+\d{1,2},?[^\S\n]+\d{4}"
    r"|\d{1,2}[^\S\n]+[^\W\d_]{3,9}\.?[^\S\n]+\d{4})"
)
# "— Display Name (@handle) July 12, 2025", as embedded tweets are pasted.
ATTRIBUTION = re.compile(
    r"(?<!\S)[—–-]{1,2}[^\S\n]*[^()\n—–]{1,80}?[^\S\n]*\(@(?P<handle>[A-Za-z0-9_]{1,15})\)"
    rf"(?P<date>[^\S\n]*{_DATE})?"
)
HANDLE = re.compile(r"@[A-Za-z0-9_]{1,15}")


def find_links(text: str, start: int = 0, end: int | None = None) -> tuple[Link, ...]:
    """URLs and tweet credits inside ``text[start:end]``, in order, deduplicated.

    Bare ``pic.twitter.com/…``, ``t.co/…``, ``youtu.be/…`` and ``x.com/…`` links
    and ``www.`` hosts get ``https://``. A credit ``— Name (@handle) July 12, 2025``
    becomes an ``attribution`` link to ``https://x.com/handle``.
    """
    end = len(text) if end is None else min(max(end, 0), len(text))
    start = min(max(start, 0), end)
    found: list[tuple[int, Link]] = []
    for match in URL.finditer(text, start, end):
        url = _clean_url(match.group())
        if url:
            found.append((match.start(), Link(url=url, label=_url_label(url), kind="quoted")))
        if len(found) > MAX_LINKS * 2:
            break
    for match in ATTRIBUTION.finditer(text, start, end):
        handle = match.group("handle")
        link = Link(url=f"https://x.com/{handle}", label=f"@{handle}", kind="attribution")
        found.append((match.start(), link))
        if len(found) > MAX_LINKS * 4:
            break
    found.sort(key=lambda item: item[0])
    links: dict[str, Link] = {}
    for _, link in found:
        links.setdefault(link.url, link)
        if len(links) >= MAX_LINKS:
            break
    return tuple(links.values())


def _clean_url(raw: str) -> str | None:
    """Strip trailing punctuation and unbalanced brackets; add a scheme if missing."""
    url = raw
    while url and (
        url[-1] in _URL_TRAILING
        or (url[-1] == ")" and url.count(")") > url.count("("))
        or (url[-1] == "]" and url.count("]") > url.count("["))
    ):
        url = url[:-1]
    if not url.lower().startswith(("http://", "https://")):
        url = "https://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    if "." not in host.strip("."):
        return None
    return url


def _url_label(url: str) -> str:
    """``host/path`` without scheme or ``www.``, at most 60 characters."""
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    label = host + parts.path.rstrip("/")
    if parts.query:
        label += "?" + parts.query
    return label if len(label) <= 60 else label[:59] + "…"
