"""The query parameters of GET requests and GET servicerequestupdates, checked and converted.

Every problem in a query is reported at once, as one 400 error list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.http import QueryDict
from django.utils import timezone

from .formats import Open311Error, bad_request

WINDOW = timedelta(days=90)  # the specification's default window, and the widest one may ask for
MAX_RECORDS = 1000
MAX_PAGE = 100_000
MAX_LIST = 1000
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
STATUSES = ("open", "closed")
TRACKING_NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
# W3C date formats with reduced precision (a year, or a year and a month) stand for their first moment.
YEAR_OR_MONTH = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Page:
    number: int = 1
    size: int = MAX_RECORDS

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class RequestFilters:
    window: Window
    page: Page
    ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)


class Problems(list):
    def raise_any(self) -> None:
        if self:
            raise bad_request(*self)


def request_filters(params: QueryDict) -> RequestFilters:
    problems = Problems()
    filters = RequestFilters(
        window=window(params, problems),
        page=page(params, problems),
        ids=[normal_id(value) for value in comma_list(params, "service_request_id", problems)],
        service_codes=comma_list(params, "service_code", problems),
        statuses=comma_list(params, "status", problems),
    )
    for status in filters.statuses:
        if status not in STATUSES:
            problems.append("status: Use open, closed, or both separated by a comma.")
            break
    problems.raise_any()
    return filters


def update_filters(params: QueryDict) -> tuple[Window, Page]:
    problems = Problems()
    result = window(params, problems), page(params, problems)
    problems.raise_any()
    return result


# --- One parameter each ------------------------------------------------------------------------------


def comma_list(params: QueryDict, name: str, problems: Problems) -> list[str]:
    values = [value.strip() for value in params.get(name, "").split(",") if value.strip()]
    if len(values) > MAX_LIST:
        problems.append(f"{name}: At most {MAX_LIST} values.")
        return []
    return values


def normal_id(value: str) -> str:
    """Tracking numbers as people type them: any case, with or without the dash."""
    value = value.upper()
    if len(value) == 8 and value.isascii() and value.isalnum():
        return f"{value[:4]}-{value[4:]}"
    return value


def window(params: QueryDict, problems: Problems) -> Window:
    start = moment(params, "start_date", problems)
    end = moment(params, "end_date", problems)
    if start and end:
        if end < start:
            problems.append("end_date: Must not be before start_date.")
        elif end - start > WINDOW:
            problems.append(f"start_date, end_date: May not span more than {WINDOW.days} days.")
        return Window(start, end)
    if start:
        return Window(start, start + WINDOW)
    end = end or timezone.now()
    return Window(end - WINDOW, end)


def moment(params: QueryDict, name: str, problems: Problems) -> datetime | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    parsed = parse_moment(raw)
    if parsed is None:
        problems.append(
            f"{name}: Use a W3C (ISO 8601) date, such as 2025-11, 2025-11-21 or 2025-11-21T00:00:00-06:00."
        )
    return parsed


def parse_moment(raw: str) -> datetime | None:
    """ISO 8601 as the W3C profile has it; a time without a zone is read in the city's."""
    if reduced := YEAR_OR_MONTH.fullmatch(raw):
        raw = f"{reduced[1]}-{reduced[2] or '01'}-01"
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:  # far enough from the edges to add a window
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def page(params: QueryDict, problems: Problems) -> Page:
    number = whole_number(params, "page", 1, MAX_PAGE, problems)
    size = whole_number(params, "page_size", 1, MAX_RECORDS, problems)
    return Page(number or 1, size or MAX_RECORDS)


def whole_number(params: QueryDict, name: str, lowest: int, highest: int, problems: Problems) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or not lowest <= int(raw) <= highest:
        problems.append(f"{name}: Use a whole number from {lowest} to {highest}.")
        return None
    return int(raw)


def check_known_codes(unknown: list[str]) -> None:
    if unknown:
        raise Open311Error(404, [f"service_code: No service “{code[:50]}”." for code in unknown[:20]])
