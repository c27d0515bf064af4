"""Sending a text message, like Django's email backends: SMS_BACKEND names the class that sends.

`FileBackend` writes each text to SMS_FILE_PATH (one file each, for `make run` and tests);
`TwilioBackend` sends it through Twilio's own library. Both answer `send(to, body)` with the provider's id
for the message, or raise `SmsFailed` (worth trying again) or `SmsRefused` (never will be).

Also here: mobile numbers read as residents type them, and text shaped to GSM-7 so that a message
costs one or two segments instead of twice as many in UCS-2.
"""

from __future__ import annotations

import secrets
import unicodedata
from functools import cache

import phonenumbers
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy

# What the resident agrees to when they choose texts, shown beside the choice and kept with the report.
CONSENT = gettext_lazy("Message and data rates may apply. Reply STOP to stop, HELP for help.")


class SmsFailed(Exception):
    """The provider could not take the text now (a timeout, a 5xx, a rate limit): try again later."""


class SmsRefused(Exception):
    """The provider will never send this text (an invalid number, a number that opted out)."""

    def __init__(self, message: str, *, opted_out: bool = False):
        super().__init__(message)
        self.opted_out = opted_out


# --- Numbers -------------------------------------------------------------------------------------------


class NotAMobileNumber(ValueError):
    pass


def normalise(number: str) -> str:
    """A number as typed ("612 555 0123", "+1 (612) 555-0123") in E.164 ("+16125550123"); raises
    NotAMobileNumber for anything that cannot receive a text (too short, not a number, a toll-free or
    premium line)."""
    try:
        parsed = phonenumbers.parse(number, settings.SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise NotAMobileNumber(str(exc)) from exc
    kind = phonenumbers.number_type(parsed)
    can_text = kind in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,  # US and Canadian numbers do not say
    )
    if not phonenumbers.is_valid_number(parsed) or not can_text:
        raise NotAMobileNumber(number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def readable(number: str) -> str:
    """An E.164 number as people in the city write it: "(612) 555-0123", or "+252 61 5123456"."""
    try:
        parsed = phonenumbers.parse(number, settings.SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return number
    home = phonenumbers.region_code_for_number(parsed) == settings.SMS_DEFAULT_REGION
    style = phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, style)


# --- Segments ------------------------------------------------------------------------------------------

# The GSM 03.38 default alphabet, and the extension table whose characters count twice.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
# Typographic characters a template or a translation may carry, as GSM-7 has them.
GSM7_LOOKALIKES = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " "}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def to_gsm7(text: str) -> str:
    """The text in GSM-7 where the language allows: quotes and dashes replaced, and an accent GSM-7 lacks
    dropped ("información" becomes "informacion"; é, ñ and ¿ are kept). A text that still has characters
    GSM-7 cannot carry is returned as it was, and goes as UCS-2."""
    shaped = []
    for ch in text:
        ch = GSM7_LOOKALIKES.get(ch, ch)
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED and len(ch) == 1:
            bare = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            ch = bare if bare and is_gsm7(bare) else ch
        shaped.append(ch)
    result = "".join(shaped)
    return result if is_gsm7(result) else text


def segments(text: str) -> int:
    """How many SMS segments the text costs: 160 GSM-7 units alone or 153 each when split; 70 UCS-2
    characters alone or 67 each."""
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part = 160, 153
    else:
        units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
        single, part = 70, 67
    return 1 if units <= single else -(-units // part)


# --- Backends ------------------------------------------------------------------------------------------


class FileBackend:
    """Each text as one file in SMS_FILE_PATH: who it went to, when, and what it said."""

    def send(self, to: str, body: str) -> str:
        folder = settings.SMS_FILE_PATH
        folder.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        message_id = f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(4)}"
        (folder / f"{message_id}.txt").write_text(
            f"To: {to}\nDate: {now.isoformat()}\nSegments: {segments(body)}\n\n{body}\n", encoding="utf-8"
        )
        return message_id


class TwilioBackend:
    """Twilio's Programmable Messaging, through the `twilio` package, with explicit timeouts."""

    # Twilio's error codes for a number that can never get this text: not a mobile number, unsubscribed
    # (it replied STOP to our number), blocked, or not a valid number at all.
    REFUSED_CODES = {21211, 21214, 21408, 21610, 21612, 21614}
    OPTED_OUT_CODE = 21610

    def send(self, to: str, body: str) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        sender = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM_NUMBER}
        )
        try:
            client = twilio_client(
                settings.TWILIO_ACCOUNT_SID,
                settings.TWILIO_AUTH_TOKEN,
                settings.TWILIO_API_URL,
                settings.SMS_TIMEOUT,
            )
            message = client.messages.create(to=to, body=body, **sender)
        except TwilioRestException as exc:
            # Only a refusal of this text is final: a 401 or 404 (a wrong SID, a rotated token) is ours to
            # fix, and the texts wait in the outbox until it is.
            if exc.code in self.REFUSED_CODES or exc.status in (400, 422):
                opted_out = exc.code == self.OPTED_OUT_CODE
                raise SmsRefused(f"Twilio {exc.status} {exc.code}", opted_out=opted_out) from exc
            raise SmsFailed(f"Twilio {exc.status} {exc.code}") from exc
        except (TwilioException, OSError) as exc:
            raise SmsFailed(f"{type(exc).__name__}: {exc}") from exc
        return message.sid


@cache
def twilio_client(account_sid: str, auth_token: str, api_url: str, timeout: int):
    """One client per process and account: its HTTP session keeps the connection to Twilio open."""
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
    client.api.base_url = api_url
    return client


def get_backend():
    return import_string(settings.SMS_BACKEND)()


def send(to: str, body: str) -> str:
    return get_backend().send(to, body)


def signature_valid(url: str, params: dict, signature: str) -> bool:
    """Twilio signs each request it makes to us with the account's auth token (X-Twilio-Signature)."""
    from twilio.request_validator import RequestValidator

    if not settings.TWILIO_AUTH_TOKEN or not signature:
        return False
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)
