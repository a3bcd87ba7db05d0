"""From an HTML page to a :class:`~knowledge.types.Document`: main text and metadata.

trafilatura finds the article body and drops navigation, adverts, comments and
footers; we then lay its blocks out as plain text, one block per paragraph
separated by blank lines, headings on lines of their own. Twitter embeds become
"text — Name (@handle) date <status URL>" so their links survive. When the
page's JSON-LD ``articleBody`` is far richer than what the markup gave, it is
the text; when all that remains is a caption-sized scrap, the page is refused.

Metadata (see :mod:`knowledge.pagemeta`): title from trafilatura without the
site's name or a date around it; the published date the page declares, else a
date in its title, else htmldate's guess unless only a teaser shows it; author
from trafilatura; canonical URL from ``<link rel=canonical>`` or ``og:url``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import trafilatura

from knowledge import pagemeta
from knowledge.decode import decode_text
from knowledge.errors import EmptyDocument, TooLarge, UnsupportedContent
from knowledge.types import Document

if TYPE_CHECKING:
    from lxml.html import HtmlElement

log = logging.getLogger(__name__)

#: htmldate's "extensive" search reads dates out of free text and falls back to
#: the copyright year ("© 2020" -> 2020-01-01); a wrong date is worse than none.
DATE_PARAMS = {"extensive_search": False, "original_date": True}
#: A list or table whose text is mostly links is navigation ("Related stories").
LINK_SHARE_LIMIT = 0.8
#: Elements a page may hold. Extraction costs time and memory per element, not
#: per byte: 4 MB of ``<p>x</p>`` took 45 s and ~1 GB, while a long news or
#: encyclopedia page holds a few thousand to a few tens of thousands.
MAX_ELEMENTS = 60_000
#: libxml2 stops building the tree at this depth and silently drops what lies
#: deeper (and everything after it): such a page is refused, not half read.
MAX_DEPTH = 255
#: A JSON-LD ``articleBody`` replaces the extracted text when it has at least
#: twice its words, and at least this many.
MIN_STRUCTURED_WORDS = 40
#: Extracted text this short (in words), on a page with :data:`STUB_RATIO`
#: times more words, is a caption or a teaser, not the article.
STUB_WORDS = 30
STUB_RATIO = 8
#: Longer text is never taken for a heading, whatever its markup.
MAX_HEADING_TEXT = 200

#: An image credit: text holding one is a caption.
_CREDIT = re.compile(r"(?i)(?:\b(?:photos?|fotos?|bild|image|picture|credits?)\s*:|©|\(c\)\s)")
_IMAGE_LINK = re.compile(r"(?i)\.(?:jpe?g|png|gif|webp|avif)(?:[?#]|$)")
_BLOCKS = frozenset({"p", "head", "list", "quote", "code", "table"})
_START_TAG = re.compile(r"<[A-Za-z]")
_SPACES = re.compile(r"[^\S\n]+")
_WHITESPACE = re.compile(r"\s+")


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
        try:
            text = decode_text(html, declared_charset=charset, name="the page", html=True)
        except UnsupportedContent:
            raise EmptyDocument(f"No readable text found in {name}") from None
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
    canonical = _canonical_url(tree, url)
    objects = pagemeta.json_ld(tree)
    structured = pagemeta.structured_body(objects)
    published = pagemeta.published_date(tree, objects)
    site_names = pagemeta.site_names(tree, objects, [url, canonical])
    headlines = _headlines(tree, objects)
    page_words = _visible_words(tree)
    heading_texts = _heading_texts(tree)
    _rewrite_tweets(tree)
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
    blocks = _blocks(body, heading_texts) if body is not None else []
    titles = [*headlines, getattr(extracted, "title", None) or ""]
    opened_by_title = bool(blocks) and any(_same_words(blocks[0], t) for t in titles)
    words = sum(len(block.split()) for block in blocks[1 if opened_by_title else 0 :])
    if structured and len(" ".join(structured).split()) >= max(2 * words, MIN_STRUCTURED_WORDS):
        # The page's own JSON-LD holds far more of the article than the markup
        # showed (a script renders the body, or the extractor kept a caption).
        log.debug("Using the JSON-LD articleBody of %s instead of %d words", name, words)
        blocks = structured
    elif (
        blocks
        and words < STUB_WORDS
        and (page_words >= STUB_RATIO * words or _CREDIT.search(" ".join(blocks[-1:])))
    ):
        snippet = fallback_title(" ".join(blocks[1 if opened_by_title else 0 :]), limit=60)
        raise EmptyDocument(
            f"No article text found in {name}: only “{snippet}” ({words} words) was "
            f"readable out of {page_words:,} words on the page; save the article's text "
            "and ingest that instead"
        )
    blocks = [_Block(unicodedata.normalize("NFC", b), getattr(b, "heading", False)) for b in blocks]
    if not blocks:
        raise EmptyDocument(f"No readable text found in {name}")
    if extracted is None:  # no body in the markup, only the JSON-LD one
        extracted = trafilatura.extract_metadata(text, default_url=url, date_config=DATE_PARAMS)
    raw_title = _clean_line(extracted.title or "")
    title = unicodedata.normalize("NFC", pagemeta.strip_site(raw_title, site_names, headlines))
    title = title or None
    body_start = 0
    if title is not None and _same_words(blocks[0], title):
        # The page's own headline opens the text: keep it, but as a title line.
        body_start = len(blocks[0]) + 2 if len(blocks) > 1 else 0
    doc_text = "\n\n".join(blocks)
    heading_starts, offset = set(), 0
    for block in blocks:
        if block.heading:
            heading_starts.add(offset)
        offset += len(block) + 2
    if title is None:
        title = fallback_title(doc_text)
    date = published or pagemeta.title_date(raw_title)
    if date is None and extracted.date:
        # htmldate reads dates anywhere in the page, teasers for other stories
        # included; the tree it saw is pruned, so look at the page again.
        if pagemeta.only_in_teasers(trafilatura.load_html(text), extracted.date[:10]):
            log.debug("Not taking %s from %s: a teaser's date", extracted.date, name)
        else:
            date = extracted.date
    log.debug("Extracted %d characters in %d blocks from %s", len(doc_text), len(blocks), name)
    return Document(
        text=doc_text,
        title=title,
        url=url,
        canonical_url=canonical,
        date=date,
        author=_clean_line(extracted.author or "") or None,
        source_kind=source_kind,
        source_ref=source_ref,
        body_start=body_start,
        heading_starts=frozenset(heading_starts),
    )


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


def _blocks(body: HtmlElement, heading_texts: frozenset[str] = frozenset()) -> list[_Block]:
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
        heading = child.tag == "head" or _clean_line(" ".join(text.split())) in heading_texts
        blocks.append(_Block(text, heading))
    return blocks


class _Block(str):
    """A block's text, knowing whether its markup may make it a heading."""

    heading: bool

    def __new__(cls, text: str, heading: bool = False) -> _Block:
        block = super().__new__(cls, text)
        block.heading = heading
        return block


def _heading_texts(tree: HtmlElement) -> frozenset[str]:
    """Texts the page marks as headings: ``<h1>``-``<h6>``, and bold runs.

    Read before trafilatura, which turns bold subheads into plain paragraphs;
    a bold run counts only where it makes a whole block of its own.
    """
    found = set()
    for element in tree.iter("h1", "h2", "h3", "h4", "h5", "h6", "b", "strong"):
        text = " ".join(element.text_content().split())
        if text and len(text) <= MAX_HEADING_TEXT:
            found.add(text)
    return frozenset(found)


def _block_text(element: HtmlElement) -> str:
    """One block's text: ``<lb>``, list items and table rows start lines; other whitespace
    (source line wraps included) is one space."""
    parts: list[str] = []

    def walk(node: HtmlElement) -> None:
        if node.tag == "lb":
            parts.append("\n")
        elif node.tag == "item":
            parts.append("\n- ")
        elif node.tag == "row" and node is not element:
            parts.append("\n")
        elif node.tag in ("p", "head", "quote", "list") and node is not element:
            # Paragraphs inside a table cell stay on the row's line.
            parts.append(" " if _in_cell(node, element) else "\n")
        elif node.tag == "cell" and _has_text_before(node):
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


def _in_cell(node: HtmlElement, top: HtmlElement) -> bool:
    for ancestor in node.iterancestors():
        if ancestor.tag == "cell":
            return True
        if ancestor is top:
            return False
    return False


def _has_text_before(cell: HtmlElement) -> bool:
    """Whether a cell before this one in its row has text (no "|" after empty cells)."""
    return any("".join(c.itertext()).strip() for c in cell.itersiblings(preceding=True))


def _link_share(element: HtmlElement) -> float:
    total = len("".join(element.itertext()).split())
    if not total:
        return 0.0
    linked = sum(
        len("".join(ref.itertext()).split())
        for ref in element.iter("ref")
        # Text wrapped in a link to its own picture is not navigation.
        if not _IMAGE_LINK.search(ref.get("target") or "")
    )
    return linked / total


def _clean_line(line: str) -> str:
    return _SPACES.sub(" ", line).strip()


def _same_words(block: str, title: str) -> bool:
    return block.casefold().split() == title.casefold().split()


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


_INVISIBLE_PARENTS = (
    "ancestor::script or ancestor::style or ancestor::noscript or ancestor::template"
)


def _headlines(tree: HtmlElement, objects: list[dict]) -> list[str]:
    """What the page gives as the article's headline besides ``<title>``."""
    found = [pagemeta.headline(objects)]
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or "").lower()
        if key in ("og:title", "twitter:title"):
            found.append(meta.get("content"))
    heading = tree.find(".//h1")
    if heading is not None:
        found.append(heading.text_content())
    cleaned = (_clean_line(" ".join((h or "").split())) for h in found)
    return [h for h in dict.fromkeys(cleaned) if h]


def _visible_words(tree: HtmlElement) -> int:
    """How many words the page shows, navigation and all."""
    body = tree.find(".//body")
    if body is None:
        return 0
    hidden = body.xpath(
        f".//*[self::script or self::style or self::noscript or self::template]"
        f"[not({_INVISIBLE_PARENTS})]"
    )
    return len(body.text_content().split()) - sum(len(h.text_content().split()) for h in hidden)


_STATUS_URL = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/\w+/status(?:es)?/\d+")


def _rewrite_tweets(tree: HtmlElement) -> None:
    """Twitter's embed as one paragraph: "text — Name (@handle) date https://…/status/…".

    The embed ends the tweet's ``<p>`` right before "&mdash; Name (@handle)", so the
    credit was glued to the text, and the status link was only an ``<a href>``.
    """
    for quote in list(tree.iterfind(".//blockquote")):
        if "twitter-tweet" not in (quote.get("class") or "").split():
            continue
        status = None
        for link in quote.iterfind(".//a"):
            match = _STATUS_URL.match(link.get("href") or "")
            if match:
                status = match.group()
        paragraphs = [" ".join(p.text_content().split()) for p in quote.iterfind(".//p")]
        text = " ".join(p for p in paragraphs if p)
        # "&mdash; Name (@handle)" and the date link stand outside the <p>.
        credit = " ".join(" ".join(quote.xpath("text() | a//text()")).split())
        parts = [text, credit, status or ""]
        replacement = quote.makeelement("p", {})
        replacement.text = " ".join(part for part in parts if part)
        replacement.tail = quote.tail
        parent = quote.getparent()
        if parent is not None:
            parent.replace(quote, replacement)
