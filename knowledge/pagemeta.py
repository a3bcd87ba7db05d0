"""What a page says about itself: JSON-LD, ``<meta>`` tags, and its title without the site.

Read from the parsed page before trafilatura prunes it. Publishers describe
the article in JSON-LD (``NewsArticle``: ``headline``, ``datePublished``,
``articleBody``) and in ``<meta>`` tags (``article:published_time``,
``og:site_name``); those speak for the article itself, unlike dates found in
the page's text, which may belong to a teaser for another story.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from knowledge.dates import MONTH_FORMS

if TYPE_CHECKING:
    from lxml.html import HtmlElement

#: A JSON-LD block larger than this is not parsed (a data dump, not a description).
MAX_JSON_LD_CHARS = 2_000_000
_MAX_DEPTH = 20

#: ``<meta>`` names and properties holding the publication date, best first.
_PUBLISHED_META = (
    "article:published_time",
    "og:published_time",
    "datepublished",
    "dc.date.issued",
    "dcterms.issued",
    "dc.date",
    "date",
    "pubdate",
    "publishdate",
    "publish-date",
    "sailthru.date",
)
_ISO_START = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_BREAK_TAGS = re.compile(r"(?i)<br\s*/?>|</p\s*>|</h[1-6]\s*>|</li\s*>")
_TAGS = re.compile(r"<[^>]*>")
_SEPARATOR = re.compile(r"\s+(?:\||–|—|-|•|·|»|::|/)\s+")
_DATE_LIKE = re.compile(r"^\d{1,4}[./-]\d{1,2}[./-]\d{1,4}$")
_GENERIC_LABELS = frozenset(
    "www m mobile blog blogs com org net de at ch eu info co uk fr html news".split()
)
#: A "| Suffix" of at most this many words is page furniture, whatever it says.
_MAX_SUFFIX_WORDS = 4


def json_ld(tree: HtmlElement) -> list[dict]:
    """Every JSON-LD object of the page (``@graph`` members and nested objects too)."""
    found: list[dict] = []
    for script in tree.iterfind(".//script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        raw = (script.text or "").strip()
        if not raw or len(raw) > MAX_JSON_LD_CHARS:
            continue
        try:
            data = json.loads(raw, strict=False)
        except (ValueError, RecursionError):
            continue
        found.extend(_objects(data))
    return found


def _objects(data: object) -> Iterator[dict]:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > _MAX_DEPTH:
            continue
        if isinstance(value, dict):
            yield value
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, dict | list))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in reversed(value) if isinstance(v, dict | list))


def _types(obj: dict) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower() for k in kinds if isinstance(k, str)}


def _is_article(obj: dict) -> bool:
    return (
        any(
            k.endswith(("article", "posting", "report"))
            or k in {"review", "webpage", "creativework"}
            for k in _types(obj)
        )
        or "articleBody" in obj
    )


def structured_body(objects: list[dict]) -> list[str]:
    """The longest JSON-LD ``articleBody``, as paragraphs (empty if there is none)."""
    best = ""
    for obj in objects:
        body = obj.get("articleBody")
        if isinstance(body, str) and len(body) > len(best):
            best = body
    if not best.strip():
        return []
    if "<" in best and ">" in best:  # some sites put the body's HTML in the JSON
        best = html.unescape(_TAGS.sub("", _BREAK_TAGS.sub("\n", best)))
    paragraphs = (" ".join(line.split()) for line in best.split("\n"))
    return [p for p in paragraphs if p]


def published_date(tree: HtmlElement, objects: list[dict]) -> str | None:
    """The article's publication date (``YYYY-MM-DD``) as the page declares it, or None.

    JSON-LD ``datePublished`` of the article, then publication ``<meta>`` tags,
    then ``<time itemprop=datePublished>``. Modification dates are not read.
    """
    for obj in objects:
        if _is_article(obj) and (day := _iso_day(obj.get("datePublished"))):
            return day
    metas: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key in _PUBLISHED_META and key not in metas:
            metas[key] = meta.get("content") or ""
    for key in _PUBLISHED_META:
        if day := _iso_day(metas.get(key)):
            return day
    for element in tree.xpath('//*[@itemprop="datePublished"]'):
        if day := _iso_day(element.get("datetime") or element.get("content")):
            return day
    return None


def _iso_day(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    match = _ISO_START.match(value)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    return _valid(year, month, day)


def site_names(tree: HtmlElement, objects: list[dict], urls: list[str | None]) -> set[str]:
    """How the site names itself (folded to letters and digits): og:site_name, the
    publisher in JSON-LD, and the labels of its host name."""
    names: set[str] = set()
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key in ("og:site_name", "application-name", "twitter:site"):
            names.add(_key(meta.get("content") or ""))
    for obj in objects:
        named = isinstance(obj.get("name"), str)
        if named and _types(obj) & {"website", "organization", "newsmediaorganization"}:
            names.add(_key(obj["name"]))
        publisher = obj.get("publisher")
        if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
            names.add(_key(publisher["name"]))
    for url in urls:
        try:
            host = urlsplit(url or "").hostname or ""
        except ValueError:
            continue
        labels = [label for label in host.split(".") if label not in _GENERIC_LABELS]
        names.update(_key(label) for label in labels)
        names.add(_key(host.removeprefix("www.")))
    return {name for name in names if name}


def headline(objects: list[dict]) -> str | None:
    """The article's ``headline`` from JSON-LD, if it gives one."""
    for obj in objects:
        if _is_article(obj) and isinstance(obj.get("headline"), str):
            text = " ".join(obj["headline"].split())
            if text:
                return text
    return None


def strip_site(title: str, names: set[str], headlines: list[str]) -> str:
    """``title`` without the site's name or a date around it.

    "Uncork the mystery | DW | 10.06.2013" -> "Uncork the mystery", "Über uns |
    fairkom" -> "Über uns", "SimplyScience - Wie entsteht Erdöl?" -> "Wie
    entsteht Erdöl?". A headline the page also gives (``<h1>``, JSON-LD) that
    opens the title settles it.
    """
    for candidate in headlines:
        rest = title[len(candidate) :] if title.startswith(candidate) else None
        if candidate and rest and _SEPARATOR.match(rest):
            return candidate
    parts = _SEPARATOR.split(title)
    separators = _SEPARATOR.findall(title)
    if len(parts) < 2:
        return title
    # Trailing segments that name the site or are a date; "| Anything short" too.
    while len(parts) > 1:
        last = parts[-1].strip()
        pipe = separators[len(parts) - 2].strip() == "|"
        short = len(last.split()) <= _MAX_SUFFIX_WORDS and len(parts[0].split()) >= 2
        if _DATE_LIKE.match(last) or _names_site(last, names) or (pipe and short):
            parts.pop()
        else:
            break
    while len(parts) > 1 and _names_site(parts[0], names):
        parts.pop(0)
        separators.pop(0)
    if len(parts) == 1:
        return parts[0].strip()
    # Rebuild with the separators that stood between the kept segments.
    start = title.index(parts[0])
    end = title.rindex(parts[-1]) + len(parts[-1])
    return title[start:end].strip()


def _names_site(segment: str, names: set[str]) -> bool:
    key = _key(segment)
    if not key:
        return False
    for name in names:
        # "CNET.de" and "cnet", "Skateboard MSM" and "skateboardmsm".
        similar = len(name) >= 3 and len(key) >= 3 and (name in key or key in name)
        if (key == name or similar) and len(segment.split()) <= 6:
            return True
    return False


def _key(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def title_date(title: str) -> str | None:
    """A date standing as a segment of the title ("… | DW | 10.06.2013"), as ``YYYY-MM-DD``."""
    for segment in _SEPARATOR.split(title)[1:]:
        match = _NUMERIC_DMY.fullmatch(segment.strip())
        if match:
            return _valid(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        if day := _iso_day(segment):
            return day
    return None


_NUMERIC_DMY = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")
_NUMERIC_ANY = re.compile(r"(\d{1,4})[./-]\s?(\d{1,2})[./-]\s?(\d{1,4})")
_WORD_DATE = re.compile(
    r"(?:(\d{1,2})\.?\s+([^\W\d_]{3,10})\.?,?\s+(\d{4}))"
    r"|(?:([^\W\d_]{3,10})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4}))"
)


def date_in_text(iso: str, text: str) -> bool:
    """Whether the date ``iso`` (``YYYY-MM-DD``) is written somewhere in ``text``."""
    year, month, day = (int(part) for part in iso.split("-"))
    for match in _NUMERIC_ANY.finditer(text):
        a, b, c = (int(g) for g in match.groups())
        if (a, b, c) in ((year, month, day), (day, month, year), (month, day, year)):
            return True
    for match in _WORD_DATE.finditer(text):
        d, name, y = (match.group(1), match.group(2), match.group(3))
        if d is None:
            name, d, y = match.group(4), match.group(5), match.group(6)
        if int(y) == year and int(d) == day and name.casefold().startswith(MONTH_FORMS[month - 1]):
            return True
    return False


def _valid(year: int, month: int, day: int) -> str | None:
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


#: Words of class names and ids that mark boxes about other stories.
_TEASER_WORDS = ("related", "teaser", "recommend", "sidebar", "popular", "trending", "promo")
_TEASER_TAGS = frozenset({"aside", "nav"})
_CLASS_WORDS = re.compile(r"[\s_-]+")


def only_in_teasers(tree: HtmlElement, iso: str) -> bool:
    """Whether the date ``iso`` shows on the page only in teasers for other stories.

    A date written in "related", "more", "teaser" or sidebar boxes belongs to
    the story linked there. False when the date is shown anywhere else, or nowhere.
    """
    seen_in_teaser = False
    for element in tree.iter():
        if not isinstance(element.tag, str) or element.tag in ("script", "style"):
            continue
        values = (element.text, element.get("datetime"), element.get("content"))
        if not any(value and date_in_text(iso, value) for value in values):
            continue
        if not _in_teaser(element):
            return False
        seen_in_teaser = True
    return seen_in_teaser


def _in_teaser(element: HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if node.tag in _TEASER_TAGS:
            return True
        if node.tag in ("article", "main"):  # its classes list the post's tags
            return False
        marks = f"{node.get('class') or ''} {node.get('id') or ''}".casefold()
        for word in _CLASS_WORDS.split(marks):
            if word.startswith(_TEASER_WORDS) or word in ("more", "latest"):
                return True
    return False
