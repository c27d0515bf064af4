"""What every API call goes through before its view: format, method, parameters, key, rate limit.

Any Open311Error raised on the way, or by the view, becomes the specification's error list in the
format the client asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, QueryDict, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt
from django_ratelimit.core import get_usage

from reports.ratelimits import client_address

from .formats import CONTENT_TYPES, JSON, XML, Open311Error, bad_request, error_response, not_found
from .models import ApiClient

MAX_BODY_BYTES = 1024 * 1024  # everything but photos
MAX_KEY_LENGTH = 200
TOO_LARGE = f"The request is larger than {MAX_BODY_BYTES // 1024 // 1024} MB."
FIELDS_TOO_LARGE = f"The request's fields (photos aside) are larger than {MAX_BODY_BYTES // 1024 // 1024} MB."


def endpoint(*methods: str, key_required_for: tuple[str, ...] = ()) -> Callable:
    allowed = {*methods, "HEAD"} if "GET" in methods else set(methods)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request: HttpRequest, fmt: str, **kwargs) -> HttpResponse:
            if fmt not in CONTENT_TYPES:
                return error_response(XML, not_found(f"No format “{fmt[:10]}”: use .xml or .json."))
            try:
                check_method(request, allowed)
                params = read_params(request)
                client = authenticate(request, params, required=request.method in key_required_for)
                return view(request, fmt=fmt, params=params, client=client, **kwargs)
            except Open311Error as error:
                return error_response(fmt, error)

        return csrf_exempt(wrapper)

    return decorator


def check_method(request: HttpRequest, allowed: set[str]) -> None:
    if request.method not in allowed:
        methods = ", ".join(sorted(allowed))
        raise Open311Error(405, [f"Use {methods} here."], headers={"Allow": methods})


# --- Parameters ----------------------------------------------------------------------------------------


def read_params(request: HttpRequest) -> QueryDict:
    try:
        if request.method != "POST":
            return request.GET
        check_body_size(request)
        check_fields_size(request.POST)
        params = request.GET.copy()
        params.update(request.POST)  # the body wins; api_key may come in the query string
        return params
    except RequestDataTooBig:  # Django's own limit on the fields (DATA_UPLOAD_MAX_MEMORY_SIZE)
        raise bad_request(FIELDS_TOO_LARGE if is_multipart(request) else TOO_LARGE) from None
    except (TooManyFieldsSent, TooManyFilesSent):
        raise bad_request("The request has too many parameters.") from None
    except (MultiPartParserError, UnreadablePostError):
        raise bad_request("The request body could not be read.") from None


def check_body_size(request: HttpRequest) -> None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise bad_request("The Content-Length header is not a number.") from None
    if length > max_body_bytes(request):
        raise bad_request(body_too_large(request))


def is_multipart(request: HttpRequest) -> bool:
    return request.content_type == "multipart/form-data"


def max_body_bytes(request: HttpRequest) -> int:
    # Photos come as multipart files, each up to the evidence limit, as many as a resident may attach.
    if is_multipart(request):
        return MAX_BODY_BYTES + settings.EVIDENCE_MAX_FILES * settings.EVIDENCE_MAX_BYTES
    return MAX_BODY_BYTES


def body_too_large(request: HttpRequest) -> str:
    if not is_multipart(request):
        return TOO_LARGE
    files, mb = settings.EVIDENCE_MAX_FILES, settings.EVIDENCE_MAX_BYTES // 1024 // 1024
    total = max_body_bytes(request) // 1024 // 1024
    return f"The request is larger than {total} MB ({files} photos of {mb} MB at most, and 1 MB besides)."


def check_fields_size(fields: QueryDict) -> None:
    # A multipart body may be large for its photos, never for its fields.
    size = sum(len(name) + len(value) for name, values in fields.lists() for value in values)
    if size > MAX_BODY_BYTES:
        raise bad_request(FIELDS_TOO_LARGE)


# --- Who is asking, and how often ---------------------------------------------------------------------


def authenticate(request: HttpRequest, params: QueryDict, *, required: bool) -> ApiClient | None:
    """The client behind api_key. A key is optional for reads, but one that is sent must be valid."""
    key = params.get("api_key", "").strip()
    client = ApiClient.find_active(key) if key and len(key) <= MAX_KEY_LENGTH else None
    # Counted before the key is judged, so guessing keys is rate limited like anything else.
    check_rate(request, client)
    if key and client is None:
        raise Open311Error(403, ["api_key: This key is not valid, or it has been revoked."])
    if required and client is None:
        raise Open311Error(403, ["api_key: An API key is required to file a request."])
    return client


def rate() -> str:
    return getattr(settings, "OPEN311_RATE", "120/m")


def check_rate(request: HttpRequest, client: ApiClient | None) -> None:
    who = f"client:{client.pk}" if client else f"address:{client_address(request)}"
    usage = get_usage(request, group="open311", key=lambda group, request: who, rate=rate(), increment=True)
    if usage and usage["should_limit"]:
        # The seconds until the window this call was counted in ends; at least one.
        retry_after = str(max(usage["time_left"], 1))
        raise Open311Error(
            429,
            [f"Too many requests: at most {rate()} for one API key or address."],
            headers={"Retry-After": retry_after},
        )


def format_of_path(path: str) -> str:
    return JSON if path.endswith(".json") else XML


def site_url(request: HttpRequest) -> str:
    """SITE_URL when the deployment set it; otherwise the scheme and host this request came to (the Host
    header, checked against ALLOWED_HOSTS; https behind a trusted proxy)."""
    if getattr(settings, "SITE_URL_IS_SET", True):
        return settings.SITE_URL
    return request.build_absolute_uri("/").rstrip("/")
