"""Discord markdown safety: escape untrusted text so it shows as written and pings no one.

Article text, titles, questions and error messages can contain anything. Before any of it
goes into a message it passes through :func:`escape`, which

* backslash-escapes Discord's markdown (``* _ ~ | ` [``, and quote, list and heading
  markers at a line start, the backslash itself), which the client shows as the bare character;
* breaks every mention-like form with a zero-width space: ``@everyone`` / ``@here``
  (server-side mention parsing looks for those literal strings, so a backslash is not
  enough) and ``<@id>``, ``<@!id>``, ``<@&id>``, ``<#id>``, ``</cmd:id>``, ``<t:…>``,
  ``<:emoji:id>``;
* leaves bare URLs unescaped (a backslash inside one would change the link) except for the
  mention breaking, because the client's autolink swallows markdown inside a URL anyway.

``AllowedMentions.none()`` on the client is the real guarantee that nothing pings; the
escaping keeps quoted text from *looking* like a mention or breaking the layout.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import quote as _percent

#: Discord's own autolink rule (simple-markdown ``url``): greedy up to whitespace or ``<``,
#: not ending in punctuation.
URL_RE = re.compile(r"https?://[^\s<]+[^<.,:;\"')\]\s]")

_MENTION_WORDS = re.compile(r"@(everyone|here)", re.IGNORECASE)
_ANGLE_FORMS = re.compile(r"<(?=[@#/:]|a:|t:)", re.IGNORECASE)
# ``]`` is left alone: without an escaped ``[`` no masked link can open, and a backslash
# right after a URL would become part of it. ``#``, ``>`` and list markers only mean
# something at the start of a line.
_MARKDOWN_CHARS = re.compile(r"([\\*_~|`\[])")
_LINE_MARKERS = re.compile(r"^([ \t]*)(?:([-+#>])|(\d+)\.)", re.MULTILINE)

ZWSP = "\u200b"

# Discord's limits (https://discord.com/developers/docs/resources/message), which
# :func:`clip` and :func:`escape_clipped` make text fit.
MESSAGE_LIMIT = 2000
EMBED_TITLE_LIMIT = 256
EMBED_DESCRIPTION_LIMIT = 4096
EMBED_FIELD_VALUE_LIMIT = 1024
EMBED_FIELDS_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000


def neutralize_mentions(text: str) -> str:
    """Break ``@everyone``, ``@here`` and ``<@…>``-style forms with a zero-width space."""
    text = _MENTION_WORDS.sub(lambda m: "@" + ZWSP + m.group(1), text)
    return _ANGLE_FORMS.sub("<" + ZWSP, text)


def _escape_line_marker(match: re.Match[str]) -> str:
    indent, bullet, number = match.groups()
    return f"{indent}\\{bullet}" if bullet else f"{indent}{number}\\."


def escape_plain(text: str) -> str:
    """Escape markdown and mentions in text known to hold no URL (or where links may break)."""
    text = _MARKDOWN_CHARS.sub(r"\\\1", text)
    text = _LINE_MARKERS.sub(_escape_line_marker, text)
    return neutralize_mentions(text)


def url_spans(text: str) -> list[tuple[int, int]]:
    """Where Discord's client would autolink a URL in ``text``."""
    return [m.span() for m in URL_RE.finditer(text)]


def iter_url_parts(text: str) -> Iterator[tuple[str, bool]]:
    """Split ``text`` into ``(part, is_url)`` pieces."""
    pos = 0
    for start, end in url_spans(text):
        if start > pos:
            yield text[pos:start], False
        yield text[start:end], True
        pos = end
    if pos < len(text):
        yield text[pos:], False


def escape(text: str) -> str:
    """Escape untrusted text for a message or embed: markdown off, mentions broken, URLs kept."""
    return "".join(
        neutralize_mentions(part) if is_url else escape_plain(part)
        for part, is_url in iter_url_parts(text)
    )


def one_line(text: str) -> str:
    """Collapse every run of whitespace (newlines included) into one space."""
    return " ".join(text.split())


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside ``<…>`` or ``[label](<…>)``, or None if not http(s).

    Characters that would end the link early (whitespace, ``<``, ``>``, parentheses,
    quotes, backslash) are percent-encoded, as is the ``@`` of ``@everyone``/``@here``.
    """
    url = url.strip()
    if not re.match(r"https?://[^\s/]", url, re.IGNORECASE):
        return None
    url = re.sub(r"[\s<>()\"\\]", lambda m: _percent(m.group(0), safe=""), url)
    return _MENTION_WORDS.sub(lambda m: "%40" + m.group(1), url)


def link(label: str, url: str) -> str:
    """A masked link that does not unfold a preview; the label is escaped and kept short."""
    target = safe_url(url)
    label = clip(one_line(label), 60) or "link"
    if target is None:
        return escape(label)
    if "://" in label:  # Discord refuses masked links whose label is itself a URL
        return f"<{target}>"
    label = escape_plain(label).replace("]", "\\]")
    return f"[{label}](<{target}>)"


def escape_clipped(text: str, limit: int) -> str:
    """:func:`escape` ``text``, shortened (at a word boundary) so the result fits ``limit``."""
    room = limit
    while True:
        out = escape(clip(text, room))
        if len(out) <= limit or room <= 1:
            return out[:limit] if len(out) > limit else out
        room -= max(len(out) - limit, 1)


def clip(text: str, limit: int, *, ellipsis: str = "…") -> str:
    """Shorten ``text`` to at most ``limit`` characters, at a word boundary when there is one."""
    if len(text) <= limit:
        return text
    room = max(limit - len(ellipsis), 0)
    cut = text[:room]
    space = cut.rfind(" ")
    if space > room // 2:
        cut = cut[:space]
    return cut.rstrip() + ellipsis
