"""Forms behind the report page's actions: validate and convert; the workflow does the rest."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from .models import Queue, ReferralReason, RejectionReason, Report

RESIDENT_MESSAGE = _("Message to the resident (optional)")


def resident_message(required: bool = False, label=RESIDENT_MESSAGE) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ApproveForm(forms.Form):
    note = resident_message()


class RequestInfoForm(forms.Form):
    note = resident_message(required=True, label=_("What do you need from the resident?"))


class RejectForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=RejectionReason.objects.filter(active=True))
    note = resident_message()


class ReferForm(forms.Form):
    reason = forms.ModelChoiceField(label=_("Reason"), queryset=ReferralReason.objects.filter(active=True))
    note = resident_message()


class CloseForm(forms.Form):
    note = resident_message()


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
