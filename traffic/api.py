"""What an external dispatch system calls: signed status updates, and the photo links we sent it."""

from __future__ import annotations

from django.http import FileResponse, Http404, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from reports import evidence, workflow

from . import client, queries, updates
from .models import InboundUpdate, TrafficEndpoint

MAX_UPDATE_BYTES = 64 * 1024
MAX_WEBHOOK_ID = InboundUpdate._meta.get_field("webhook_id").max_length


def problem(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signed_by(request) -> tuple[dict | None, TrafficEndpoint | None]:
    headers = {key.lower(): value for key, value in request.headers.items()}
    for endpoint in queries.active_endpoints():
        payload = client.verify(request.body, headers, endpoint.secret_list())
        if payload is not None:
            return payload, endpoint
    return None, None


@csrf_exempt
@require_POST
def status_update(request):
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return problem(400, "Content-Length is not a number.")
    if length > MAX_UPDATE_BYTES:
        return problem(413, "The update is too large.")
    try:
        payload, endpoint = signed_by(request)
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
