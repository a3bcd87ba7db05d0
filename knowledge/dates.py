"""Dates as people write them, read as ISO 8601 ("2025-07-12", "2025-07", "2025").

The month names here are the only list of them: dates in text headers and
JSON Lines records, dates in a page's teasers, and "12. Juli" inside a sentence
all read them from :data:`MONTH_FORMS`.
"""

from __future__ import annotations

import re
from datetime import date as Date

from knowledge.errors import InputError

#: Each month's full names in English, Romanian, German and French, then the
#: short and unaccented forms also seen in dates ("Sept", "iul", "Jän", "aout").
_MONTH_TABLE = (
    ("january ianuarie januar janvier", "jan ian jän jänner janv"),
    ("february februarie februar février", "feb fév fev fevrier"),
    ("march martie märz mars", "mar mär mrz"),
    ("april aprilie avril", "apr avr"),
    ("may mai", ""),
    ("june iunie juni juin", "jun iun"),
    ("july iulie juli juillet", "jul iul juil"),
    ("august août", "aug aoû aou aout"),
    ("september septembrie septembre", "sep sept"),
    ("october octombrie oktober octobre", "oct okt"),
    ("november noiembrie novembre", "nov noi"),
    ("december decembrie dezember décembre", "dec dez déc decembre"),
)
#: Every name and short form of each month, January first.
MONTH_FORMS: tuple[tuple[str, ...], ...] = tuple(
    (*full.split(), *short.split()) for full, short in _MONTH_TABLE
)
#: The full month names: a number before one is a day ("12. Juli"), not a list item.
MONTH_NAMES = frozenset(name for full, _ in _MONTH_TABLE for name in full.split())
#: Month number by any of its names or short forms.
MONTHS = {name: number for number, forms in enumerate(MONTH_FORMS, start=1) for name in forms}
_ISO_DATE = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:[T ]\d{1,2}:\d{2}.*)?$")
_DMY_NUMERIC = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"^(?:(\d{1,2})(?:st|nd|rd|th)?\.?\s+)?([^\W\d_]+)\.?,?\s+(\d{4})$")
_MONTH_DAY_YEAR = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_WEEKDAY = re.compile(r"^([^\W\d_]+),\s*")


def normalize_date(value: str) -> str | None:
    """An ISO date ("2025-07-12", "2025-07", "2025") from common ways of writing one.

    Accepts ISO dates and timestamps, ``12 July 2025``, ``July 12, 2025``,
    ``12.07.2025``, month names in English, Romanian, German and French. None if unreadable.
    """
    value = " ".join(value.split()).strip()
    if not value:
        return None
    weekday = _WEEKDAY.match(value)
    if weekday and weekday.group(1).lower() not in MONTHS:
        value = value[weekday.end() :]  # "Saturday, 12 July 2025"
    year = month = day = None
    if match := _ISO_DATE.match(value):
        year, month, day = (int(g) if g else None for g in match.groups())
    elif match := _DMY_NUMERIC.match(value):
        day, month, year = (int(g) for g in match.groups())
    elif (match := _DAY_MONTH_YEAR.match(value)) and match.group(2).lower() in MONTHS:
        day = int(match.group(1)) if match.group(1) else None
        month, year = MONTHS[match.group(2).lower()], int(match.group(3))
    elif (match := _MONTH_DAY_YEAR.match(value)) and match.group(1).lower() in MONTHS:
        month, day, year = MONTHS[match.group(1).lower()], int(match.group(2)), int(match.group(3))
    else:
        return None
    try:
        Date(year, month or 1, day or 1)
    except ValueError:
        return None
    if month is None:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def given_date(value: str | None) -> str | None:
    """A date a user typed, as ISO ("2025-07-12"); None if blank.

    Raises:
        InputError: it is not a date.
    """
    if value is None or not value.strip():
        return None
    iso = normalize_date(value)
    if iso is None:
        raise InputError(f"Could not read the date {value.strip()!r}; write it as YYYY-MM-DD")
    return iso
