"""What a resident sends from the status link besides an answer: a withdrawal, more information, a
supplemental report, or the files behind a one-time upload link."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .details import MAX_ITEMS, BaseStolenItemFormSet, StolenItemForm
from .evidence import ACCEPTED_FILES, MultipleFileField, MultipleFileInput


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you withdrawing it?"),
        help_text=_("For example: the item turned up, or it was reported by someone else."),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MoreInfoForm(forms.Form):
    text = forms.CharField(
        label=_("What would you like to add?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = MultipleFileField(
        label=_("Add photos or documents (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_FILES}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not data.get("text", "").strip() and not data.get("files"):
            raise forms.ValidationError(_("Write something, or add a photo or document."))
        return data


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Photos or documents"),
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_FILES}),
        error_messages={"required": _("Choose at least one photo or document.")},
    )


class SupplementForm(forms.Form):
    description = forms.CharField(
        label=_("What did you find?"),
        help_text=_("For example: a second item that was taken, a receipt, or the serial number of an item."),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_FILES}),
    )


# More stolen items, all optional: a row left empty is not an item.
SupplementItemFormSet = forms.formset_factory(
    StolenItemForm,
    formset=BaseStolenItemFormSet,
    extra=1,
    min_num=0,
    max_num=MAX_ITEMS,
    validate_max=True,
    absolute_max=MAX_ITEMS,
)
