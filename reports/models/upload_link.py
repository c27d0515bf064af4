"""A one-time link that opens straight onto an upload page for one report (reports/upload_links.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.conf import settings
from django.db import models
from django.utils import timezone

from .audit import ReportEvent
from .report import Report, hash_token
from .sms import new_nonce


class UploadLink(models.Model):
    """Sent by a 311 agent or a report taker; used once, or never after `expires_at`.

    The token is never stored: it is derived from a random nonce and the site's secret key when the
    email or text is built (the same token in both), and the row keeps its SHA-256 to find it again. So
    a copy of the database cannot open a link that still works.
    """

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="upload_links")
    nonce = models.CharField(max_length=32, default=new_nonce)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"upload link for {self.report_id}"

    def save(self, *args, **kwargs):
        if not self.token_hash:
            self.token_hash = hash_token(self.token)
        super().save(*args, **kwargs)

    @property
    def token(self) -> str:
        digest = hmac.new(settings.SECRET_KEY.encode(), f"upload-link:{self.nonce}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")

    @classmethod
    def unused_for_event(cls, event_id: int | None) -> UploadLink | None:
        """The link an UPLOAD_LINK event sent, while it can still be used: its email and text are built
        from it (and not sent once it is used or expired)."""
        event = ReportEvent.objects.filter(pk=event_id).first() if event_id else None
        link_id = event.data.get("link") if event and isinstance(event.data, dict) else None
        return cls.objects.filter(pk=link_id, used_at__isnull=True, expires_at__gt=timezone.now()).first()

    @classmethod
    def find(cls, token: str) -> UploadLink | None:
        return cls.objects.select_related("report").filter(token_hash=hash_token(token)).first()
