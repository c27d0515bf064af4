"""The Traffic Control client: every byte we send to, or accept from, a dispatch system goes through here.

Deliveries are signed the Standard Webhooks way (webhook-id, webhook-timestamp, webhook-signature:
HMAC-SHA256 over "id.timestamp.body"), with one signature per active secret so a receiver can rotate
keys. webhook-id is also the idempotency key: a redelivery carries the same id.
"""

from __future__ import annotations

import binascii
import ipaddress
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests
import requests.adapters
from django.conf import settings
from django.core import signing
from django.urls import reverse
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from reports import catalog, outbox
from reports.models import Evidence, Report

SCHEMA_VERSION = "2026-11-01"
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
RETRY_STATUSES = {408, 429}
PHOTO_SALT = "traffic-photo"
# Enough to tell an empty answer from an error page; the rest is not read.
BODY_BYTES_COUNTED = 64 * 1024


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int | None
    latency_ms: int
    error: str = ""
    refused: bool = False  # we did not connect: the address is not one we deliver to

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def worth_retrying(self) -> bool:
        # Timeouts, refused connections, 5xx, 408 and 429 may pass later; any other 4xx will not.
        code = self.status_code
        return not self.refused and (code is None or code >= 500 or code in RETRY_STATUSES)

    @property
    def endpoint_gone(self) -> bool:
        return self.status_code == 410

    def settle(self, *, when_gone: Callable[[], str]) -> None:
        """The outbox's answer to an attempt that was not delivered: a 410 turns the receiver off
        (when_gone does it and says how), what may pass later is retried, the rest dead-lettered."""
        failure = f"{self.status_code or 'no answer'}: {self.error}".strip()
        if self.endpoint_gone:
            raise outbox.GiveUp(f"{failure} ({when_gone()})")
        if self.worth_retrying:
            raise outbox.RetryLater(failure)
        raise outbox.GiveUp(failure)


def handoff_payload(
    report: Report, *, reopened: bool = False, photos: Iterable[Evidence] | None = None
) -> dict:
    """What Traffic Control needs to send enforcement, and nothing more: no name, email or phone.
    `reopened`: the resident said the vehicle was still there after the ticket was resolved. `photos`: the
    resident's files, when the caller has read them already (report.evidence.without_field_photos())."""
    # The resident's photos: Traffic Control's own from a closure (a reopened ticket) stay with staff.
    photos = report.evidence.without_field_photos() if photos is None else photos
    subtype = catalog.kinds()[1][report.subtype_id]  # the catalog's copy: no query
    return {
        "type": "parking_report.reopened" if reopened else "parking_report.created",
        "schema_version": SCHEMA_VERSION,
        "data": {
            "ticket_id": report.tracking_number,
            "problem": {"code": subtype.code, "name": subtype.name_en or subtype.name},
            "reported_at": report.created_at.isoformat(),
            "seen_at": report.occurred_from.isoformat(),
            "location": {
                "address": report.address,
                "detail": report.location_detail,
                "latitude": report.latitude,
                "longitude": report.longitude,
            },
            "vehicle": {
                "plate": report.vehicle_plate,
                "state": report.vehicle_state,
                "make": report.vehicle_make,
                "color": report.vehicle_colour,
            },
            "answers": report.answers,
            "notes": report.description,
            "photos": [photo_url(item.public_id) for item in photos if item.is_image],
        },
    }


def photo_url(public_id) -> str:
    # A signed, expiring link to the location-stripped copy: the dispatch system can fetch it without
    # an account, and nobody can guess another one.
    token = signing.dumps(str(public_id), salt=PHOTO_SALT)
    return settings.SITE_URL + reverse("traffic-photo", args=[token])


def photo_from_link(token: str) -> str | None:
    try:
        return signing.loads(token, salt=PHOTO_SALT, max_age=settings.TRAFFIC_PHOTO_LINK_DAYS * 86400)
    except signing.BadSignature:
        return None


def encode(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str)


def signature_headers(message_id: str, body: str, secrets: list[str], now: datetime | None = None) -> dict:
    now = now or datetime.now(tz=UTC)
    signatures = " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
    }


def post(url: str, message_id: str, body: str, secrets: list[str]) -> DeliveryResult:
    """The one outbound call. Never raises: every outcome is a result to record."""
    started = time.monotonic()
    try:
        # Checked again at each delivery: the name's DNS answer may have changed since the admin saved it.
        reason = refused_address(urlsplit(url).hostname or "")
    except (OSError, UnicodeError) as exc:
        return DeliveryResult(None, elapsed_ms(started), f"ConnectionError: cannot resolve the host ({exc})")
    if reason:
        return DeliveryResult(None, elapsed_ms(started), f"Refused: {reason}", refused=True)
    try:
        # A redirect is not followed: it could lead anywhere, a private address included.
        with http_session().post(
            url,
            data=body.encode(),
            headers=signature_headers(message_id, body, secrets),
            timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
            allow_redirects=False,
            stream=True,
        ) as response:
            size = body_size(response)
    except requests.RequestException as exc:
        return DeliveryResult(None, elapsed_ms(started), f"{type(exc).__name__}: {exc}"[:500])
    # Only the answer's length is kept: its text may hold the receiver's own secrets, and supervisors read
    # what is recorded here.
    return DeliveryResult(response.status_code, elapsed_ms(started), "" if response.ok else size)


class Sessions(threading.local):
    """One keep-alive connection pool per process and thread: a worker delivering one hand-off after
    another to the same receiver opens one TLS connection, not one each. Keyed by process too, so a
    forked worker never shares its parent's sockets."""

    pid: int = 0
    session: requests.Session | None = None


_sessions = Sessions()


def http_session() -> requests.Session:
    if _sessions.session is None or _sessions.pid != os.getpid():
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=4, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _sessions.session, _sessions.pid = session, os.getpid()
    return _sessions.session


def body_size(response: requests.Response) -> str:
    counted = 0
    for chunk in response.iter_content(chunk_size=8192):
        counted += len(chunk)
        if counted >= BODY_BYTES_COUNTED:
            return f"{BODY_BYTES_COUNTED}-byte body or more"
    return f"{counted}-byte body"


def refused_address(host: str) -> str:
    """Why `host` is not one we deliver to (it is, or resolves to, a non-public address); "" if it is.

    Raises OSError when the name does not resolve."""
    if settings.TRAFFIC_ALLOW_PRIVATE_URLS:
        return ""
    for address in addresses_of(host):
        if not is_public(address):
            return f"{host} is {address}, a private, loopback or reserved address"
    return ""


def addresses_of(host: str) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    answers = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    # Drop an IPv6 zone ("fe80::1%eth0"): ip_address() does not read it.
    return [answer[4][0].split("%")[0] for answer in answers]


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 reaches 127.0.0.1
    blocked = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )
    return ip.is_global and not blocked


def elapsed_ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def verify(body: bytes, headers: dict[str, str], secrets: list[str]) -> dict | None:
    """The JSON body if any of the secrets signed it within the last five minutes; None otherwise.

    A signed body that is not JSON raises ValueError: the sender is known, its request is malformed.
    """
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
        except (WebhookVerificationError, ValueError, binascii.Error, UnicodeDecodeError):
            continue
        return json.loads(body)
    return None
