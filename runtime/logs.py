"""Logging set-up for the entry points: one console handler, plus ``LOG_FILE`` when set.

Only entry points (the command line, the bot launcher) call :func:`setup_logging`;
library modules just do ``log = logging.getLogger(__name__)``.

Two formats, chosen by ``LOG_FORMAT``:

* ``text`` (for people): ``2026-11-28 07:10:00 INFO knowledge.store: stored article #12``
* ``json`` (for log shippers), one object per line::

      {"ts": "2026-11-28T07:10:00.123+00:00", "level": "INFO", "logger": "knowledge.store",
       "msg": "stored article #12", "article_id": 12}

  Fields passed with ``extra={...}`` are added as they are (``repr`` when not JSON-able);
  an exception adds ``"exc"`` with the formatted traceback.

The Discord token, when configured, is replaced by ``[token]`` in every formatted line,
whichever logger wrote it.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from runtime.settings import Settings

#: The log file rotates at this size, keeping this many old files: bounded on disk.
LOG_FILE_MAX_BYTES = 5_000_000
LOG_FILE_BACKUPS = 3

#: Chatty third-party loggers held at WARNING so -v shows our own debug lines.
_QUIET_LIBRARIES = (
    "trafilatura",
    "htmldate",
    "courlan",
    "charset_normalizer",
    "urllib3",
    "asyncio",
    "aiohttp.access",
)

#: Libraries that log routine extraction noise at WARNING: ERROR unless -v.
_EXTRACTION_LIBRARIES = ("trafilatura", "htmldate")

#: Attributes every LogRecord has; anything else came from ``extra=``.
_STANDARD_ATTRS = frozenset(
    vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()
    | {"message", "asctime", "taskName", "console"}
)

#: Marks the handlers we installed, so a second call replaces them (tests call main() often).
_OURS = "_archivist_handler"


class _Redacting(logging.Formatter):
    """A formatter that never lets the configured secrets through."""

    def __init__(self, *args: Any, secrets: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        text = self.render(record)
        for secret in self._secrets:
            text = text.replace(secret, "[token]")
        return text

    def render(self, record: logging.LogRecord) -> str:
        return super().format(record)


class TextFormatter(_Redacting):
    """``2026-11-28 07:10:00 INFO knowledge.store: message``"""

    def __init__(self, *, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s: %(message)s",
            datefmt="%Y-%m-%d %H:%M:%S",
            secrets=secrets,
        )


class JsonFormatter(_Redacting):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``msg`` and extra fields."""

    def render(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD_ATTRS or key.startswith("_") or key in entry:
                continue
            entry[key] = value if _jsonable(value) else repr(value)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class _ConsoleFilter(logging.Filter):
    """Drops records logged with ``extra={"console": False}`` unless verbose.

    The command line logs unexpected tracebacks that way: they reach ``LOG_FILE``,
    while the terminal gets one line (and the traceback only with ``-v``). The
    extraction libraries' own errors ("empty HTML tree") are dropped the same
    way: the user already gets our one-line refusal for that page.
    """

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if self.verbose:
            return True
        if record.name.split(".", 1)[0] in _EXTRACTION_LIBRARIES:
            return False
        return getattr(record, "console", True)


def setup_logging(
    settings: Settings,
    *,
    verbose: bool = False,
    quiet: bool = False,
    stream: TextIO | None = None,
    console_level: str | int | None = None,
) -> None:
    """Configure the root logger for an entry point; calling it again replaces our handlers.

    Args:
        settings: supplies ``log_level``, ``log_format``, ``log_file`` and the token to redact.
        verbose: DEBUG on the console (and in the file), tracebacks included.
        quiet: only errors on the console.
        stream: where console lines go: ``sys.stderr`` (the default, for the command line)
            or ``sys.stdout`` (for the long-running bot, whose output is its log).
        console_level: the console's level when neither ``verbose`` nor ``quiet``;
            defaults to ``settings.log_level``.

    Raises:
        OSError: ``LOG_FILE`` cannot be opened for appending.
    """
    secrets = (settings.bot.token,) if settings.bot.token else ()

    def formatter() -> logging.Formatter:
        if settings.log_format == "json":
            return JsonFormatter(secrets=secrets)
        return TextFormatter(secrets=secrets)

    if verbose:
        level: str | int = logging.DEBUG
    elif quiet:
        level = logging.ERROR
    else:
        level = console_level if console_level is not None else settings.log_level
    handlers: list[logging.Handler] = []

    console = logging.StreamHandler(stream if stream is not None else sys.stderr)
    console.setLevel(level)
    console.setFormatter(formatter())
    console.addFilter(_ConsoleFilter(verbose))
    handlers.append(console)

    if settings.log_file:
        file_handler = logging.handlers.RotatingFileHandler(
            settings.log_file,
            maxBytes=LOG_FILE_MAX_BYTES,
            backupCount=LOG_FILE_BACKUPS,
            encoding="utf-8",
        )
        file_handler.setLevel(logging.DEBUG if verbose else settings.log_level)
        file_handler.setFormatter(formatter())
        handlers.append(file_handler)

    remove_handlers()
    root = logging.getLogger()
    for handler in handlers:
        setattr(handler, _OURS, True)
        root.addHandler(handler)
    root.setLevel(min(h.level for h in handlers))
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    if not verbose:
        # Their warnings are extraction notes ("discarding data: None"), not problems
        # for the user, who gets our own one-line refusal when a page has no text.
        for name in _EXTRACTION_LIBRARIES:
            logging.getLogger(name).setLevel(logging.ERROR)


def remove_handlers() -> None:
    """Take our handlers off the root logger (tests, and a process that is done logging)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _OURS, False)]:
        root.removeHandler(handler)
        handler.close()
