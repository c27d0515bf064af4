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
from .models import Draft, PhoneCode, SmsOptOut


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str = ""


def address_hash(address: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"sms-code:{address}".encode(), hashlib.sha256).hexdigest()


def send_code(draft: Draft, phone: str, address: str) -> Outcome:
    """Text a new code to `phone` for this draft, unless a limit says no (the reason, in words)."""
    if SmsOptOut.stopped(phone):
        return Outcome(
            False,
            _("This number replied STOP to our texts. Text START to it from your phone, or choose email."),
        )
    hashed = address_hash(address) if address else ""
    with transaction.atomic():
        # One request at a time per draft (a double click) and per number that had a code before (many
        # sessions asking at once): the counts below are then the counts the limits mean.
        Draft.objects.select_for_update().filter(pk=draft.pk).first()
        list(PhoneCode.objects.select_for_update().filter(phone=phone).values_list("pk", flat=True))
        refused = limit_reached(draft, phone, hashed)
        if refused:
            return Outcome(False, refused)
        now = timezone.now()
        code = PhoneCode.objects.create(
            draft=draft,
            phone=phone,
            address_hash=hashed,
            expires_at=now + timedelta(minutes=settings.SMS_CODE_MINUTES),
        )
        texts.queue_code(code)
    return Outcome(True)


def limit_reached(draft: Draft, phone: str, hashed: str) -> str:
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    latest = draft.phone_codes.filter(phone=phone).first()
    if latest and latest.created_at > now - timedelta(seconds=settings.SMS_CODE_RESEND_SECONDS):
        return _("We just sent a code. Wait a moment before asking for another.")
    if (
        PhoneCode.objects.filter(phone=phone, created_at__gte=hour_ago).count()
        >= settings.SMS_CODES_PER_NUMBER
    ):
        return _("We have sent this number too many codes. Try again in an hour, or choose email instead.")
    if hashed and PhoneCode.objects.filter(address_hash=hashed, created_at__gte=hour_ago).count() >= (
        settings.SMS_CODES_PER_ADDRESS
    ):
        return _("Too many codes were asked for from here. Try again in an hour.")
    return ""


def check_code(draft: Draft, phone: str, typed: str) -> Outcome:
    """Confirm the number when `typed` is one of the codes still valid that were sent to it for this draft
    (a double click may have sent two, and either may arrive first)."""
    live = list(
        draft.phone_codes.filter(phone=phone, confirmed_at__isnull=True, expires_at__gt=timezone.now())[:3]
    )
    if not live:
        return Outcome(False, _("That code has expired. Ask for a new one."))
    # Counted before the comparison, in one statement: guesses sent together are each one try.
    counted = PhoneCode.objects.filter(pk=live[0].pk, attempts__lt=settings.SMS_CODE_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not counted:
        return Outcome(False, _("Too many wrong tries. Ask for a new code."))
    digits = "".join(ch for ch in typed if ch in "0123456789")
    matched = next((code for code in live if hmac.compare_digest(digits, code.code)), None)
    if matched is None:
        return Outcome(False, _("That code is not right. Check the text we sent and try again."))
    with transaction.atomic():
        PhoneCode.objects.filter(pk=matched.pk).update(confirmed_at=timezone.now())
        draft.phone_confirmed = phone
        draft.save(update_fields=["phone_confirmed", "updated_at"])
    return Outcome(True)
