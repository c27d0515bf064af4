"""Who may file through the Open311 API, what a filing or a comment brought that a report has no field for,
and the callbacks a client gets about the requests it filed."""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone

from reports.models import OutboxMessage, Report, ReportEvent, hash_token

KEY_MARKER = "o311_"  # lets secret scanners and people recognise a leaked key
VISIBLE_PREFIX_LENGTH = len(KEY_MARKER) + 8
CALLBACK_KIND = OutboxMessage.Kind.OPEN311_CALLBACK


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
    callback_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="Where each status change of the requests this client filed is posted, signed (optional).",
    )
    # One whsec_ secret per line; every line signs each callback, so the client can rotate keys.
    callback_secrets = models.TextField(blank=True, editable=False)
    callback_disabled_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why callbacks stopped (e.g. “410 Gone”, set automatically). Clear it to send them again.",
    )

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

    def callback_secret_list(self) -> list[str]:
        return [line.strip() for line in self.callback_secrets.splitlines() if line.strip()]

    @property
    def wants_callbacks(self) -> bool:
        configured = bool(self.callback_url and self.callback_secret_list())
        return configured and self.is_active and not self.callback_disabled_reason


class ApiFiling(models.Model):
    """Which client filed a report, and the Open311 fields the report itself has no place for.

    Media URLs are recorded, never fetched: the server does not go and download what a client names.
    """

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="api_filing")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="filings")
    media_urls = models.JSONField(default=list, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    account_id = models.CharField(max_length=100, blank=True)
    address_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.report_id} by {self.client_id}"

    @property
    def media_url(self) -> str:
        return self.media_urls[0] if self.media_urls else ""


class ApiUpdate(models.Model):
    """A comment a client posted to servicerequestupdates (mySociety's extension), and the reply it became.

    The client's own update_id is unique per client: a comment sent again gets the first answer and changes
    nothing. The commenter's name and contact are for staff only; media URLs are recorded, never fetched.
    """

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="updates")
    update_id = models.CharField(max_length=100)
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="api_updates")
    event = models.OneToOneField(ReportEvent, on_delete=models.CASCADE, related_name="api_update")
    # What the client said the status was. Never applied: staff decide a report's status.
    status = models.CharField(max_length=40, blank=True)
    updated_at_client = models.DateTimeField(null=True, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=100, blank=True)
    media_urls = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A comment posted twice (a retry after a lost answer) is found here, not recorded again.
            models.UniqueConstraint(fields=["client", "update_id"], name="open311_update_once_per_client"),
        ]

    def __str__(self) -> str:
        return f"{self.update_id} by {self.client_id} on {self.report_id}"


class CallbackAttempt(models.Model):
    """One try at posting a callback to a client: when, the answer, how long it took."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="callback_attempts")
    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="callback_attempts")
    webhook_id = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "id"]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.status_code or self.error[:40]}"
