"""From an HTML page to a :class:`~knowledge.types.Document`: main text and metadata.

trafilatura finds the article body and drops navigation, adverts, comments and
footers; we then lay its blocks out as plain text, one block per paragraph
separated by blank lines, headings on lines of their own. Metadata: title,
author and date from trafilatura (the date from page metadata only, see
:data:`DATE_PARAMS`), language from the ``lang`` attribute, canonical URL from
``<link rel=canonical>`` or ``og:url``.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import trafilatura
from charset_normalizer import from_bytes

from knowledge.errors import EmptyDocument, TooLarge
from knowledge.types import Document

if TYPE_CHECKING:
    from lxml.html import HtmlElement

log = logging.getLogger(__name__)

#: htmldate's "extensive" search reads dates out of free text and falls back to
#: the copyright year ("© 2020" -> 2020-01-01); a wrong date is worse than none.
DATE_PARAMS = {"extensive_search": False, "original_date": True}
#: A list or table whose text is mostly links is navigation ("Related stories").
LINK_SHARE_LIMIT = 0.8
#: Where a ``<meta charset>`` must appear, per the HTML standard's prescan.
META_SCAN_BYTES = 4096
#: Elements a page may hold. Extraction costs time and memory per element, not
#: per byte: 4 MB of ``<p>x</p>`` took 45 s and ~1 GB, while a long news or
#: encyclopedia page holds a few thousand to a few tens of thousands.
MAX_ELEMENTS = 60_000
#: libxml2 stops building the tree at this depth and silently drops what lies
#: deeper (and everything after it): such a page is refused, not half read.
MAX_DEPTH = 255

_BLOCKS = frozenset({"p", "head", "list", "quote", "code", "table"})
_START_TAG = re.compile(r"<[A-Za-z]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_LANG = re.compile(r"^([A-Za-z]{2,3})(?:[-_].*)?$")
_SPACES = re.compile(r"[^\S\n]+")
_WHITESPACE = re.compile(r"\s+")
# Browsers read these labels as windows-1252 (WHATWG Encoding), and so do pages.
_WEB_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def html_to_document(
    html: str | bytes,
    *,
    url: str | None = None,
    charset: str | None = None,
    source_kind: str = "html",
    source_ref: str | None = None,
) -> Document:
    """Extract the readable article from an HTML page.

    Args:
        html: The page, as text or as bytes in any encoding.
        url: Where the page came from; resolves a relative canonical link.
        charset: The encoding the server declared, if any (bytes only).
        source_kind: Stored with the document ("html", "url", ...).
        source_ref: Stored with the document; also names the input in errors.

    Raises:
        EmptyDocument: the page has no readable main text.
    """
    name = source_ref or url or "the page"
    if isinstance(html, bytes):
        text = decode_html(html, charset)
    else:
        # Lone surrogates (from a careless caller) make lxml drop the rest of the page.
        text = html.encode("utf-8", errors="replace").decode("utf-8")
    elements = sum(1 for _ in _START_TAG.finditer(text))
    if elements > MAX_ELEMENTS:
        raise TooLarge(
            f"{name} has {elements:,} HTML elements, more than the {MAX_ELEMENTS:,} "
            "Archivist reads in one page"
        )
    tree = trafilatura.load_html(text) if text.strip() else None
    if tree is None:
        raise EmptyDocument(f"No readable text found in {name}")
    if _depth(tree) > MAX_DEPTH:
        raise TooLarge(
            f"{name} nests its HTML more than {MAX_DEPTH} elements deep; "
            "text that deep cannot be read"
        )
    language = _page_language(tree)
    canonical = _canonical_url(tree, url)
    # trafilatura prunes the tree it is given; metadata above is read first.
    extracted = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        favor_precision=True,
        include_comments=False,
        include_tables=True,
        include_links=True,  # only to measure how much of a block is links
        include_images=False,
        date_extraction_params=DATE_PARAMS,
    )
    body = getattr(extracted, "body", None)
    blocks = [unicodedata.normalize("NFC", b) for b in _blocks(body)] if body is not None else []
    if not blocks:
        raise EmptyDocument(f"No readable text found in {name}")
    title = unicodedata.normalize("NFC", _clean_line(extracted.title or "")) or None
    body_start = 0
    if title is not None and _same_words(blocks[0], title):
        # The page's own headline opens the text: keep it, but as a title line.
        body_start = len(blocks[0]) + 2 if len(blocks) > 1 else 0
    doc_text = "\n\n".join(blocks)
    if title is None:
        title = fallback_title(doc_text)
    log.debug("Extracted %d characters in %d blocks from %s", len(doc_text), len(blocks), name)
    return Document(
        text=doc_text,
        title=title,
        url=url,
        canonical_url=canonical,
        date=extracted.date or None,
        author=_clean_line(extracted.author or "") or None,
        language=language,
        source_kind=source_kind,
        source_ref=source_ref,
        body_start=body_start,
    )


def decode_html(data: bytes, charset: str | None = None) -> str:
    """Decode a page: byte-order mark, valid UTF-8, declared charset, ``<meta>``, detection.

    Valid UTF-8 wins over a declared charset because mislabelled UTF-8 pages are
    common while Latin text that happens to be valid UTF-8 is vanishingly rare.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    declared = codec_for(charset)
    if declared and declared.startswith(("utf-16", "utf-32")):
        return data.decode(declared, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    meta = _META_CHARSET.search(data[:META_SCAN_BYTES])
    candidates = [declared, codec_for(meta.group(1).decode("ascii")) if meta else None]
    for codec in candidates:
        if codec and codec != "utf-8":
            try:
                return data.decode(codec)
            except (UnicodeError, LookupError):
                continue
    guess = from_bytes(data[: 256 * 1024]).best()
    codec = codec_for(guess.encoding) if guess is not None else None
    return data.decode(codec or "cp1252", errors="replace")


def _depth(tree: HtmlElement) -> int:
    """How deep the tree's elements are nested (the root is 1)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


def fallback_title(text: str, limit: int = 80) -> str:
    """The opening words of ``text``, cut at a word boundary, with an ellipsis."""
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:-–—") + "…"


def _blocks(body: HtmlElement) -> list[str]:
    """The extracted tree as text blocks, dropping blocks that are mostly links."""
    children = [child for child in body if isinstance(child.tag, str)]
    if not any(child.tag in _BLOCKS for child in children):
        children = [body]  # text straight in a container (baseline extraction)
    blocks = []
    for child in children:
        try:
            text = _block_text(child)
        except RecursionError:  # absurdly nested markup: keep the words, lose the layout
            text = _clean_line(" ".join(child.itertext()))
        if not text:
            continue
        if _link_share(child) >= LINK_SHARE_LIMIT:
            log.debug("Dropping a link block: %.60r", text)
            continue
        blocks.append(text)
    return blocks


def _block_text(element: HtmlElement) -> str:
    """One block's text: ``<lb>``, list items and table rows start lines; other whitespace
    (source line wraps included) is one space."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.tag == "lb":
            parts.append("\n")
        elif node.tag == "item":
            parts.append("\n- ")
        elif node.tag in ("row", "p", "head", "quote", "list") and node is not element:
            parts.append("\n")
        elif node.tag == "cell" and node.getprevious() is not None:
            parts.append(" | ")
        if node.text:
            parts.append(_WHITESPACE.sub(" ", node.text))
        for child in node:
            if isinstance(child.tag, str):
                walk(child)
            if child.tail:
                parts.append(_WHITESPACE.sub(" ", child.tail))

    walk(element)
    lines = (_clean_line(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line and line != "-")


def _link_share(element: HtmlElement) -> float:
    total = len("".join(element.itertext()).split())
    if not total:
        return 0.0
    linked = sum(len("".join(ref.itertext()).split()) for ref in element.iter("ref"))
    return linked / total


def _clean_line(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def _same_words(block: str, title: str) -> bool:
    return block.casefold().split() == title.casefold().split()


def _page_language(tree: HtmlElement) -> str | None:
    """ISO 639 code the page declares for itself, if it does."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("http-equiv") or meta.get("property") or meta.get("name") or "").lower()
        if key in ("content-language", "og:locale", "language"):
            candidates.append(meta.get("content"))
    for value in candidates:
        match = _LANG.match((value or "").strip())
        if match:
            return match.group(1).lower()
    return None


def _canonical_url(tree: HtmlElement, url: str | None) -> str | None:
    """``<link rel=canonical>`` or ``og:url``, made absolute; only http(s)."""
    hrefs = [
        link.get("href")
        for link in tree.iterfind(".//link")
        if "canonical" in (link.get("rel") or "").lower().split()
    ]
    hrefs += [
        meta.get("content")
        for meta in tree.iterfind(".//meta")
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url"
    ]
    for href in hrefs:
        href = (href or "").strip()
        if not href:
            continue
        absolute = urljoin(url, href) if url else href
        parts = urlsplit(absolute)
        if parts.scheme in ("http", "https") and parts.netloc:
            return absolute
    return None


#: Python text codecs that are not character encodings a document can be written in.
_NOT_ENCODINGS = frozenset(
    {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7"}
)


def codec_for(label: str | None) -> str | None:
    """Python's name for an encoding label (web aliases applied), or None if unknown.

    Only character encodings count: a page declaring ``rot13``, ``base64`` or
    ``zlib`` (codecs Python knows, but not encodings) is read as if it declared
    nothing, and so is a label that is not a name at all.
    """
    if not label:
        return None
    label = label.strip().lower()
    label = _WEB_ALIASES.get(label, label)
    if not label.isprintable() or not label.isascii():
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # rot13, base64, hex, zlib, bz2, uu, quopri: bytes-to-bytes or str-to-str.
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_ENCODINGS:
        return None
    return info.name
