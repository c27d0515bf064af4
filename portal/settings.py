"""Settings come from the environment only; every variable is listed in .env.example.

The defaults run with no setup at all (SQLite in WAL mode, Celery over kombu's filesystem
transport, mail written to files); a deployment sets DATABASE_URL, CELERY_BROKER_URL, CACHE_URL
and the mail variables. A value that cannot be parsed stops the process at start.
"""

from __future__ import annotations

import importlib.util
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


# "NAME=value   # note" in an environment file: bash drops the note, systemd's EnvironmentFile= keeps it as
# part of the value. Refused at start, or "/var/lib/evidence   # or S3" would quietly become a folder.
INLINE_COMMENT = re.compile(r"(?:^|\s)#.*", re.DOTALL)


def env_str(name: str, default: str = "", *, secret: bool = False) -> str:
    # An empty value (NAME= in a .env file) means "not set", so copying .env.example changes nothing.
    value = os.environ.get(name, "").strip()
    comment = None if secret else INLINE_COMMENT.search(value)
    if comment:
        # Only the comment is quoted: the rest of the value may hold a password (DATABASE_URL).
        raise ImproperlyConfigured(
            f"{name} ends with an inline comment ({comment[0].strip()[:40]!r}): inline comments are not "
            "allowed in the environment file, because systemd keeps them as part of the value. Put the "
            "comment on a line of its own."
        )
    return value or default


def env_secret(name: str, default: str = "") -> str:
    # Secret keys and passwords may legitimately contain " #", so they are taken as they are.
    return env_str(name, default, secret=True)


def env_path(name: str, default: Path) -> Path:
    value = env_str(name)
    return Path(value) if value else default


def env_file(name: str) -> str:
    """The path of a file that must be there at start, or "" when unset."""
    value = env_str(name)
    if value and not Path(value).is_file():
        raise ImproperlyConfigured(f"{name} names no file: {value!r}")
    return value


def env_url(name: str, default: str) -> str:
    """An absolute http(s) URL without a trailing slash, e.g. https://311.example.gov."""
    url = env_str(name, default).rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url):
        raise ImproperlyConfigured(
            f"{name} must be an absolute URL such as https://311.example.gov, not {url!r}"
        )
    return url


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name, "1" if default else "0").lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env_str(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def local_secret_key(path: Path) -> str:
    # The embedded default keeps a key of its own so `make run` needs no setup; web, worker and
    # beat all read the same file. A deployment sets SECRET_KEY instead. The key is written whole to a
    # file of this process's own, then linked into place: processes starting together never read a
    # file another one has created but not yet written (an empty key), and all keep the first one linked.
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.write_text(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink(missing_ok=True)
    return path.read_text().strip()


VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")
DEBUG = env_bool("DEBUG")
SECRET_KEY = env_secret("SECRET_KEY") or local_secret_key(VAR_DIR / "secret_key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Absolute links in emails (status link, reply link) are built from this.
SITE_URL = env_url("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "modeltranslation",  # must precede django.contrib.admin
    "reports.admin_site.VerifiedAdminConfig",  # django.contrib.admin, behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS and JS, served locally
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "reports",
    "traffic",
    "open311",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's, keeping each session's device per process: sets request.user.is_verified()
    "reports.second_factor.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "reports.context_processors.city",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# A kept connection is checked before each request (and each task) reuses it: after a PostgreSQL restart
# or failover it is dead, and the check replaces it instead of the resident getting the error.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that does not answer fails the request (our error page) instead of holding it forever.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=2)
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Kept too: opening a connection runs the PRAGMAs, and closing the last one checkpoints the WAL,
    # which a worker paid after every task and the web after every request (bench/README.md).
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue up instead of failing halfway with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


# --- Cache (rate limits) ------------------------------------------------------------------------
# Every call to Redis (a rate-limit count, publishing a task, /healthz) gives up after this many
# milliseconds: a Redis that hangs must not hang the residents' requests with it.
REDIS_TIMEOUT_MS = env_int("REDIS_TIMEOUT_MS", 500, minimum=50)


def cache_from_url(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme in ("redis", "rediss"):
        # A Redis that is down or hung counts nothing for a few seconds (the limiter lets residents through,
        # RATELIMIT_FAIL_OPEN) instead of failing their request: reports.ratelimits.FailOpenRedisCache.
        seconds = REDIS_TIMEOUT_MS / 1000
        return {
            "BACKEND": "reports.ratelimits.FailOpenRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": seconds, "socket_timeout": seconds},
        }
    if scheme == "file":
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": urlsplit(url).path,
        }
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if scheme == "diskcache":
        # A folder of SQLite files shared by every process on this machine; its incr is atomic, so rate
        # limits count the requests of every gunicorn worker together (Django's file cache loses hits).
        # Its connections kept between requests (portal/caches.py).
        return {"BACKEND": "portal.caches.KeptDiskCache", "LOCATION": url.split("://", 1)[1]}
    raise ImproperlyConfigured(
        f"CACHE_URL must start with redis://, rediss://, diskcache:// or file://, not {url!r}"
    )


CACHES = {"default": cache_from_url(env_str("CACHE_URL", f"diskcache://{VAR_DIR.resolve() / 'cache'}"))}

# --- Auth -------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "staff-login"
LOGIN_REDIRECT_URL = "staff-home"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account before checking it
    "reports.access.PermissionsBackend",  # Django's ModelBackend, each account's permissions kept per process
]
# Repeated failed sign-ins lock that account from that address for a while. By the pair, not the
# username alone, so nobody can lock a colleague out by typing their name with wrong passwords; and not
# by the address alone, so one call-centre agent's typos (one address for all) lock out no one else.
AXES_FAILURE_LIMIT = env_int("STAFF_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("STAFF_LOGIN_LOCKOUT_MINUTES", 30, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "reports/staff/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# Its start-up banner is noise in `manage.py check` and in every process's first log line.
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "reports.ratelimits.client_address"
# Staff pages and the admin also need a code from an authenticator app, or a backup code, after the
# password (docs/security.md). Off only for a throwaway demo: never on a site with real reports.
STAFF_REQUIRE_2FA = env_bool("STAFF_REQUIRE_2FA", True)
# Administrators reset a lost device in the admin; they need not see anyone's secret key or codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
# Minneapolis' community languages, most-called first (docs/translations.md: who reviewed what).
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("so", _("Somali")), ("hmn", _("Hmong"))]
# Django ships no Somali or Hmong of its own, so it knows neither code: without these entries
# get_language_info() (the language switcher) raises KeyError. The names are each language's own.
LANG_INFO.update(
    {
        "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
        "hmn": {"bidi": False, "code": "hmn", "name": "Hmong", "name_local": "Hmoob"},
    }
)
LOCALE_PATHS = [BASE_DIR / "locale"]
# The catalog (types, questions, choices, reasons, advice, holidays) has a column per language:
# name_en, name_es, name_so, name_hmn. A text left empty reads in English.
MODELTRANSLATION_LANGUAGES = ("en", "es", "so", "hmn")
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
USE_I18N = True
FORMAT_MODULE_PATH = ["portal.formats"]
TIME_ZONE = env_str("TIME_ZONE", "America/Chicago")
USE_TZ = True

# --- The city: what residents are told, in one place ---------------------------------------
CITY_NAME = env_str("CITY_NAME", "Minneapolis")
# The licence the open data at /figures/open-data/ is published under (docs/open-data.md).
OPEN_DATA_LICENCE = env_str("OPEN_DATA_LICENCE", "ODC-PDDL-1.0")
PHONE_EMERGENCY = env_str("PHONE_EMERGENCY", "911")
PHONE_POLICE_NON_EMERGENCY = env_str("PHONE_POLICE_NON_EMERGENCY", "612-673-5335")
PHONE_311 = env_str("PHONE_311", "311")
PHONE_311_OUTSIDE = env_str("PHONE_311_OUTSIDE", "612-673-3000")
# The name authenticator apps show next to a staff member's codes.
OTP_TOTP_ISSUER = f"{CITY_NAME} 311"
# "off" turns the map off (an empty value means "not set", as everywhere); with a tile server that does
# not answer, the map steps aside and the address fields carry the report.
MAP_TILE_URL = env_str("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
if MAP_TILE_URL.lower() == "off":
    MAP_TILE_URL = ""
MAP_ATTRIBUTION = env_str("MAP_ATTRIBUTION", "© OpenStreetMap contributors")

# --- Static files and evidence ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")
# Leaflet's files come from the django-leaflet package; its Django app is not installed (its admin
# needs GeoDjango), only the files are served.
LEAFLET_STATIC = (
    Path(importlib.util.find_spec("leaflet").submodule_search_locations[0]) / "static" / "leaflet"
)
STATICFILES_DIRS = [BASE_DIR / "static", ("leaflet", LEAFLET_STATIC)]
EVIDENCE_ROOT = env_path("EVIDENCE_ROOT", VAR_DIR / "evidence")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Evidence is private: no base_url, so nothing can build a public link to it. Pages show it
    # through views that check who is asking.
    "evidence": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(EVIDENCE_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}


# "local" keeps evidence in EVIDENCE_ROOT; "s3" in a private bucket of any S3-compatible service, with
# credentials from the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the machine's role).
def s3_evidence_storage(bucket: str, *, endpoint_url: str | None, region: str | None, prefix: str, acl: str):
    if not bucket:
        raise ImproperlyConfigured("EVIDENCE_STORAGE=s3 needs EVIDENCE_S3_BUCKET")
    # "private" on every object; "none" sends no ACL, for buckets with ACLs turned off (AWS's default
    # for new buckets), where objects belong to the bucket owner and are private anyway.
    if acl not in ("private", "none"):
        raise ImproperlyConfigured(f"EVIDENCE_S3_ACL must be private or none, not {acl!r}")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "location": prefix,
            "default_acl": None if acl == "none" else acl,
            # Nothing of ours asks a storage for a URL (evidence goes out through views that check
            # who is asking); should anything ever do so, it gets a signed link that expires in
            # minutes, never a public one.
            "querystring_auth": True,
            "querystring_expire": 300,
            "custom_domain": None,
            # An original is never replaced: a name that exists gets another one (chain of custody).
            "file_overwrite": False,
            # Path-style requests work with every S3-compatible server (MinIO, Ceph, moto...).
            "addressing_style": "path" if endpoint_url else None,
            "signature_version": "s3v4",
        },
    }


EVIDENCE_STORAGE = env_str("EVIDENCE_STORAGE", "local")
if EVIDENCE_STORAGE == "s3":
    STORAGES["evidence"] = s3_evidence_storage(
        env_str("EVIDENCE_S3_BUCKET"),
        endpoint_url=env_str("EVIDENCE_S3_ENDPOINT_URL") or None,
        region=env_str("EVIDENCE_S3_REGION") or None,
        prefix=env_str("EVIDENCE_S3_PREFIX"),
        acl=env_str("EVIDENCE_S3_ACL", "private"),
    )
elif EVIDENCE_STORAGE != "local":
    raise ImproperlyConfigured(f"EVIDENCE_STORAGE must be local or s3, not {EVIDENCE_STORAGE!r}")
WHITENOISE_USE_FINDERS = DEBUG
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_MB", 15, minimum=1) * 1024 * 1024
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 10, minimum=1)
# Larger than any phone camera (a 48 MP iPhone photo is 48 million); a file that declares more is
# refused before it is decoded.
EVIDENCE_MAX_PIXELS = env_int("EVIDENCE_MAX_PIXELS", 64_000_000, minimum=1_000_000)
# Memory (MiB) making one photo's copies may take, worked out from its header; more is refused unread.
# 128 takes a 24 MP iPhone HEIC (it needs 123), a 26 MP PNG, any camera JPEG (progressive ones to 19 MP),
# but WebP only to 8 MP (Pillow's decoder holds 16 bytes a pixel). Peaks stay under 140 MB: see bench/.
EVIDENCE_DECODE_BUDGET_MB = env_int("EVIDENCE_DECODE_BUDGET_MB", 128, minimum=96)
# Uploads above this size stream to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = env_str("FILE_UPLOAD_TEMP_DIR") or None

# --- Filing ---------------------------------------------------------------------------------------
# An unfinished report is kept this long after its last change for the resident to come back to (a
# week, so a "save and come back later" link still works next weekend), then purged with its files.
DRAFT_TTL_HOURS = env_int("DRAFT_TTL_HOURS", 168, minimum=1)
# Official case numbers: PREFIX + two-digit year + a counter, e.g. MP26-000123.
CASE_NUMBER_PREFIX = env_str("CASE_NUMBER_PREFIX", "MP")
FILING_RATE = env_str("FILING_RATE", "10/h")
FILING_STEP_RATE = env_str("FILING_STEP_RATE", "300/h")
# Opening status pages, per client address.
STATUS_LOOKUP_RATE = env_str("STATUS_LOOKUP_RATE", "120/h")
# How many proxies in front of us append to X-Forwarded-For; 0 trusts none and uses the socket.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
RATELIMIT_VIEW = "reports.views.errors.too_many_requests"
# A refused form (its CSRF token too old, or missing) gets our page, in the visitor's language.
CSRF_FAILURE_VIEW = "reports.views.errors.csrf_failure"
# If the shared cache (Redis) is down, let residents file rather than show them an error: the outbox
# keeps their report safe, and an hour without a rate limit is the lesser harm.
RATELIMIT_FAIL_OPEN = True
RATELIMIT_IP_META_KEY = "reports.ratelimits.client_address"

# --- The approved copy: signed, and checked at /verify/ (reports/signing.py, docs/deploy.md) -----------
# The city's document-signing certificate and its private key (PEM or DER files), and the intermediate
# certificates up to its authority's root (one PEM file, optional). Unset, the portal signs with a
# self-signed pair it makes under VAR_DIR/signing/ when first needed: fine for `make run` and a pilot,
# but a PDF reader then names no signer it knows.
REPORT_SIGNING_CERT = env_file("REPORT_SIGNING_CERT")
REPORT_SIGNING_KEY = env_file("REPORT_SIGNING_KEY")
REPORT_SIGNING_KEY_PASSWORD = env_secret("REPORT_SIGNING_KEY_PASSWORD")
REPORT_SIGNING_CHAIN = env_file("REPORT_SIGNING_CHAIN")
if bool(REPORT_SIGNING_CERT) != bool(REPORT_SIGNING_KEY):
    raise ImproperlyConfigured("REPORT_SIGNING_CERT and REPORT_SIGNING_KEY must be set together, or neither")
REPORT_SIGNING_DIR = VAR_DIR / "signing"
# Opening /verify/<code> pages, per client address: a code cannot be guessed, and nobody gets to try.
VERIFY_RATE = env_str("VERIFY_RATE", "60/h")

# --- Open311 -----------------------------------------------------------------------------------------
# Requests per API key (per address without a key).
OPEN311_RATE = env_str("OPEN311_RATE", "120/m")
# Publish the location-stripped copies of photos filed with public (parking) reports as media_url.
# Off by default: such photos usually show a plate, and residents are told evidence stays private.
OPEN311_PUBLISH_PHOTOS = env_bool("OPEN311_PUBLISH_PHOTOS")

# --- Mail -------------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(env_path("EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{CITY_NAME} 311 <no-reply@311.example.org>")

# --- Text messages (reports/sms.py) ------------------------------------------------------------------
# The file backend writes each text to SMS_FILE_PATH (for `make run`); Twilio's sends it for real.
SMS_BACKEND = env_str("SMS_BACKEND", "reports.sms.FileBackend")
SMS_FILE_PATH = env_path("SMS_FILE_PATH", VAR_DIR / "sms")
SMS_TIMEOUT = env_int("SMS_TIMEOUT", 15, minimum=1)
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
# Also the key that signs Twilio's requests to /sms/inbound/: without it every inbound request is refused.
TWILIO_AUTH_TOKEN = env_secret("TWILIO_AUTH_TOKEN")
# Either a sending number (E.164) or a messaging service.
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
TWILIO_MESSAGING_SERVICE_SID = env_str("TWILIO_MESSAGING_SERVICE_SID")
# Twilio's API address; only a test points it elsewhere (a fake provider on loopback).
TWILIO_API_URL = env_url("TWILIO_API_URL", "https://api.twilio.com")
# The 6-digit code that confirms a resident's number: how long it lives, how many guesses it allows, and
# how many codes one number and one address may ask for in an hour.
SMS_CODE_MINUTES = env_int("SMS_CODE_MINUTES", 10, minimum=1)
SMS_CODE_ATTEMPTS = env_int("SMS_CODE_ATTEMPTS", 5, minimum=1)
SMS_CODES_PER_NUMBER = env_int("SMS_CODES_PER_NUMBER", 5, minimum=1)
SMS_CODES_PER_ADDRESS = env_int("SMS_CODES_PER_ADDRESS", 10, minimum=1)
SMS_CODE_RESEND_SECONDS = env_int("SMS_CODE_RESEND_SECONDS", 30, minimum=0)
# Numbers without a country code are read as this country's.
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION", "US")

# --- Celery -------------------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        # The folder is polled; once a second (kombu's default) would be most of a hand-off's latency. A
        # worker whose threads all hold a task also waits this long before it takes the next, so it bounds
        # a worker of eight threads at 8 tasks an interval: 80 hand-offs a second with two at 0.2 s, 260
        # at 0.05 (bench/README.md). An idle worker polling this often uses 0.4 % of a core.
        "polling_interval": 0.05,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {
        "visibility_timeout": 3600,
        # A publish (after a filing commits, or from the sweeper) connects once and gives up: the work is safe
        # in the outbox, and the sweeper sends it when the broker is back. kombu's default retries for
        # seconds, and that was the resident's Send button.
        "max_retries": 0,
    }
)
if CELERY_BROKER_URL.startswith(("redis", "rediss")):
    # A hung Redis must not hold a publish (or /healthz) for longer than a Redis call may take.
    CELERY_BROKER_TRANSPORT_OPTIONS |= {
        "socket_connect_timeout": REDIS_TIMEOUT_MS / 1000,
        "socket_timeout": REDIS_TIMEOUT_MS / 1000,
    }
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when it has run, so a worker that dies mid-task leaves it queued.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fix-up closes the database connection before and after every task unless this is set;
# then it closes it only every this many tasks, and portal/celery.py closes an old or broken one between
# tasks the way Django does between requests (CONN_MAX_AGE, CONN_HEALTH_CHECKS). A new connection for
# every task cost a worker a third of its time on SQLite, and a server process each time on PostgreSQL.
CELERY_DB_REUSE_MAX = 1000
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The sweeper's query reads only pending rows that are due (an index), so running it often is cheap; often
# is what sends the work waiting for a broker that was down within seconds of its return.
OUTBOX_SWEEP_SECONDS = env_int("OUTBOX_SWEEP_SECONDS", 5, minimum=1)
# A row whose wake-up call did reach the broker, still pending this long after it was due, was lost inside
# the broker (a Redis restarted empty) and is sent again. Rows whose wake-up call failed, and rows whose
# worker died (their lease ran out), are sent at the next sweep.
OUTBOX_STUCK_SECONDS = env_int("OUTBOX_STUCK_SECONDS", 120, minimum=1)
# Failed work is tried again with exponential backoff and jitter, starting at this many seconds, until
# its window closes; then it is dead-lettered for a supervisor to look at.
OUTBOX_RETRY_BASE_SECONDS = env_int("OUTBOX_RETRY_BASE_SECONDS", 30, minimum=1)
OUTBOX_EMAIL_RETRY_HOURS = env_int("OUTBOX_EMAIL_RETRY_HOURS", 24, minimum=0)
OUTBOX_SMS_RETRY_HOURS = env_int("OUTBOX_SMS_RETRY_HOURS", 24, minimum=0)
# A worker holds a row this long before another may take it over (a worker killed mid-task). Hand-offs
# may take a connect and a 30-second read (traffic/client.py), and a slow one must never run twice at once.
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300, minimum=1)
# Emails take seconds; a killed worker's email is sent again this soon (the same Message-ID, so the relay
# and the resident's mail client can tell it is one message). Keep it well above EMAIL_TIMEOUT.
OUTBOX_EMAIL_LEASE_SECONDS = env_int("OUTBOX_EMAIL_LEASE_SECONDS", 60, minimum=1)

# --- Traffic Control (docs/traffic-control.md) -------------------------------------------------------
# "board": Traffic Control works parking tickets on the portal's own board (/traffic/).
# "webhook": each parking report is also delivered to every active Traffic endpoint (admin).
TRAFFIC_HANDOFF = env_str("TRAFFIC_HANDOFF", "board")
if TRAFFIC_HANDOFF not in ("board", "webhook"):
    raise ImproperlyConfigured(f"TRAFFIC_HANDOFF must be board or webhook, not {TRAFFIC_HANDOFF!r}")
TRAFFIC_RETRY_HOURS = env_int("TRAFFIC_RETRY_HOURS", 48, minimum=24)
# How long a status callback to an Open311 client keeps being retried before it is dead-lettered.
OPEN311_CALLBACK_RETRY_HOURS = env_int("OPEN311_CALLBACK_RETRY_HOURS", 48, minimum=1)
# Endpoints on loopback, private, link-local or reserved addresses are refused (in the admin and at each
# delivery), so an endpoint cannot turn the portal against machines inside the city's network. true only
# for a receiver on the same machine or network: tests, benchmarks, a demo.
TRAFFIC_ALLOW_PRIVATE_URLS = env_bool("TRAFFIC_ALLOW_PRIVATE_URLS")
# Photo links in a delivery stay valid this long.
TRAFFIC_PHOTO_LINK_DAYS = env_int("TRAFFIC_PHOTO_LINK_DAYS", 7, minimum=1)
# A parking ticket resolved sooner than this after its dispatch is flagged for supervisors, as is one
# resolved without ever being on scene (docs/traffic-control.md, "Closures that look too fast").
TRAFFIC_FAST_CLOSURE_MINUTES = env_int("TRAFFIC_FAST_CLOSURE_MINUTES", 5, minimum=1)
# The hour (0-23, the city's time) of the supervisors' daily digest, on working days (reports/digests.py).
SUPERVISOR_DIGEST_HOUR = env_int("SUPERVISOR_DIGEST_HOUR", 7)
if SUPERVISOR_DIGEST_HOUR > 23:
    raise ImproperlyConfigured(f"SUPERVISOR_DIGEST_HOUR must be 0 to 23, not {SUPERVISOR_DIGEST_HOUR}")
# Days after a report closes before its resident is asked whether it was easy to report and whether they
# are satisfied (reports/follow_ups.py); once per report, by email or text.
FOLLOW_UP_DAYS = env_int("FOLLOW_UP_DAYS", 3, minimum=1)
CELERY_BEAT_SCHEDULE = {
    # A sweep still queued when the next one is due is dropped: a busy worker does not face a pile of them.
    "sweep-outbox": {
        "task": "reports.tasks.sweep_outbox",
        "schedule": OUTBOX_SWEEP_SECONDS,
        "options": {"expires": OUTBOX_SWEEP_SECONDS},
    },
    "purge-abandoned-drafts": {"task": "reports.tasks.purge_abandoned_drafts", "schedule": 3600},
    "follow-up-info-requests": {"task": "reports.tasks.follow_up_info_requests", "schedule": 900},
    "heartbeat": {"task": "reports.tasks.heartbeat", "schedule": 30},
    "ask-follow-up-questions": {"task": "reports.tasks.ask_follow_up_questions", "schedule": 3600},
    "escalate-overdue-tickets": {"task": "reports.tasks.escalate_overdue_tickets", "schedule": 60},
    # Working days only (reports/digests.py decides), at this hour of the city's time.
    "supervisor-digests": {
        "task": "reports.tasks.queue_supervisor_digests",
        "schedule": crontab(hour=SUPERVISOR_DIGEST_HOUR, minute=0),
    },
    "purge-expired-reports": {"task": "reports.tasks.purge_expired_reports", "schedule": 24 * 3600},
}

# --- Operations -------------------------------------------------------------------------------------------
# /healthz calls the worker dead when its last heartbeat (every 30 s, from beat) is older than this.
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 180, minimum=30)
# Below this much free space where evidence is kept (local storage), /healthz and the supervisors' figures
# page warn, long before uploads start failing. A warning keeps /healthz at 200: every web process shares
# the volume, so taking them out of the load balancer would stop filing altogether.
EVIDENCE_MIN_FREE_MB = env_int("EVIDENCE_MIN_FREE_MB", 2048, minimum=0)
# Closed reports and their evidence are purged this many days after closing (7 years by default).
RETENTION_DAYS = env_int("RETENTION_DAYS", 2557, minimum=1)

# --- Forms and pages -------------------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security -------------------------------------------------------------------------------------------
# SECURE=true behind HTTPS: secure cookies, HSTS, redirect to https.
SECURE = env_bool("SECURE")
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12


def tile_origin(url: str) -> list[str]:
    parts = urlsplit(url.replace("{s}", "a"))
    if not parts.scheme:
        return []
    host = parts.netloc.replace("a.", "*.", 1) if "{s}" in url else parts.netloc
    return [f"{parts.scheme}://{host}"]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:", *tile_origin(MAP_TILE_URL)],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging ----------------------------------------------------------------------------------------
# LOG_FORMAT=json for production: one JSON object a line, with the tracking number where there is one.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # On the handler, so that every record written is redacted, whichever logger it came from.
    "filters": {"redact_tokens": {"()": "reports.redaction.RedactStatusTokens"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["redact_tokens"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "INFO"},
        "django.request": {"level": "WARNING"},
        # gunicorn gives these loggers handlers of their own and turns propagation off; configuring them
        # here replaces those handlers, so they must be given ours or the access log is lost.
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
# The worker logs through the handler above too (JSON under LOG_FORMAT=json, tokens redacted) instead
# of Celery replacing the root logger's handlers with its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
