"""The details of a report: when, where, what, the catalog's questions, who to contact; stolen items."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.forms.utils import ErrorDict
from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .. import catalog
from ..models import Question, ReportSubtype, ReportType, ServiceArea
from .common import US_STATES, money, when_field
from .contact import ContactForm


def question_field(question: Question) -> forms.Field:
    # The catalog is typed into the admin, and Django's and crispy's templates print help text (and
    # crispy the labels) without escaping: escaped here, it is plain text wherever it shows.
    common = {
        "label": escape(question.label),
        "required": question.required,
        "help_text": escape(question.help_text),
    }
    kind = Question.Datatype
    choices = [(choice.key, escape(choice.name)) for choice in question.choices.all()]
    if question.datatype == kind.SINGLEVALUELIST:
        return forms.ChoiceField(choices=[("", "—"), *choices], **common)
    if question.datatype == kind.MULTIVALUELIST:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if question.datatype == kind.NUMBER:
        return forms.DecimalField(max_digits=12, decimal_places=2, **common)
    if question.datatype == kind.DATETIME:
        return when_field(**common)
    if question.datatype == kind.TEXT:
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common)
    return forms.CharField(max_length=200, **common)


def questions_for(report_type: ReportType, subtype: ReportSubtype) -> list[Question]:
    return catalog.questions(report_type, subtype)


def city_now() -> datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def city_time_help(text: str) -> str:
    # A phone set to another zone fills in its own time: say which clock the form means.
    return _("%(help)s In %(city)s time.") % {"help": text, "city": settings.CITY_NAME}


def in_the_future() -> str:
    now = formats.time_format(city_now(), "TIME_FORMAT")
    return _("This time is in the future: it is %(now)s now in %(city)s.") % {
        "now": now,
        "city": settings.CITY_NAME,
    }


def quiet(*forms_to_show: forms.Form | forms.BaseFormSet | None) -> None:
    """Bound to what was typed, without error messages: for a step shown again before the resident has
    tried to go on from it (coming back to it, or after "Add another item")."""
    for form in forms_to_show:
        if isinstance(form, forms.BaseFormSet):
            form._errors, form._non_form_errors = [], form.error_class()
            for item in form.forms:
                item._errors = ErrorDict()
                if not hasattr(item, "cleaned_data"):
                    item.cleaned_data = {}
        elif form is not None:
            form._errors = ErrorDict()
            if not hasattr(form, "cleaned_data"):
                form.cleaned_data = {}


class LocationForm(forms.Form):
    """Where it is: an address, and a map pin if the resident placed one. Parking asks it on a page of its
    own, first, so that a problem someone already reported nearby can be shown before the details."""

    address = forms.CharField(
        label=_("Street address or nearest intersection"),
        max_length=200,
        help_text=_("For example: 350 S 5th St, or Lake St & Hennepin Ave."),
    )
    location_detail = forms.CharField(
        label=_("Anything that helps find the place (optional)"),
        max_length=200,
        required=False,
        help_text=_("For example: in the alley behind the building, or the north side of the street."),
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)

    def clean(self) -> dict:
        data = super().clean()
        self.check_pin(data)
        return data

    def check_pin(self, data: dict) -> None:
        lat, lng = data.get("latitude"), data.get("longitude")
        if (lat is None) != (lng is None):
            self.add_error("address", _("The map pin was incomplete; place it again or leave it out."))
            return
        if lat is None:
            return
        areas = list(ServiceArea.objects.filter(active=True))
        if areas and not any(area.contains(lat, lng) for area in areas):
            self.add_error(
                "address",
                _(
                    "The pin you placed is outside %(city)s city limits. Move it, or report to the city "
                    "where it happened."
                )
                % {"city": settings.CITY_NAME},
            )


LOCATION_FIELDS = tuple(LocationForm.base_fields)


class DetailsForm(LocationForm, ContactForm):
    """When, where, what, and who to contact. The parts shown depend on the catalog entry."""

    def __init__(
        self, *args, report_type: ReportType, subtype: ReportSubtype, assisted: bool = False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.report_type, self.subtype = report_type, subtype
        self.kind = report_type.form
        self.add_when_fields()
        self.add_what_fields()
        self.question_codes = []
        for question in questions_for(report_type, subtype):
            self.fields[f"q_{question.code}"] = question_field(question)
            self.question_codes.append(question.code)
        self.fields["description"] = forms.CharField(
            label=_("Describe what happened")
            if self.kind != ReportType.Form.PARKING
            else _("Anything else Traffic Control should know (optional)"),
            required=self.kind != ReportType.Form.PARKING,
            max_length=5000,
            widget=forms.Textarea(attrs={"rows": 5}),
        )
        if report_type.email_required and not assisted:
            self.require_contact(email_required=True)
            self.fields["contact_email"].help_text = _("We email you a copy of your report and its updates.")
            self.fields["contact_name"].required = True
        else:
            self.fields["contact_email"].label = _("Your email (optional)")
            self.fields["contact_email"].help_text = _("Leave it empty to report anonymously.")
            self.fields["contact_name"].label = _("Your name (optional)")
        if assisted:
            self.fields["contact_name"].label = _("Caller's name (optional)")
            self.fields["contact_email"].label = _("Caller's email (optional)")
            self.fields["contact_email"].help_text = _(
                "With an email the caller gets a copy and the updates."
            )
            self.fields["contact_phone"].label = _("Caller's phone number (optional)")
            self.fields["updates_by"].label = _("How should we send the caller updates?")

    def add_when_fields(self) -> None:
        if self.kind == ReportType.Form.PARKING:
            # Most people report a car they are looking at: the time starts at now.
            self.fields["occurred_from"] = when_field(
                _("When did you see it?"),
                help_text=city_time_help(_("It is set to now; change it if you saw it earlier.")),
            )
            self.fields["occurred_from"].initial = city_now
            return
        self.fields["occurred_from"] = when_field(
            _("From"),
            help_text=city_time_help(
                _("The earliest time it could have happened, for example when you last saw it.")
            ),
        )
        self.fields["occurred_to"] = when_field(
            _("To"),
            help_text=city_time_help(
                _("The latest time it could have happened, for example when you noticed.")
            ),
        )

    def add_what_fields(self) -> None:
        if self.kind == ReportType.Form.DAMAGE:
            self.fields["damaged_property"] = forms.CharField(label=_("What was damaged?"), max_length=300)
            self.fields["estimated_cost"] = forms.DecimalField(
                label=_("Estimated cost of the damage in dollars (optional)"),
                required=False,
                min_value=0,
                max_digits=10,
                decimal_places=2,
            )
        elif self.kind == ReportType.Form.PARKING:
            self.fields["vehicle_plate"] = forms.CharField(
                label=_("License plate"),
                max_length=12,
                required=False,
                help_text=_("If you can see it. Letters and numbers only."),
            )
            self.fields["vehicle_state"] = forms.ChoiceField(
                label=_("Plate state"), choices=[(s, s) for s in US_STATES], initial="MN", required=False
            )
            self.fields["vehicle_make"] = forms.CharField(label=_("Make"), max_length=50, required=False)
            self.fields["vehicle_colour"] = forms.CharField(label=_("Color"), max_length=30, required=False)

    def clean_vehicle_plate(self) -> str:
        return "".join(ch for ch in self.cleaned_data["vehicle_plate"].upper() if ch.isalnum())

    def clean(self) -> dict:
        data = super().clean()
        self.check_contact(data)
        self.check_times(data)
        if self.kind == ReportType.Form.DAMAGE:
            self.check_value(data.get("estimated_cost"), "estimated_cost")
        if self.kind == ReportType.Form.PARKING and not (
            data.get("vehicle_plate") or (data.get("vehicle_make") and data.get("vehicle_colour"))
        ):
            self.add_error(
                "vehicle_plate", _("Give the plate, or the make and color, so the vehicle can be found.")
            )
        return data

    def check_times(self, data: dict) -> None:
        latest = timezone.now() + timedelta(minutes=10)
        start, end = data.get("occurred_from"), data.get("occurred_to")
        for name, moment in (("occurred_from", start), ("occurred_to", end)):
            if moment and moment > latest:
                self.add_error(name, in_the_future())
        if start and end and end < start:
            self.add_error("occurred_to", _("This must be the same as or after the “From” time."))

    def check_value(self, value: Decimal | None, field: str | None) -> None:
        cap = self.report_type.value_cap
        if value is not None and cap is not None and value > cap:
            self.add_error(field, value_cap_message(cap))

    def answers(self) -> dict:
        return {code: self.cleaned_data.get(f"q_{code}") for code in self.question_codes}

    def summary(self) -> list[tuple[str, str]]:
        """(label, value as the resident would read it) for every answered visible field but the catalog's
        questions, which reports.display shows the same way everywhere."""
        rows = []
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if (
                isinstance(field.widget, forms.HiddenInput)
                or value in (None, "", [])
                or name.startswith("q_")
            ):
                continue
            rows.append((field.label, display_value(field, value)))
        return rows


def display_value(field: forms.Field, value) -> str:
    if isinstance(field, forms.MultipleChoiceField):
        names = dict(field.choices)
        return ", ".join(str(names.get(v, v)) for v in value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(value, value))
    if isinstance(field, forms.DateTimeField):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return str(value)


def value_cap_message(cap: Decimal) -> str:
    return _(
        "Reports of more than %(cap)s are taken by the police. Please call the police non-emergency line "
        "at %(phone)s."
    ) % {"cap": money(cap), "phone": settings.PHONE_POLICE_NON_EMERGENCY}


class StolenItemForm(forms.Form):
    description = forms.CharField(label=_("What was taken?"), max_length=200)
    brand_model = forms.CharField(label=_("Brand and model (optional)"), max_length=100, required=False)
    serial_number = forms.CharField(label=_("Serial number (optional)"), max_length=100, required=False)
    value = forms.DecimalField(
        label=_("Value in dollars (optional)"), required=False, min_value=0, max_digits=10, decimal_places=2
    )


class BaseStolenItemFormSet(forms.BaseFormSet):
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": _("Describe at least one item that was taken."),
        "too_many_forms": _("List at most %(num)d items; describe the rest in the description."),
    }

    def __init__(self, *args, value_cap: Decimal | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.value_cap = value_cap

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        total = sum(
            (form.cleaned_data.get("value") or Decimal(0) for form in self.forms if form.cleaned_data),
            Decimal(0),
        )
        if self.value_cap is not None and total > self.value_cap:
            raise forms.ValidationError(value_cap_message(self.value_cap))

    def items(self) -> list[dict]:
        return [form.cleaned_data for form in self.forms if form.cleaned_data]


MAX_ITEMS = 20


def item_count(raw: str | None) -> int:
    """How many item rows the page had, from its own hidden field: anything but a sane number is one."""
    try:
        count = int(raw or 1)
    except ValueError:
        return 1
    return min(max(count, 1), MAX_ITEMS)


StolenItemFormSet = forms.formset_factory(
    StolenItemForm,
    formset=BaseStolenItemFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MAX_ITEMS,
    validate_max=True,
    absolute_max=MAX_ITEMS,  # never builds more forms than that, whatever TOTAL_FORMS says
)


def field_names(details: DetailsForm, items: BaseStolenItemFormSet | None) -> set[str]:
    """The names the details step posts: all a draft may keep of a POST."""
    names = {details.add_prefix(name) for name in details.fields}
    if items is not None:
        management = items.management_form
        names |= {management.add_prefix(name) for name in management.fields}
        names |= {form.add_prefix(name) for form in items.forms for name in form.fields}
    return names
