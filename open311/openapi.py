"""The OpenAPI 3.1 description of the whole API, served at /open311/v2/openapi.json.

Built here rather than kept as a file, so each call is written once and described in both formats: every
path exists as .xml and as .json, with the same schema and the XML names of each element. Schemathesis
checks the running API against it (tests/test_open311_openapi.py), and docs/open311-openapi.json is a copy
checked to be the same.
"""

from __future__ import annotations

from django.conf import settings

from . import catalog, updates
from .filters import MAX_LIST, MAX_PAGE, MAX_RECORDS
from .formats import JSON, XML
from .openapi_schemas import ATTRIBUTE_FIELD, FORMATS, LISTS, MEDIA_TYPES, SCHEMAS, W3C_DATE, ref, text

# --- Parameters ----------------------------------------------------------------------------------------


def query(name: str, schema: dict, description: str, *, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def in_path(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": text(minLength=1),
        "description": description,
    }


COMMON = [
    query("jurisdiction_id", text(), "Accepted and ignored: one jurisdiction is served."),
    query(
        "api_key",
        text(maxLength=200),
        "Optional for reads; one that is sent must be valid. With it, the "
        "requests that client filed are visible to it too (never to anyone else).",
    ),
]
WINDOW = [
    query("start_date", text(), W3C_DATE + " Without end_date, the 90 days from it."),
    query("end_date", text(), W3C_DATE + " Without start_date, the 90 days up to it. At most 90 days apart."),
    query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "From 1."),
    query(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_RECORDS},
        f"At most {MAX_RECORDS}, the default.",
    ),
]
REQUEST_FILTERS = [
    query(
        "service_request_id", text(), f"A comma list of at most {MAX_LIST} ids; overrides every other filter."
    ),
    query("service_code", text(), "A comma list; an unknown code is a 404."),
    query("status", text(), "open, closed, or open,closed."),
    *WINDOW,
]


# --- Bodies ---------------------------------------------------------------------------------------------

MEDIA_URLS = {
    "type": "array",
    "items": text(format="uri", maxLength=500),
    "maxItems": 20,
    "description": "Repeat the parameter for several. Recorded, never fetched.",
}
PHOTOS = {
    "type": "array",
    "items": {"type": "string", "contentMediaType": "application/octet-stream"},
    "description": "Photos (JPEG, PNG, WebP, HEIC) or PDFs, each up to EVIDENCE_MAX_MB (15 MB); checked and "
    "stored like a resident's, published only as location-stripped copies of public requests.",
}


def form(properties: dict, required: list[str], *, patterns: dict | None = None) -> dict:
    fields = {"type": "object", "properties": properties, "required": required}
    if patterns:
        fields["patternProperties"] = patterns
    plain = {"schema": fields, "encoding": {"media_url": {"style": "form", "explode": True}}}
    multipart = {"schema": {**fields, "properties": {**properties, "media": PHOTOS}}}
    return {
        "required": True,
        "content": {"application/x-www-form-urlencoded": plain, "multipart/form-data": multipart},
    }


FILING = form(
    {
        "api_key": text(maxLength=200),
        "jurisdiction_id": text(),
        "service_code": text(),
        "lat": {"type": "number", "minimum": -90, "maximum": 90},
        "long": {"type": "number", "minimum": -180, "maximum": 180},
        "address_string": text(),
        "address_id": text(maxLength=100),
        "email": text(format="email"),
        "device_id": text(maxLength=100),
        "account_id": text(maxLength=100),
        "first_name": text(),
        "last_name": text(),
        "phone": text(),
        "description": text(),
        "media_url": MEDIA_URLS,
    },
    ["api_key", "service_code"],
    patterns={ATTRIBUTE_FIELD: text("The answer to the service definition's attribute of that code.")},
)
COMMENT = form(
    {
        "api_key": text(maxLength=200),
        "jurisdiction_id": text(),
        "service_request_id": text("A request this client filed."),
        "update_id": text(
            "The client's own id for the comment: sent again, it changes nothing.", maxLength=100
        ),
        "updated_datetime": text(W3C_DATE),
        "status": text("Recorded, never applied.", enum=list(updates.CLIENT_STATUSES)),
        "description": text("The comment.", maxLength=updates.MAX_TEXT),
        "email": text(format="email"),
        "first_name": text(maxLength=100),
        "last_name": text(maxLength=100),
        "phone": text(maxLength=100),
        "media_url": MEDIA_URLS,
    },
    ["api_key", "service_request_id", "update_id"],
)


# --- Responses and operations ---------------------------------------------------------------------------

ERRORS = {
    "400": "A missing or invalid parameter (every problem is listed), a stopping eligibility answer, a pin "
    "outside the city, a body too large to read.",
    "403": "An api_key that is wrong or revoked, or none where one is needed.",
    "404": "No such service, or no request visible to the caller.",
    "405": "A method this path does not take; Allow lists the ones it does.",
    "429": "The rate limit (OPEN311_RATE per key or address); Retry-After says when to try again.",
}
RETRY_AFTER = {
    "Retry-After": {"required": True, "schema": {"type": "integer", "minimum": 1}, "description": "Seconds."}
}
ALLOW = {"Allow": {"required": True, "schema": text(), "description": "The methods the path takes."}}


def answer(fmt: str, schema_name: str, description: str, headers: dict | None = None) -> dict:
    body = {
        "description": description,
        "content": {MEDIA_TYPES[fmt]: {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }
    return {**body, "headers": headers} if headers else body


def operation(
    fmt: str,
    name: str,
    summary: str,
    schema_name: str,
    *,
    tag: str,
    parameters=(),
    body: dict | None = None,
    errors=("400", "403", "429"),
    more: dict | None = None,
) -> dict:
    responses = {"200": answer(fmt, schema_name, "OK"), "405": answer(fmt, "Errors", ERRORS["405"], ALLOW)}
    for code in errors:
        responses[code] = answer(fmt, "Errors", ERRORS[code], RETRY_AFTER if code == "429" else None)
    for code, description in (more or {}).items():
        responses[code] = answer(fmt, "Errors", description, RETRY_AFTER)
    spec = {
        "operationId": f"{name}_{fmt}",
        "summary": summary,
        "tags": [tag],
        "parameters": [*parameters, *COMMON] if body is None else list(parameters),
        "responses": responses,
    }
    if body is not None:
        spec["requestBody"] = body
    return spec


STORAGE_DOWN = {
    "503": "Photos cannot be stored right now (the evidence storage is down); Retry-After says when."
}


def format_paths(fmt: str) -> dict:
    v2 = "/open311/v2"
    code = in_path("service_code", "A service_code from the service list.")
    request_id = in_path("service_request_id", "A tracking number, in any case, with or without the dash.")
    token = in_path("token", "The token of a request: its tracking number (requests are never deferred).")
    return {
        f"/open311/discovery.{fmt}": {
            "get": operation(
                fmt, "discovery", "Discovery", "Discovery", tag="Discovery", errors=("403", "429")
            )
        },
        f"{v2}/services.{fmt}": {
            "get": operation(
                fmt,
                "services",
                "Every service you can file",
                "Services",
                tag="Services",
                errors=("403", "429"),
            )
        },
        f"{v2}/services/{{service_code}}.{fmt}": {
            "get": operation(
                fmt,
                "service_definition",
                "A service's attributes: the questions to answer",
                "ServiceDefinition",
                tag="Services",
                parameters=[code],
                errors=("403", "404", "429"),
            ),
        },
        f"{v2}/requests.{fmt}": {
            "get": operation(
                fmt,
                "requests",
                "Public requests, and with a key your own",
                "ServiceRequests",
                tag="Requests",
                parameters=REQUEST_FILTERS,
                errors=("400", "403", "404", "429"),
            ),
            "post": operation(
                fmt,
                "file_request",
                "File a request",
                "FiledRequests",
                tag="Requests",
                body=FILING,
                errors=("400", "403", "404", "429"),
                more=STORAGE_DOWN,
            ),
        },
        f"{v2}/requests/{{service_request_id}}.{fmt}": {
            "get": operation(
                fmt,
                "request",
                "One request, public or your own",
                "ServiceRequests",
                tag="Requests",
                parameters=[request_id],
                errors=("403", "404", "429"),
            ),
        },
        f"{v2}/tokens/{{token}}.{fmt}": {
            "get": operation(
                fmt,
                "token",
                "The request id of a token",
                "Tokens",
                tag="Requests",
                parameters=[token],
                errors=("403", "404", "429"),
            ),
        },
        f"{v2}/servicerequestupdates.{fmt}": {
            "get": operation(
                fmt,
                "updates",
                "Status changes, oldest first",
                "RequestUpdates",
                tag="Updates",
                parameters=WINDOW,
            ),
            "post": operation(
                fmt,
                "post_update",
                "Comment on a request you filed",
                "PostedUpdates",
                tag="Updates",
                body=COMMENT,
                errors=("400", "403", "404", "429"),
                more=STORAGE_DOWN,
            ),
        },
    }


def fixed_paths() -> dict:
    photo = {"name": "public_id", "in": "path", "required": True, "schema": text(format="uuid")}
    return {
        "/open311/v2/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This description",
                "tags": ["Discovery"],
                "parameters": COMMON,
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "403": answer(JSON, "Errors", ERRORS["403"]),
                    "405": answer(JSON, "Errors", ERRORS["405"], ALLOW),
                    "429": answer(JSON, "Errors", ERRORS["429"], RETRY_AFTER),
                },
            }
        },
        "/open311/media/{public_id}.jpg": {
            "get": {
                "operationId": "photo",
                "summary": "A published photo: its location-stripped copy, if the city publishes photos",
                "tags": ["Requests"],
                "parameters": [photo],
                "responses": {
                    "200": {
                        "description": "JPEG",
                        "content": {
                            "image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}}
                        },
                    },
                    "404": answer(XML, "Errors", "No public photo has this id."),
                    "405": answer(XML, "Errors", ERRORS["405"], ALLOW),
                },
            }
        },
    }


def callback_webhook() -> dict:
    headers = {
        name: {"in": "header", "name": name, "required": True, "schema": text(), "description": description}
        for name, description in (
            ("webhook-id", "The same on every retry of one delivery: deduplicate by it."),
            ("webhook-timestamp", "Seconds since 1970; refuse one more than five minutes away."),
            ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>, one per active secret."),
        )
    }
    return {
        "post": {
            "operationId": "service_request_updated",
            "summary": "A status change of a request you filed (callbacks instead of polling)",
            "description": "Sent to the client's callback URL, signed the Standard Webhooks way with "
            "the client's whsec_ secrets, retried with backoff for a day or more. Answer 2xx; 410 turns "
            "callbacks off; other 4xx are not retried.",
            "parameters": list(headers.values()),
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Callback")}}},
            "responses": {"200": {"description": "Received"}, "410": {"description": "Stop sending"}},
        }
    }


def description(site_url: str) -> dict:
    paths = {}
    for fmt in FORMATS:
        paths |= format_paths(fmt)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{settings.CITY_NAME} 311: Open311 GeoReport v2",
            "version": catalog.CHANGESET,
            "description": "GeoReport v2 with FixMyStreet's updates extension, both formats (every call "
            "ends in .xml or .json; XML is what the specification requires), callbacks, and photo uploads. "
            "Errors are always a list of code and description. Times carry their offset.",
        },
        "servers": [{"url": site_url}],
        "tags": [{"name": name} for name in ("Discovery", "Services", "Requests", "Updates")],
        "paths": paths | fixed_paths(),
        "webhooks": {"serviceRequestUpdated": callback_webhook()},
        "components": {"schemas": SCHEMAS | LISTS},
    }
