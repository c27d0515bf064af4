"""Files and the final confirmation: what the resident sends with a report, and their replies."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        # Each file is judged by reports.evidence, whose messages name the file; here only presence.
        files = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


ACCEPTED_FILES = "image/jpeg,image/png,image/webp,image/heic,image/heif,.heic,.heif,application/pdf"


class SubmitForm(forms.Form):
    files = MultipleFileField(
        label=_("Photos or documents (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_FILES}),
    )
    confirm = forms.BooleanField(
        label=_("The information in this report is true to the best of my knowledge."),
        error_messages={"required": _("Please confirm that the information is true.")},
    )

    def __init__(self, *args, assisted: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if assisted:
            self.fields["confirm"].label = _("The caller confirmed that the information is true.")
        limit = settings.EVIDENCE_MAX_BYTES // (1024 * 1024)
        self.fields["files"].help_text = _(
            "JPEG, PNG, WebP or HEIC photos, or PDF receipts; up to %(count)d files of %(size)d MB each."
        ) % {"count": settings.EVIDENCE_MAX_FILES, "size": limit}


class ReplyForm(forms.Form):
    """The resident's answer to a request for more information, through the status link."""

    text = forms.CharField(label=_("Your answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(
        label=_("Add photos or documents (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPTED_FILES}),
    )
