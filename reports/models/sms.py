"""Text messages: the codes that confirm a resident's number, and the numbers that replied STOP."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .draft import Draft


def new_nonce() -> str:
    return secrets.token_hex(16)


class PhoneCode(models.Model):
    """A 6-digit code texted to confirm the number a resident gave before their report is filed.

    The code itself is never stored: it is derived from a random nonce and the site's secret key, so a
    copy of the database (a backup) cannot read a code that is still valid. The sender's address is kept
    only as a keyed hash, for the per-address limit on sends.
    """

    draft = models.ForeignKey(Draft, on_delete=models.CASCADE, related_name="phone_codes")
    phone = models.CharField(max_length=20, db_index=True)  # E.164
    nonce = models.CharField(max_length=32, default=new_nonce)
    address_hash = models.CharField(max_length=64, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"code for draft {self.draft_id}"

    @property
    def code(self) -> str:
        digest = hmac.new(settings.SECRET_KEY.encode(), self.nonce.encode(), hashlib.sha256).digest()
        return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


class SmsOptOut(models.Model):
    """A number that replied STOP (active) or STOP and then START (no longer active): no text goes to an
    active one, whatever report it belongs to. Staff see it on the report page."""

    phone = models.CharField(max_length=20, unique=True)  # E.164
    active = models.BooleanField(default=True)
    keyword = models.CharField(max_length=20)  # the word the resident sent last (STOP, START, ...)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.phone} ({'stopped' if self.active else 'started again'})"

    @classmethod
    def stopped(cls, phone: str) -> bool:
        return cls.objects.filter(phone=phone, active=True).exists()
