"""Every staff form: the report page's actions, the queue filters, the figures' period.

They validate and convert; the workflow and the reads do the rest.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import catalog, figures, queries
from .forms import EARLIEST_YEAR, LATEST_YEAR, year_out_of_range
from .models import (
    Queue,
    ReferralReason,
    RejectionReason,
    Report,
    ReportSubtype,
    ReportType,
    ResponseTemplate,
)
from .statuses import Status

RESIDENT_MESSAGE = _("Message to the resident (optional)")


def resident_message(required: bool = False, label=RESIDENT_MESSAGE) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )


class MessageForm(forms.Form):
    """A message to the resident: a prepared one, which goes out in the resident's language, and what the
    report taker types, which goes out as typed (in English, marked so for a resident who reads another
    language)."""

    use = ""  # ResponseTemplate.Use of the templates offered

    template = forms.ModelChoiceField(
        label=_("Prepared message (sent in the resident's language)"),
        queryset=ResponseTemplate.objects.none(),
        required=False,
        empty_label=_("None: only what I type"),
    )
    missing = forms.CharField(
        label=_("What is missing (put into the prepared message)"), required=False, max_length=300
    )
    note = resident_message()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = ResponseTemplate.objects.filter(use=self.use, active=True)


class ApproveForm(MessageForm):
    use = ResponseTemplate.Use.APPROVE


class RequestInfoForm(MessageForm):
    use = ResponseTemplate.Use.REQUEST_INFO
    note = resident_message(label=_("What do you need from the resident?"))

    def clean(self):
        data = super().clean()
        if not data.get("note", "").strip() and not data.get("template"):
            self.add_error("note", _("Say what you need from the resident, or pick a prepared message."))
        return data


class RejectForm(MessageForm):
    use = ResponseTemplate.Use.REJECT
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=RejectionReason.objects.filter(active=True))
    field_order = ["reason", "template", "missing", "note"]


class ReferForm(MessageForm):
    use = ResponseTemplate.Use.REFER
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=ReferralReason.objects.filter(active=True))
    field_order = ["reason", "template", "missing", "note"]


class CloseForm(MessageForm):
    use = ResponseTemplate.Use.CLOSE


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note (never shown to the resident)"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DuplicateForm(forms.Form):
    original = forms.CharField(label=_("Tracking number of the original report"), max_length=12)

    def clean_original(self) -> Report:
        number = self.cleaned_data["original"].strip().upper()
        if len(number) == 8 and "-" not in number:
            number = f"{number[:4]}-{number[4:]}"
        report = Report.objects.filter(tracking_number=number).first()
        if report is None:
            raise forms.ValidationError(_("No report has that tracking number."))
        return report


class MoveForm(forms.Form):
    queue = forms.ModelChoiceField(label=_("Move to queue"), queryset=Queue.objects.order_by("name"))
    note = forms.CharField(label=_("Why (internal)"), required=False, max_length=1000)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=_("Nobody"),
    )

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff


# --- The queue page's filters ------------------------------------------------------------------------

SORT_CHOICES = [
    ("oldest", _("Oldest first")),
    ("sla", _("SLA due soonest")),
    ("newest", _("Newest first")),
]
STATUS_CHOICES = [
    (queries.OPEN, _("Open")),
    (queries.ALL, _("All statuses")),
    *Status.choices,
]
ASSIGNED_CHOICES = [
    (queries.ANYONE, _("Anyone or no one")),
    (queries.ME, _("Me")),
    (queries.UNASSIGNED, _("No one yet")),
]
PAGE_SIZES = [(50, "50"), (25, "25"), (100, "100")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class FilterDateField(forms.DateField):
    """A day to filter by; outside 1900..9000 it is a typo, and near year 9999 "the day after" overflows."""

    def validate(self, value):
        super().validate(value)
        if value and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise year_out_of_range()


def date_field(label: str) -> forms.DateField:
    return FilterDateField(label=label, required=False, widget=DateInput(), input_formats=["%Y-%m-%d"])


class QueueFilterForm(forms.Form):
    search = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_(
            "Tracking or case number, plate, resident name, email or address; "
            "within the status chosen (“All statuses” includes decided reports)."
        ),
    )
    report_type = forms.ChoiceField(label=_("Type"), required=False)
    subtype = forms.ChoiceField(label=_("Subtype"), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    assigned = forms.ChoiceField(label=_("Assigned to"), choices=ASSIGNED_CHOICES, required=False)
    created_from = date_field(_("Filed on or after"))
    created_to = date_field(_("Filed on or before"))
    sort = forms.ChoiceField(label=_("Sort"), choices=SORT_CHOICES, required=False)
    per_page = forms.TypedChoiceField(
        label=_("Rows per page"), choices=PAGE_SIZES, coerce=int, required=False, empty_value=50
    )

    def __init__(self, *args, queue: Queue, **kwargs):
        super().__init__(*args, **kwargs)
        # Both lists from the catalog each process keeps; the choices are codes, turned back into rows by
        # clean_*.
        types, subtypes = catalog.kinds()
        in_queue = [s for s in subtypes.values() if types[s.report_type_id].queue_id == queue.pk]
        in_queue.sort(key=lambda s: (types[s.report_type_id].order, s.order, s.code))
        self.subtypes = {s.code: s for s in in_queue}
        self.report_types = {types[s.report_type_id].code: types[s.report_type_id] for s in in_queue}
        self.fields["report_type"].choices = [
            ("", gettext("All types")),
            *((code, report_type.name) for code, report_type in self.report_types.items()),
        ]
        by_type: dict[str, list[tuple[str, str]]] = {}
        for subtype in self.subtypes.values():
            by_type.setdefault(types[subtype.report_type_id].name, []).append((subtype.code, subtype.name))
        self.fields["subtype"].choices = [("", gettext("All subtypes")), *by_type.items()]

    def clean_report_type(self) -> ReportType | None:
        return self.report_types.get(self.cleaned_data["report_type"])

    def clean_subtype(self) -> ReportSubtype | None:
        return self.subtypes.get(self.cleaned_data["subtype"])

    def clean(self):
        data = super().clean()
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            self.add_error("created_to", gettext("The end date is before the start date."))
        return data

    def filters(self) -> queries.QueueFilters:
        # Whatever did not validate falls back to its default; the error summary says which.
        data = self.cleaned_data if self.is_bound else {}
        return queries.QueueFilters(
            sort=data.get("sort") or "oldest",
            report_type=data.get("report_type"),
            subtype=data.get("subtype"),
            status=data.get("status") or queries.OPEN,
            assigned=data.get("assigned") or queries.ANYONE,
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
            search=data.get("search", ""),
        )


# --- The figures page ------------------------------------------------------------------------------


class PeriodForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"),
        choices=[
            (7, _("Last 7 days")),
            (30, _("Last 30 days")),
            (90, _("Last 90 days")),
        ],
        coerce=int,
        initial=figures.DEFAULT_PERIOD_DAYS,
        required=False,
        empty_value=figures.DEFAULT_PERIOD_DAYS,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def chosen_days(self) -> int:
        return self.cleaned_data["days"] if self.is_valid() else figures.DEFAULT_PERIOD_DAYS


# --- Signing in -------------------------------------------------------------------------------------


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )
