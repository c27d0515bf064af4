"""The schemas of the OpenAPI description (open311/openapi.py): every response body, in both formats.

Each is exactly the fields the API writes (additionalProperties is false, so a new field shows up in the
Schemathesis run until it is described here), with the element names XML gives them.
"""

from __future__ import annotations

from .formats import CONTENT_TYPES, JSON, XML
from .privacy import UPDATE_STATUSES

FORMATS = (XML, JSON)
MEDIA_TYPES = {fmt: CONTENT_TYPES[fmt].split(";")[0] for fmt in FORMATS}
DATATYPES = ["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
ATTRIBUTE_FIELD = r"^attribute\[[-A-Za-z0-9_]{1,50}\](\[\])?$"
W3C_DATE = "A W3C (ISO 8601) date, or date and time: 2026-11, 2026-11-21, 2026-11-21T00:00:00-06:00."


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def text(description: str = "", **more) -> dict:
    return {"type": "string", **({"description": description} if description else {}), **more}


def record(name: str, properties: dict) -> dict:
    """An object with exactly these fields, always all of them, named `name` in XML."""
    return {
        "type": "object",
        "xml": {"name": name},
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def listed(root: str, item: str) -> dict:
    return {"type": "array", "xml": {"name": root, "wrapped": True}, "items": ref(item)}


MOMENT = text("ISO 8601 with the offset of the city's time zone.", format="date-time")
BOOLEAN = {"type": "boolean", "description": "In XML, the text true or false."}

SCHEMAS = {
    "Discovery": record(
        "discovery",
        {
            "changeset": MOMENT,
            "contact": text(),
            "key_service": text(),
            "endpoints": {"type": "array", "items": ref("Endpoint"), "xml": {"wrapped": True}},
            "extensions": {"type": "array", "items": ref("Extension"), "xml": {"wrapped": True}},
        },
    ),
    "Endpoint": record(
        "endpoint",
        {
            "specification": text(format="uri"),
            "url": text(format="uri"),
            "changeset": MOMENT,
            "type": text(enum=["production", "test"]),
            "formats": {"type": "array", "items": text(xml={"name": "format"}), "xml": {"wrapped": True}},
        },
    ),
    "Extension": record(
        "extension",
        {"name": text(), "specification": text(format="uri"), "url": text(), "description": text()},
    ),
    "Service": record(
        "service",
        {
            "service_code": text(),
            "service_name": text(),
            "description": text(),
            "metadata": BOOLEAN,
            "type": text(enum=["realtime", "batch", "blackbox"]),
            "keywords": text(
                "Comma separated; `private` first for a service whose requests are never public."
            ),
            "group": text(),
        },
    ),
    "ServiceDefinition": record(
        "service_definition",
        {
            "service_code": text(),
            "attributes": {"type": "array", "items": ref("Attribute"), "xml": {"wrapped": True}},
        },
    ),
    "Attribute": record(
        "attribute",
        {
            "variable": BOOLEAN,
            "code": text("Sent back as attribute[code], or attribute[code][] for each value of a list."),
            "datatype": text(enum=DATATYPES),
            "required": BOOLEAN,
            "datatype_description": text(),
            "order": {"type": "integer", "minimum": 1},
            "description": text(),
            "values": {"type": "array", "items": ref("AttributeValue"), "xml": {"wrapped": True}},
        },
    ),
    "AttributeValue": record("value", {"key": text(), "name": text()}),
    "ServiceRequest": record(
        "request",
        {
            "service_request_id": text("The tracking number, such as 3Z9S-NHYZ."),
            "status": text(enum=["open", "closed"]),
            "status_notes": text("The status in words."),
            "service_name": text(),
            "service_code": text(),
            "agency_responsible": text(),
            "requested_datetime": MOMENT,
            "updated_datetime": MOMENT,
            "address": text("To the block (3500 block of Bryant Ave S) or an intersection; empty otherwise."),
            "lat": {"type": ["number", "null"], "description": "Rounded to three decimals."},
            "long": {"type": ["number", "null"], "description": "Rounded to three decimals."},
            "media_url": {
                "type": ["string", "null"],
                "description": "A location-stripped copy, if the city publishes photos.",
            },
        },
    ),
    "FiledRequest": record(
        "request",
        {
            "service_request_id": text("The tracking number: requests are never deferred."),
            "service_notice": text(),
            "account_id": {"type": ["string", "null"]},
        },
    ),
    "Token": record("request", {"service_request_id": text(), "token": text()}),
    "RequestUpdate": record(
        "request_update",
        {
            "update_id": text(),
            "service_request_id": text(),
            "status": text(enum=sorted(set(UPDATE_STATUSES.values()))),
            "external_status_code": text("Our own status.", enum=sorted(UPDATE_STATUSES)),
            "updated_datetime": MOMENT,
            "description": text("The status in words."),
            "media_url": {"type": ["string", "null"]},
        },
    ),
    "PostedUpdate": record(
        "request_update",
        {
            "update_id": text(
                "Ours: the same id appears in GET servicerequestupdates when the comment moved the request."
            )
        },
    ),
    "Error": record(
        "error",
        {"code": {"type": "integer", "description": "The HTTP status."}, "description": text()},
    ),
    "Callback": {
        "type": "object",
        "properties": {
            "type": {"const": "open311.service_request.updated"},
            "schema_version": text(),
            "timestamp": MOMENT,
            "data": {
                "type": "object",
                "properties": {"request_update": ref("RequestUpdate"), "request": ref("ServiceRequest")},
                "required": ["request_update", "request"],
                "additionalProperties": False,
            },
        },
        "required": ["type", "schema_version", "timestamp", "data"],
        "additionalProperties": False,
    },
}

LISTS = {
    "Services": listed("services", "Service"),
    "ServiceRequests": listed("service_requests", "ServiceRequest"),
    "FiledRequests": listed("service_requests", "FiledRequest"),
    "Tokens": listed("service_requests", "Token"),
    "RequestUpdates": listed("service_request_updates", "RequestUpdate"),
    "PostedUpdates": listed("service_request_updates", "PostedUpdate"),
    "Errors": listed("errors", "Error"),
}
