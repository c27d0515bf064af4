"""What an external dispatch system calls: signed status updates, and the photo links we sent it."""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from reports import evidence, workflow

from . import client, queries, updates
from .models import InboundUpdate, TrafficEndpoint

MAX_UPDATE_BYTES = 64 * 1024  # an update's JSON, without a photo
MAX_WEBHOOK_ID = InboundUpdate._meta.get_field("webhook_id").max_length
STORAGE_RETRY_SECONDS = 300


def max_body_bytes() -> int:
    """An update with room for the base64 of the largest photo a resident may send (EVIDENCE_MAX_BYTES),
    and a sixteenth more for a JSON encoder that escapes its slashes ("\\/", as PHP's does)."""
    photo = 4 * -(-settings.EVIDENCE_MAX_BYTES // 3)
    return MAX_UPDATE_BYTES + photo + photo // 16


def problem(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signed_by(body: bytes, request) -> tuple[dict | None, TrafficEndpoint | None]:
    headers = {key.lower(): value for key, value in request.headers.items()}
    for endpoint in queries.active_endpoints():
        payload = client.verify(body, headers, endpoint.secret_list())
        if payload is not None:
            return payload, endpoint
    return None, None


def read_body(request, limit: int) -> bytes | None:
    """The body, or None when it is over `limit`. Read from the stream: request.body stops at
    DATA_UPLOAD_MAX_MEMORY_SIZE, which a photo passes."""
    body = request.read(limit + 1)
    return body if len(body) <= limit else None


@csrf_exempt
@require_POST
def status_update(request):
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return problem(400, "Content-Length is not a number.")
    limit = max_body_bytes()
    body = read_body(request, limit) if length <= limit else None
    if body is None:
        return problem(413, "The update is too large.")
    try:
        payload, endpoint = signed_by(body, request)
    except ValueError:
        return problem(400, "The body is not JSON.")
    if payload is None:
        return problem(401, "Bad signature, or a timestamp more than five minutes off.")
    if len(request.headers["webhook-id"]) > MAX_WEBHOOK_ID:  # InboundUpdate keeps it to dedupe replays
        return problem(400, f"The webhook-id is longer than {MAX_WEBHOOK_ID} characters.")
    try:
        result = updates.apply_update(request.headers["webhook-id"], payload, endpoint)
    except updates.UnknownTicket as exc:
        return problem(404, f"Unknown ticket {exc}.")
    except updates.BadUpdate as exc:
        return problem(400, str(exc))
    except (workflow.IllegalMove, workflow.NotAllowed) as exc:
        return problem(409, str(exc))
    except evidence.StorageUnavailable:
        # Nothing was applied: the same update, sent again later, is.
        response = problem(503, "The photo cannot be stored right now. Send the update again later.")
        response["Retry-After"] = str(STORAGE_RETRY_SECONDS)
        return response
    return JsonResponse({"result": result})


@require_GET
def photo(request, token):
    public_id = client.photo_from_link(token)
    item = queries.parking_photo(public_id) if public_id else None
    if item is None:
        raise Http404
    response = FileResponse(evidence.open_stored(item.derived.name), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("updates/", status_update, name="traffic-status-update"),
    path("photos/<str:token>.jpg", photo, name="traffic-photo"),
]
