"""What the filing forms share: yes/no answers, money, US states, and moments as residents type them."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

YES, NO, NOT_SURE = "yes", "no", "not_sure"
YES_NO = [(NO, _("No")), (YES, _("Yes"))]

US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
]


def money(value: Decimal) -> str:
    return "$" + formats.number_format(value, 0, use_l10n=True, force_grouping=True)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


# Nothing anyone reports happened before this; an earlier date is a typo (or a probe), and dates near
# year 1 or 9999 overflow as soon as they are moved between time zones.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9000


# Nothing anyone reports happened before this; an earlier date is a typo (or a probe), and dates near
# year 1 or 9999 overflow as soon as they are moved between time zones.
EARLIEST_YEAR, LATEST_YEAR = 1900, 9000


def year_out_of_range() -> forms.ValidationError:
    return forms.ValidationError(
        _("Enter a date between %(earliest)d and today.") % {"earliest": EARLIEST_YEAR}, code="out_of_range"
    )


class WhenField(forms.DateTimeField):
    """A moment as residents type it, refused outside 1900..9000 before any time-zone arithmetic."""

    def to_python(self, value):
        try:
            moment = super().to_python(value)
        except (OverflowError, ValueError):
            raise year_out_of_range() from None
        if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            raise year_out_of_range()
        return moment


def when_field(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return WhenField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M"],
    )
