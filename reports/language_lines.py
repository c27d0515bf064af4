"""The city's phone line for each language, as every resident page shows it, kept in the process.

Every page shows the lines, so they are read once per process and then kept: a page costs no query for
them. The seed refreshes the copy when it loads the lines, the admin drops it when one is changed;
other processes read again after REREAD_SECONDS. If the database fails (an error page may be showing
because it did), the page shows the lines last read, or none, and the next attempt waits
RETRY_SECONDS instead of knocking on every page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import DatabaseError

from .models import LanguageLine

REREAD_SECONDS = 300.0
RETRY_SECONDS = 30.0


@dataclass(frozen=True)
class Line:
    language: str
    name_local: str  # in the line's own language: "Soomaali", "Hmoob"
    phone: str


# (when read, the lines); None until the first page of the process asks.
_kept: tuple[float, tuple[Line, ...]] | None = None


def language_lines() -> tuple[Line, ...]:
    global _kept
    kept = _kept
    if kept is not None and time.monotonic() - kept[0] < REREAD_SECONDS:
        return kept[1]
    try:
        return refresh_language_lines()
    except DatabaseError:
        lines = kept[1] if kept else ()
        _kept = (time.monotonic() - REREAD_SECONDS + RETRY_SECONDS, lines)
        return lines


def refresh_language_lines() -> tuple[Line, ...]:
    global _kept
    rows = LanguageLine.objects.filter(active=True)
    lines = tuple(Line(row.language, row.name_local, row.phone) for row in rows)
    _kept = (time.monotonic(), lines)
    return lines


def forget_language_lines() -> None:
    global _kept
    _kept = None
