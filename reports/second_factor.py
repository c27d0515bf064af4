"""The staff second factor: an authenticator app (TOTP) plus one-time backup codes (django-otp).

A session is "verified" once a code from one of the user's confirmed devices has been entered in it;
django-otp's OTPMiddleware then sets `request.user.otp_device`. Residents never have an account, so
nothing here touches them.
"""

from __future__ import annotations

import copy
import re
from base64 import b32encode

import django_otp
import django_otp.middleware
import segno
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .versions import PerVersion, Version

BACKUP_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
BACKUP_CODES_NAME = "Backup codes"
SIX_DIGITS = re.compile(r"\d{6}")


def passed(request: HttpRequest) -> bool:
    """Whether this signed-in session may see staff pages."""
    if not settings.STAFF_REQUIRE_2FA:
        return True
    # Without OTPMiddleware (a request built by hand) there is no is_verified(): not verified.
    is_verified = getattr(request.user, "is_verified", None)
    return request.user.is_authenticated and is_verified is not None and is_verified()


def has_authenticator(user: AbstractBaseUser) -> bool:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def needs_enrolment(user: AbstractBaseUser) -> bool:
    """Never enrolled, or an administrator removed every device (the reset): the password alone may set
    up an app. The confirmed backup-codes device outlives its codes, so using them all up is not a reset."""
    return not (has_authenticator(user) or StaticDevice.objects.filter(user=user, confirmed=True).exists())


def out_of_codes(user: AbstractBaseUser) -> bool:
    """Enrolled, but with no app and no backup code left: only an administrator's reset lets them in."""
    backup_codes = StaticDevice.objects.filter(user=user, confirmed=True)
    codes_left = StaticToken.objects.filter(device__in=backup_codes).exists()
    return backup_codes.exists() and not codes_left and not has_authenticator(user)


def may_enrol(request: HttpRequest) -> bool:
    # Someone who came in with a backup code (no app yet) may set one up too.
    user = request.user
    return needs_enrolment(user) or (user.is_verified() and not has_authenticator(user))


def pending_authenticator(user: AbstractBaseUser) -> TOTPDevice:
    """The unconfirmed device being set up, the same one on every reload so the QR code stays valid."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)


def confirm_enrolment(request: HttpRequest, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the app with a code it shows; returns the new backup codes, or None if the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, confirmed=False).first()
        if device is None or not device.verify_token(normalized(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
        codes = replace_backup_codes(device.user)
    sign_in(request, device)
    return codes


def replace_backup_codes(user: AbstractBaseUser) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_CODES_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def verify(request: HttpRequest, code: str) -> Device | None:
    """Check a code against the user's app, then their backup codes; on success the session is verified.

    Each device throttles its own failures (django-otp doubles the wait after each wrong code)."""
    code = normalized(code)
    user = request.user
    candidates = [
        *(TOTPDevice.objects.devices_for_user(user) if SIX_DIGITS.fullmatch(code) else []),
        *StaticDevice.objects.devices_for_user(user),
    ]
    for candidate in candidates:
        device = django_otp.verify_token(user, candidate.persistent_id, code)
        if device is not None:
            sign_in(request, device)
            return device
    return None


def throttled(user: AbstractBaseUser) -> bool:
    """Whether every device of the user is waiting out a run of wrong codes."""
    devices = list(django_otp.devices_for_user(user))
    return bool(devices) and not any(device.verify_is_allowed()[0] for device in devices)


def sign_in(request: HttpRequest, device: Device) -> None:
    # A new session key for the raised privilege, as django.contrib.auth.login does for a password.
    request.session.cycle_key()
    django_otp.login(request, device)


def normalized(code: str) -> str:
    # People type codes with spaces ("123 456") or read backup codes out in capitals.
    return re.sub(r"[\s-]", "", code or "").lower()


def secret_for_typing(device: TOTPDevice) -> str:
    """The key as an authenticator app asks for it when the QR code cannot be scanned: base32, in fours."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device: TOTPDevice) -> str:
    # An <img> with a data: URI: no inline script or style, so the strict CSP holds.
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, dark="#000", light="#fff")


# --- The session's device, read once per process ---------------------------------------------------------

DEVICES = Version("second-factor:devices")
KEPT_DEVICES = 1000  # more than a city has staff signed in; past it, devices are read as before


# One process's copy for one version of the devices: each verified session's device, by the persistent id
# the session holds.
_kept: PerVersion[dict[str, Device]] = PerVersion(DEVICES, dict)


class OTPMiddleware(django_otp.middleware.OTPMiddleware):
    """django-otp's middleware, with the device a verified session names kept per process instead of read
    (one query) on every staff request: on the queue page that read cost about half a millisecond of CPU
    of its 8 to 12 (in-process on PostgreSQL, bench/README.md). The copy lasts until its version moves,
    which any save or deletion of any device does (connect()): a device deleted (an administrator's reset,
    a new enrolment), unconfirmed or given to another account stops verifying the session at its next
    request. The account itself is still read every request, and django-otp still checks that the device
    is the account's and confirmed."""

    def _device_from_persistent_id(self, persistent_id: str) -> Device | None:
        kept = _kept.current()
        device = kept.get(persistent_id)
        if device is None:
            device = super()._device_from_persistent_id(persistent_id)
            if device is None:
                return None
            if len(kept) < KEPT_DEVICES:
                kept[persistent_id] = device
        # A copy for each request: a view may verify a code with it, which changes and saves it.
        return copy.copy(device)


def devices_changed(**kwargs) -> None:
    DEVICES.changed()


def connect() -> None:
    # Every kind of device django-otp's plugins define. Django sends these for a queryset's delete() and
    # for the devices an account's deletion takes with it; a change made with update() or raw SQL must
    # call DEVICES.changed() itself.
    for model in apps.get_models():
        if issubclass(model, Device):
            for signal in (post_save, post_delete):
                signal.connect(devices_changed, sender=model, dispatch_uid=f"second-factor-{model.__name__}")
