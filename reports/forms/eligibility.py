"""The safety check before any form: the questions that decide whether a report can be filed online."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import Channel, ReportType
from .common import NO, NOT_SURE, YES, YES_NO, money


@dataclass(frozen=True)
class Stop:
    field: str
    stop_when: str
    reason: str


# In the order they are asked; the first answer that stops wins, so danger always comes first.
STOPS = (
    Stop("in_danger", YES, "emergency"),
    Stop("happening_now", YES, "in-progress"),
    Stop("suspect_known", YES, "suspect-known"),
    Stop("inside_city", NO, "outside-city"),
    Stop("excluded_items", YES, "excluded-items"),
    Stop("over_value_cap", YES, "over-value-cap"),
)


STOP_BY_FIELD = {stop.field: stop for stop in STOPS}


@dataclass(frozen=True)
class Progress:
    current: int  # the index of the question to ask now; past the last one when all are answered
    stop: str = ""  # the stop page an answer leads to


def yes_no(label: str, *, not_sure: bool = False) -> forms.ChoiceField:
    choices = YES_NO + ([(NOT_SURE, _("Not sure"))] if not_sure else [])
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect)


class EligibilityForm(forms.Form):
    def __init__(self, *args, report_type: ReportType, assisted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if assisted:
            # A 311 agent reads the same questions to the caller and says how the caller reached us.
            self.fields["channel"] = forms.ChoiceField(
                label=_("How is the caller reporting?"),
                choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.WALK_IN, Channel.WALK_IN.label)],
                widget=forms.RadioSelect,
            )
        self.fields["in_danger"] = yes_no(_("Is anyone in danger or hurt right now?"))
        if report_type.asks_suspect_known:
            self.fields["happening_now"] = yes_no(
                _("Is it happening right now, or is the person who did it still there?")
            )
            self.fields["suspect_known"] = yes_no(_("Do you know who did it (their name and address)?"))
        self.fields["inside_city"] = yes_no(
            _("Did it happen inside %(city)s city limits?") % {"city": settings.CITY_NAME}, not_sure=True
        )
        if report_type.asks_excluded_items:
            self.fields["excluded_items"] = yes_no(
                _("Was a firearm, a motor vehicle or a license plate taken?")
            )
        if report_type.value_cap is not None:
            self.fields["over_value_cap"] = yes_no(
                _("Is the total value more than %(cap)s?") % {"cap": money(report_type.value_cap)}
            )

    def progress(self) -> Progress:
        """Walk the questions in the order they are asked: the first answer that stops the report, or the
        first question not answered yet. Answers after either are not looked at, so that "someone is in
        danger" sends a resident to 911 at once, whatever else the page carried."""
        for index, (name, field) in enumerate(self.fields.items()):
            try:
                value = field.clean(self.data.get(self.add_prefix(name)))
            except forms.ValidationError:
                return Progress(current=index)
            stop = STOP_BY_FIELD.get(name)
            if stop and value == stop.stop_when:
                return Progress(current=index, stop=stop.reason)
        return Progress(current=len(self.fields))

    def answers(self) -> dict:
        return {name: value for name, value in self.cleaned_data.items() if name != "channel"}

    def stop_reason(self) -> str | None:
        for stop in STOPS:
            if self.cleaned_data.get(stop.field) == stop.stop_when:
                return stop.reason
        return None
