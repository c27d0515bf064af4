"""The GeoReport v2 endpoints. Each parses, calls one function, and answers in the format asked for."""

from django.http import FileResponse, JsonResponse
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt

from reports.evidence import open_stored

from . import catalog, filters, openapi, privacy, queries, submission, updates
from .endpoints import endpoint, format_of_path, site_url
from .formats import JSON, XML, Open311Error, error_response, not_found, respond
from .media import FILE_FIELD


@endpoint("GET")
def discovery(request, fmt, params, client):
    return respond(fmt, catalog.discovery(site_url(request)), root="discovery")


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
        files = request.FILES.getlist(FILE_FIELD)
        row = submission.file_request(params, files=files, client=client, language=get_language())
        return respond(fmt, [row], root="service_requests", item="request")
    wanted = filters.request_filters(params)
    filters.check_known_codes(catalog.unknown_codes(wanted.service_codes))
    rows = [privacy.public_request(report, client) for report in queries.find_requests(wanted, client)]
    return respond(fmt, rows, root="service_requests", item="request")


@endpoint("GET")
def request_detail(request, fmt, params, client, service_request_id):
    report = queries.find_request(filters.normal_id(service_request_id), client)
    if report is None:
        raise not_found("service_request_id: No public request has this id.")
    return respond(fmt, [privacy.public_request(report, client)], root="service_requests", item="request")


@endpoint("GET")
def token_lookup(request, fmt, params, client, token):
    # Requests are never deferred: the token a client holds is the tracking number itself.
    report = queries.find_request(filters.normal_id(token), client)
    if report is None:
        raise not_found("token: No public request has this token.")
    row = {"service_request_id": report.tracking_number, "token": token}
    return respond(fmt, [row], root="service_requests", item="request")


@endpoint("GET", "POST", key_required_for=("POST",))
def request_updates(request, fmt, params, client):
    if request.method == "POST":
        files = request.FILES.getlist(FILE_FIELD)
        row = updates.post_update(params, files=files, client=client)
        return respond(fmt, [row], root="service_request_updates", item="request_update")
    window, page = filters.update_filters(params)
    events = queries.find_updates(window, page, client)
    rows = [privacy.public_update(event, client) for event in events]
    return respond(fmt, rows, root="service_request_updates", item="request_update")


@endpoint("GET")
def openapi_description(request, fmt, params, client):
    if fmt != JSON:
        raise not_found("The OpenAPI description is JSON only: openapi.json.")
    response = JsonResponse(openapi.description(site_url(request)), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt
def unknown(request):
    return error_response(format_of_path(request.path), not_found("No such Open311 endpoint."))


@csrf_exempt
def media(request, public_id):
    if request.method not in ("GET", "HEAD"):
        return error_response(XML, Open311Error(405, ["Use GET here."], headers={"Allow": "GET, HEAD"}))
    evidence = queries.public_photo(public_id)
    if evidence is None:
        return error_response(XML, not_found("No public photo has this id."))
    response = FileResponse(open_stored(evidence.derived.name), content_type="image/jpeg")
    response["Cache-Control"] = "public, max-age=3600"
    return response
