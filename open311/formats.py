"""The two response formats of GeoReport v2: XML (required by the specification) and JSON.

Every response is built from plain dicts and lists, so both formats always carry the same fields.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

XML, JSON = "xml", "json"
CONTENT_TYPES = {XML: "text/xml; charset=utf-8", JSON: "application/json; charset=utf-8"}

# In XML a list needs a name for each of its items; JSON just has the list.
ITEM_TAGS = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "extensions": "extension",
}

# Characters XML 1.0 cannot carry at all, not even escaped; one in a text would make the whole document
# unreadable to a client, so it is dropped.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


class Open311Error(Exception):
    """A request the API answers with an error list: every problem found, not only the first."""

    def __init__(self, status: int, descriptions: Iterable[str], headers: dict | None = None):
        self.status = status
        self.descriptions = list(descriptions)
        self.headers = headers or {}
        super().__init__("; ".join(self.descriptions))

    def rows(self) -> list[dict]:
        return [{"code": self.status, "description": text} for text in self.descriptions]


def not_found(description: str) -> Open311Error:
    return Open311Error(404, [description])


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, descriptions)


def respond(fmt: str, data: dict | list, *, root: str, item: str = "", status: int = 200) -> HttpResponse:
    body = xml_document(root, data, item) if fmt == XML else json_document(data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(fmt: str, error: Open311Error) -> HttpResponse:
    response = respond(fmt, error.rows(), root="errors", item="error", status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def json_document(data: dict | list) -> bytes:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder)
    return text.encode("utf-8", "replace")


def xml_document(root: str, data: dict | list, item: str = "") -> bytes:
    element = ET.Element(root)
    fill(element, data, item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="utf-8")


def fill(element: ET.Element, value: object, item: str = "") -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            fill(ET.SubElement(element, name), child, ITEM_TAGS.get(name, ""))
    elif isinstance(value, list | tuple):
        for child in value:
            fill(ET.SubElement(element, item or "item"), child)
    else:
        element.text = xml_text(value)


def xml_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return NOT_XML.sub("", str(value))
