"""The GeoReport v2 endpoints. Each parses, calls one function, and answers in the format asked for."""

from django.http import FileResponse, Http404
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from reports.evidence import open_stored

from . import catalog, filters, privacy, queries, submission
from .endpoints import endpoint, format_of_path
from .formats import error_response, not_found, respond


@endpoint("GET")
def discovery(request, fmt, params, client):
    return respond(fmt, catalog.discovery(), root="discovery")


@endpoint("GET")
def services(request, fmt, params, client):
    rows = [catalog.service_row(subtype) for subtype in catalog.active_services()]
    return respond(fmt, rows, root="services", item="service")


@endpoint("GET")
def service_definition(request, fmt, params, client, service_code):
    subtype = catalog.find_service(service_code)
    return respond(fmt, catalog.service_definition(subtype), root="service_definition")


@endpoint("GET", "POST", key_required_for=("POST",))
def requests(request, fmt, params, client):
    if request.method == "POST":
        row = submission.file_request(params, client=client, language=get_language())
        return respond(fmt, [row], root="service_requests", item="request")
    wanted = filters.request_filters(params)
    filters.check_known_codes(catalog.unknown_codes(wanted.service_codes))
    rows = [privacy.public_request(report) for report in queries.find_requests(wanted)]
    return respond(fmt, rows, root="service_requests", item="request")


@endpoint("GET")
def request_detail(request, fmt, params, client, service_request_id):
    report = queries.find_request(filters.normal_id(service_request_id))
    if report is None:
        raise not_found("service_request_id: No public request has this id.")
    return respond(fmt, [privacy.public_request(report)], root="service_requests", item="request")


@endpoint("GET")
def token_lookup(request, fmt, params, client, token):
    # Requests are never deferred: the token a client holds is the tracking number itself.
    report = queries.find_request(filters.normal_id(token))
    if report is None:
        raise not_found("token: No public request has this token.")
    row = {"service_request_id": report.tracking_number, "token": token}
    return respond(fmt, [row], root="service_requests", item="request")


@endpoint("GET")
def request_updates(request, fmt, params, client):
    window, page = filters.update_filters(params)
    rows = [privacy.public_update(event) for event in queries.find_updates(window, page)]
    return respond(fmt, rows, root="service_request_updates", item="request_update")


@csrf_exempt
def unknown(request):
    return error_response(format_of_path(request.path), not_found("No such Open311 endpoint."))


@require_safe
def media(request, public_id):
    evidence = queries.public_photo(public_id)
    if evidence is None:
        raise Http404
    response = FileResponse(open_stored(evidence.derived.name), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response
