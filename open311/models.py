"""Who may file through the Open311 API, and what a filing brought that a report has no field for."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from reports.models import Report, hash_token

KEY_MARKER = "o311_"  # lets secret scanners and people recognise a leaked key
VISIBLE_PREFIX_LENGTH = len(KEY_MARKER) + 8


class ApiClient(models.Model):
    """A client application (a 311 app, a city system). Its key is stored only as a SHA-256 hash."""

    name = models.CharField(max_length=100)
    contact_email = models.EmailField(help_text="Who to tell when the key must change or is misused.")
    key_prefix = models.CharField(
        max_length=VISIBLE_PREFIX_LENGTH,
        editable=False,
        help_text="The start of the key: matches a key someone shows you to its client.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def issue_key(self) -> str:
        """Set a new key and return it in plain text: the only time anyone sees it."""
        key = KEY_MARKER + secrets.token_urlsafe(32)  # 256 bits
        self.key_prefix, self.key_hash = key[:VISIBLE_PREFIX_LENGTH], hash_token(key)
        return key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])

    @classmethod
    def find_active(cls, key: str) -> ApiClient | None:
        return cls.objects.filter(key_hash=hash_token(key), revoked_at__isnull=True).first()


class ApiFiling(models.Model):
    """Which client filed a report, and the Open311 fields the report itself has no place for.

    A media_url is recorded, never fetched: the server does not go and download what a client names.
    """

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="api_filing")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="filings")
    media_url = models.URLField(max_length=500, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report_id} by {self.client_id}"
