"""Saving a report to finish later: where to send the link."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SaveForLaterForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email"),
        help_text=_("We send a link that opens your report where you left off, on any phone or computer."),
    )
