"""Confirming a resident's mobile number before their report is filed: a 6-digit code by text.

A code lives SMS_CODE_MINUTES and allows SMS_CODE_ATTEMPTS guesses; one number may be sent
SMS_CODES_PER_NUMBER codes an hour and one address SMS_CODES_PER_ADDRESS (whatever numbers it types), so
the form cannot be used to flood a stranger's phone or to run up the city's bill.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import texts
from .models import Draft, PhoneCode


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""


def address_hash(address: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"sms-code:{address}".encode(), hashlib.sha256).hexdigest()


def send_code(draft: Draft, phone: str, address: str) -> Outcome:
    """Text a new code to `phone` for this draft, unless a limit says no (the reason, in words)."""
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    latest = draft.phone_codes.filter(phone=phone).first()
    if latest and latest.created_at > now - timedelta(seconds=settings.SMS_CODE_RESEND_SECONDS):
        return Outcome(False, _("We just sent a code. Wait a moment before asking for another."))
    if (
        PhoneCode.objects.filter(phone=phone, created_at__gte=hour_ago).count()
        >= settings.SMS_CODES_PER_NUMBER
    ):
        return Outcome(
            False,
            _("We have sent this number too many codes. Try again in an hour, or choose email instead."),
        )
    hashed = address_hash(address) if address else ""
    if hashed and PhoneCode.objects.filter(address_hash=hashed, created_at__gte=hour_ago).count() >= (
        settings.SMS_CODES_PER_ADDRESS
    ):
        return Outcome(False, _("Too many codes were asked for from here. Try again in an hour."))
    with transaction.atomic():
        code = PhoneCode.objects.create(
            draft=draft,
            phone=phone,
            address_hash=hashed,
            expires_at=now + timedelta(minutes=settings.SMS_CODE_MINUTES),
        )
        texts.queue_code(code)
    return Outcome(True)


def check_code(draft: Draft, phone: str, typed: str) -> Outcome:
    """Confirm the number when `typed` is the latest code sent to it for this draft, still valid."""
    code = draft.phone_codes.filter(phone=phone, confirmed_at__isnull=True).first()
    if code is None or code.expires_at <= timezone.now():
        return Outcome(False, _("That code has expired. Ask for a new one."))
    if code.attempts >= settings.SMS_CODE_ATTEMPTS:
        return Outcome(False, _("Too many wrong tries. Ask for a new code."))
    # Counted before the comparison, in the database: two guesses at once are two tries.
    PhoneCode.objects.filter(pk=code.pk).update(attempts=F("attempts") + 1)
    digits = "".join(ch for ch in typed if ch.isdigit())
    if not hmac.compare_digest(digits, code.code):
        return Outcome(False, _("That code is not right. Check the text we sent and try again."))
    with transaction.atomic():
        PhoneCode.objects.filter(pk=code.pk).update(confirmed_at=timezone.now())
        draft.phone_confirmed = phone
        draft.save(update_fields=["phone_confirmed", "updated_at"])
    return Outcome(True)
