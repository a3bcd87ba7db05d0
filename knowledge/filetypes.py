"""The file types Archivist reads, and those it refuses by name.

The one list behind the service's reading, a folder walk, the bot's attachment
check and every message that names the readable types.
"""

from __future__ import annotations

#: File extensions we read, and how.
EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".markdown": "text",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
CONTENT_TYPES = {
    "text/plain": "text",
    "text/markdown": "text",
    "text/x-markdown": "text",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/jsonl": "jsonl",
    "application/x-ndjson": "jsonl",
    "application/x-jsonlines": "jsonl",
}
#: Formats we know we cannot read: refused by name, whatever the bytes inside.
#: Any other file named directly (``README``, ``notes.log``, ``script.py``) is
#: sniffed for text; a folder walk reads only :data:`EXTENSIONS` and counts the rest.
UNSUPPORTED_EXTENSIONS = frozenset(
    ".pdf .doc .docx .odt .rtf .epub .xls .xlsx .ods .ppt .pptx .odp "
    ".png .jpg .jpeg .gif .webp .bmp .tif .tiff .heic .ico .svg "
    ".zip .gz .tgz .bz2 .xz .zst .7z .rar .tar .iso .dmg .apk .jar "
    ".mp3 .m4a .wav .ogg .flac .mp4 .mov .avi .mkv .webm "
    ".exe .dll .so .dylib .bin .o .a .pyc .class .wasm .db .sqlite".split()
)
#: The types people are told about, each standing for its aliases above.
NAMED_TYPES = (".txt", ".md", ".html", ".jsonl")
#: ".txt, .md, .html, .jsonl", as a list reads.
SUPPORTED_LIST = ", ".join(NAMED_TYPES)
#: ".txt, .md, .html or .jsonl", as a choice reads.
SUPPORTED_CHOICE = f"{', '.join(NAMED_TYPES[:-1])} or {NAMED_TYPES[-1]}"
