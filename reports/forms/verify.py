"""The code an insurer types at /verify/ to check an approved copy."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import stored_code


class VerifyCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        help_text=_("10 letters and numbers, printed beside the QR code on the report, e.g. ABCD-EFGH-JK."),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = stored_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(
                _("Enter the 10-character code exactly as printed on the report."), code="malformed"
            )
        return code
