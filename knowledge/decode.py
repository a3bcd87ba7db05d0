"""From bytes to text: the one decoder for pasted text, files and web pages alike.

Order: refuse what a known binary format starts with, honour a byte-order
mark, take valid UTF-8, then the declared charset (a page's ``<meta charset>``
when nothing else declares one), then the most plausible legacy encoding
(:mod:`knowledge.charsets`). The text comes out with ``\\n`` newlines, NFC.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata

from knowledge.charsets import codec_for, decode_legacy
from knowledge.errors import UnsupportedContent

log = logging.getLogger(__name__)

#: Share of control characters above which decoded "text" is really binary.
CONTROL_SHARE_LIMIT = 0.01
#: Where a ``<meta charset>`` must appear, per the HTML standard's prescan.
META_SCAN_BYTES = 4096
#: Bytes looked at for NULs and control characters; enough to tell, cheap on a large file.
SNIFF_BYTES = 65536

#: Byte-order marks and the codec each one means, longest first (UTF-32 LE starts like UTF-16 LE).
BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"PK\x03\x04", "a ZIP archive or Office document"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office document"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"OggS", "an audio file"),
    (b"fLaC", "an audio file"),
    (b"ID3", "an MP3 file"),
    (b"\x00asm", "a WebAssembly module"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_TEXT_CONTROLS = frozenset("\t\n\r\f\v\x1b")


def decode_text(
    data: bytes, *, declared_charset: str | None = None, name: str = "input", html: bool = False
) -> str:
    """Bytes to text: refuse binary, honour a BOM, try UTF-8, the declared charset, detection.

    With ``html``, a page's ``<meta charset>`` counts as declared when nothing
    else is. Newlines become ``\\n`` and the text is NFC-normalised.

    Raises:
        UnsupportedContent: binary data, or no encoding reads it cleanly.
    """
    if html and codec_for(declared_charset) is None:
        declared_charset = meta_charset(data)
    text = _decode(data, declared_charset, name)
    controls = sum(1 for ch in text[:SNIFF_BYTES] if ch < " " and ch not in _TEXT_CONTROLS)
    # A stray escape or two in a long note is not binary; a steady share of them is.
    if controls > 2 and controls > CONTROL_SHARE_LIMIT * min(len(text), SNIFF_BYTES):
        raise not_text(name, "")
    return clean_text(text)


def clean_text(text: str) -> str:
    """``text`` without a leading BOM, with ``\\n`` newlines, NFC-normalised."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def binary_kind(data: bytes) -> str | None:
    """What binary format ``data`` starts with ("a PDF document"), "" for NULs, else None."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    if any(data.startswith(bom) for bom, _ in BOMS):
        return None  # UTF-16/32 text is full of NUL bytes
    return "" if b"\x00" in data[:SNIFF_BYTES] else None


def not_text(name: str, kind: str, expected: str = "text") -> UnsupportedContent:
    """The refusal of binary data: "report.pdf looks like a binary file (a PDF document), not text".

    Args:
        kind: What :func:`binary_kind` found; "" when it cannot name the format.
        expected: What the input should have been ("text", "a web page").
    """
    detail = f" ({kind})" if kind else ""
    return UnsupportedContent(f"{name} looks like a binary file{detail}, not {expected}")


def meta_charset(data: bytes) -> str | None:
    """The ``<meta charset>`` label of a page, found where the HTML standard's prescan looks."""
    meta = _META_CHARSET.search(data[:META_SCAN_BYTES])
    return meta.group(1).decode("ascii") if meta else None


def printable(text: str) -> str:
    """``text`` fit to store, show and print: undecodable bytes become U+FFFD.

    Python smuggles bytes that are not UTF-8 into ``sys.argv`` and file names as
    lone surrogates, which no database, terminal or JSON encoder accepts.
    """
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that did not come from a byte
        return text.encode("utf-8", "replace").decode("utf-8")


def _decode(data: bytes, declared_charset: str | None, name: str) -> str:
    for bom, codec in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                raise UnsupportedContent(f"{name} is not valid {codec.upper()} text") from None
    declared = codec_for(declared_charset)
    if declared and declared.startswith(("utf-16", "utf-32")):
        try:
            return data.decode(declared)
        except UnicodeError:
            pass
    kind = binary_kind(data)
    if kind is not None:
        raise not_text(name, kind)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared)
        except (UnicodeError, LookupError):
            log.debug("%s is not %s as declared", name, declared)
    text = decode_legacy(data, name=name)
    if text is not None:
        return text
    raise UnsupportedContent(f"{name} is not in a text encoding we can read; save it as UTF-8")
