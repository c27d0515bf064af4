"""Forms of Traffic Control: the board's actions, and the admin's endpoint form. Validate and convert."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from reports.models import Outcome

from .models import TrafficEndpoint


class DispatchForm(forms.Form):
    unit = forms.CharField(
        label=gettext_lazy("Unit or officer"),
        max_length=60,
        help_text=gettext_lazy("Who is going, e.g. “PE-14” or “Officer Diaz”."),
    )


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    note = forms.CharField(
        label=gettext_lazy("Note to the resident (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The resident reads this on their status page and in the email."),
    )


class TrafficEndpointForm(forms.ModelForm):
    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = TrafficEndpoint
        fields = ("name", "url", "secrets", "active", "disabled_reason")
        widgets = {
            "secrets": forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
        }
        help_texts = {
            "secrets": (
                "One whsec_… secret per line. Every line signs each delivery and is accepted on incoming "
                "updates. To rotate: add the new secret on a new line, wait until Traffic Control uses it, "
                "then delete the old line."
            ),
            "disabled_reason": (
                "Why deliveries stopped (e.g. “410 Gone”, set automatically). Clear it when you turn "
                "the endpoint back on, then retry its dead letters from the staff “Dead letters” page."
            ),
        }
