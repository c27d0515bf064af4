"""The admin's API client form: the callback URL and its secrets. Validate and convert; nothing else.

Secrets work as on a Traffic Control endpoint (traffic/forms.py): saved ones are never sent back to the
browser, one new secret is added at a time, old ones are removed by their hint, and every secret kept signs
each callback, so a client can rotate keys without missing one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from traffic import client as webhooks
from traffic.forms import SecretInput, is_usable_secret, secret_hint, secret_id

from .models import ApiClient


class ApiClientForm(forms.ModelForm):
    callback_url = forms.URLField(
        label="Callback URL",
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text="Optional. Each status change of the requests this client files is posted here, signed.",
    )
    new_callback_secret = forms.CharField(
        label="Add a callback secret",
        required=False,
        widget=SecretInput(),
        help_text="A whsec_… secret shared with the client, needed for callbacks. To rotate: add the new "
        "one, wait until the client checks with it, then remove the old one.",
    )
    remove_callback_secrets = forms.MultipleChoiceField(
        label="Remove callback secrets", required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = ApiClient
        fields = ("name", "contact_email", "callback_url", "callback_disabled_reason")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_secrets = self.instance.callback_secret_list() if self.instance.pk else []
        choices = [(secret_id(secret), secret_hint(secret)) for secret in self.saved_secrets]
        self.fields["remove_callback_secrets"].choices = choices

    def clean_callback_url(self) -> str:
        url = self.cleaned_data["callback_url"]
        host = urlsplit(url).hostname or ""
        try:
            reason = webhooks.refused_address(host) if url else ""
        except (OSError, UnicodeError):
            reason = ""  # not resolvable yet; every delivery checks again
        if reason:
            raise ValidationError(
                f"{host} is a private, loopback or reserved address. A callback URL must be reachable on "
                "the internet."
            )
        return url

    def clean_new_callback_secret(self) -> str:
        secret = self.cleaned_data["new_callback_secret"].strip()
        if secret and not is_usable_secret(secret):
            raise ValidationError("A secret is whsec_ followed by the base64 of 24 to 64 random bytes.")
        return secret

    def clean(self) -> dict:
        cleaned = super().clean()
        removed = set(cleaned.get("remove_callback_secrets") or [])
        secrets = [secret for secret in self.saved_secrets if secret_id(secret) not in removed]
        new = cleaned.get("new_callback_secret")
        if new and new not in secrets:
            secrets.append(new)
        if cleaned.get("callback_url") and not secrets:
            self.add_error("new_callback_secret", "Callbacks are signed: add a secret for this URL.")
        cleaned["callback_secrets"] = secrets
        return cleaned

    def save(self, commit: bool = True) -> ApiClient:
        self.instance.callback_secrets = "\n".join(self.cleaned_data["callback_secrets"])
        return super().save(commit)
