"""Forms of Traffic Control: the board's actions, and the admin's endpoint form. Validate and convert."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from reports.models import Disposition

from . import client
from .models import TrafficEndpoint

SECRET_PREFIX = "whsec_"
# What Standard Webhooks asks of a key (docs/traffic-control.md says so too).
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64


class DispatchForm(forms.Form):
    unit = forms.CharField(
        label=gettext_lazy("Unit or officer"),
        max_length=60,
        help_text=gettext_lazy("Who is going, e.g. “PE-14” or “Officer Diaz”."),
    )


class ResolveForm(forms.Form):
    outcome = forms.ModelChoiceField(
        label=gettext_lazy("Outcome"),
        queryset=Disposition.objects.filter(active=True),
        to_field_name="code",
        error_messages={"required": gettext_lazy("Choose the outcome.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note to the resident (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("The resident reads this on their status page and in the email."),
    )
    # Checked and kept by traffic.closures, as a resident's photo is: here only whether one came.
    photo = forms.FileField(
        label=gettext_lazy("Photo from the field (optional)"),
        required=False,
        help_text=gettext_lazy("Staff see it with the report; the resident does not."),
    )


class SecretInput(forms.PasswordInput):
    """Never renders a value back, not even the one just typed into a form that came back with an error."""

    def __init__(self):
        super().__init__(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"})


class TrafficEndpointForm(forms.ModelForm):
    """The admin's endpoint form. Secrets already saved are never sent to the browser: it shows a hint of
    each, takes one new secret at a time, and removes old ones by their hint (rotation)."""

    url = forms.URLField(label=gettext_lazy("URL"), max_length=500, assume_scheme="https")
    new_secret = forms.CharField(
        label=gettext_lazy("Add a secret"),
        required=False,
        widget=SecretInput(),
        help_text=gettext_lazy(
            "A whsec_… secret shared with Traffic Control. Every secret signs each delivery and is accepted "
            "on incoming updates. To rotate: add the new secret, wait until Traffic Control uses it, then "
            "remove the old one."
        ),
    )
    remove_secrets = forms.MultipleChoiceField(
        label=gettext_lazy("Remove secrets"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = TrafficEndpoint
        fields = ("name", "url", "active", "disabled_reason")
        help_texts = {
            "disabled_reason": gettext_lazy(
                "Why deliveries stopped (e.g. “410 Gone”, set automatically). Clear it when you turn "
                "the endpoint back on, then retry its dead letters from the staff “Dead letters” page."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_secrets = self.instance.secret_list() if self.instance.pk else []
        self.fields["remove_secrets"].choices = [(secret_id(s), secret_hint(s)) for s in self.saved_secrets]
        self.fields["new_secret"].required = not self.saved_secrets

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        host = urlsplit(url).hostname or ""
        try:
            reason = client.refused_address(host)
        except (OSError, UnicodeError):
            reason = ""  # not resolvable yet; every delivery checks again
        if reason:
            raise ValidationError(
                _(
                    "%(host)s is a private, loopback or reserved address. Traffic Control endpoints must be "
                    "reachable on the internet."
                )
                % {"host": host}
            )
        return url

    def clean_new_secret(self) -> str:
        secret = self.cleaned_data["new_secret"].strip()
        if secret and not is_usable_secret(secret):
            raise ValidationError(_("A secret is whsec_ followed by the base64 of 24 to 64 random bytes."))
        return secret

    def clean(self) -> dict:
        cleaned = super().clean()
        removed = set(cleaned.get("remove_secrets") or [])
        secrets = [secret for secret in self.saved_secrets if secret_id(secret) not in removed]
        new = cleaned.get("new_secret")
        if new and new not in secrets:
            secrets.append(new)
        if self.saved_secrets and not secrets:
            self.add_error("remove_secrets", _("Keep at least one secret, or add a new one first."))
        cleaned["secrets"] = secrets
        return cleaned

    def save(self, commit: bool = True) -> TrafficEndpoint:
        self.instance.secrets = "\n".join(self.cleaned_data["secrets"])
        return super().save(commit)


def is_usable_secret(secret: str) -> bool:
    encoded = secret.removeprefix(SECRET_PREFIX)
    if encoded == secret:
        return False
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
        Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError):
        return False
    return MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES


def secret_id(secret: str) -> str:
    # Names a secret in the form without revealing it, nor letting anyone test guesses against it offline.
    return salted_hmac("traffic-endpoint-secret", secret).hexdigest()[:16]


def secret_hint(secret: str) -> str:
    return f"{SECRET_PREFIX}…{secret[-4:]}"
