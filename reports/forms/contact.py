"""Who to contact, and how they want to hear from us: email, text messages, or both."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import sms
from ..models import UpdatesBy


class ContactForm(forms.Form):
    contact_name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    contact_email = forms.EmailField(label=_("Your email"), required=False)
    contact_phone = forms.CharField(
        label=_("Your mobile number (optional)"),
        max_length=30,
        required=False,
        help_text=_("Needed for updates by text message."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    updates_by = forms.ChoiceField(
        label=_("How should we send you updates?"),
        choices=UpdatesBy.choices,
        initial=UpdatesBy.EMAIL,
        required=False,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Worded when the form is built, in the language of the page.
        self.fields["updates_by"].help_text = gettext(
            "For text messages we first send a code to your number. %(consent)s"
        ) % {"consent": sms.CONSENT}

    def clean_contact_phone(self) -> str:
        """A number that can get texts, in E.164; any other number only as a way to call the resident
        (a landline, an office), as typed, when they did not choose texts."""
        number = self.cleaned_data["contact_phone"].strip()
        if not number:
            return ""
        try:
            return sms.normalise(number)
        except sms.NotAMobileNumber:
            if self.data.get(self.add_prefix("updates_by")) in (UpdatesBy.TEXT, UpdatesBy.BOTH):
                raise forms.ValidationError(
                    _("Enter a mobile number that can get texts, for example 612-555-0123."), code="phone"
                ) from None
            return number

    def clean_updates_by(self) -> str:
        return self.cleaned_data["updates_by"] or UpdatesBy.EMAIL

    def require_contact(self, *, email_required: bool) -> None:
        """A report that must reach the resident needs their email, unless they chose texts only."""
        chosen = self.data.get(self.add_prefix("updates_by")) if self.is_bound else None
        email = self.fields["contact_email"]
        email.required = email_required and chosen != UpdatesBy.TEXT
        if chosen is not None:  # the choice was offered (the API does not offer it)
            required = _("Enter your email, or choose text messages.")
            email.error_messages = {**email.error_messages, "required": required}

    def check_contact(self, data: dict) -> None:
        """Texts need a mobile number."""
        texts = data.get("updates_by") in (UpdatesBy.TEXT, UpdatesBy.BOTH)
        if texts and not data.get("contact_phone") and "contact_phone" not in self.errors:
            self.add_error("contact_phone", _("Enter your mobile number to get text messages."))


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("The 6-digit code"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class TextLinkForm(forms.Form):
    """A 311 agent texts the caller their status link, with the caller's agreement given on the call."""

    phone = forms.CharField(
        label=_("Caller's mobile number"),
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    agreed = forms.BooleanField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agreed"].label = gettext(
            "I read the caller this and they agreed to get texts: %(consent)s"
        ) % {"consent": sms.CONSENT}

    def clean_phone(self) -> str:
        try:
            return sms.normalise(self.cleaned_data["phone"])
        except sms.NotAMobileNumber:
            raise forms.ValidationError(
                _("Enter a mobile number that can get texts, for example 612-555-0123."), code="phone"
            ) from None
