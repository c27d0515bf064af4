"""The service list and service definitions, generated from the catalog and from the web's own forms.

Every attribute of a service definition is a field of the form a resident fills in on the web: the
eligibility screen's questions, the details the report type needs, the catalog's questions. Reading
them off the forms keeps the API asking exactly what the web asks, with the same labels and choices.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from django import forms as django_forms
from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from reports import forms
from reports.models import ReportSubtype, ReportType
from reports.stops import STOP_PAGES

from . import privacy
from .formats import bad_request, not_found

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
UPDATES_SPECIFICATION = (
    "https://github.com/mysociety/fixmystreet/wiki/Open311-FMS---Proposed-differences-to-Open311"
)
CALLBACKS_SPECIFICATION = "https://www.standardwebhooks.com/"
OPENAPI_SPECIFICATION = "https://spec.openapis.org/oas/v3.1.0"
# When this API last changed in a way clients should notice; bump it with such a change.
CHANGESET = "2026-11-21T00:00:00-06:00"
SERVICE_CODE = re.compile(r"[-a-zA-Z0-9_]{1,50}")

# Details that GeoReport v2 has a parameter of its own for; they are not attributes.
STANDARD_FIELDS = {
    "address",
    "latitude",
    "longitude",
    "contact_name",
    "contact_email",
    "contact_phone",
    "description",
}
# One stolen item goes in through attributes: the web's item form, under these codes.
ITEM_CODES = {
    "description": "stolen_item",
    "brand_model": "stolen_item_brand_model",
    "serial_number": "stolen_item_serial_number",
    "value": "stolen_item_value",
}
ITEM_PREFIX = "items-0-"
DATETIME_HELP = "ISO 8601 with a time zone, for example 2025-11-21T14:30:00-06:00."


@dataclass(frozen=True)
class Attribute:
    code: str  # what the client sends as attribute[code]
    field: str  # the name of the web form's field it fills
    datatype: str
    required: bool
    description: str
    datatype_description: str
    values: tuple[tuple[str, str], ...]

    @property
    def is_list(self) -> bool:
        return self.datatype == "multivaluelist"


# --- Finding services -----------------------------------------------------------------------------


def active_services() -> QuerySet[ReportSubtype]:
    return (
        ReportSubtype.objects.filter(active=True, report_type__active=True)
        .select_related("report_type")
        .order_by("report_type__order", "report_type__code", "order", "code")
    )


def find_service(code: str | None) -> ReportSubtype:
    if not code:
        raise bad_request("service_code: This parameter is required.")
    subtype = active_services().filter(code=code).first() if SERVICE_CODE.fullmatch(code) else None
    if subtype is None:
        raise not_found(f"service_code: No service “{code[:50]}”.")
    return subtype


def unknown_codes(codes: list[str]) -> list[str]:
    valid = [code for code in codes if SERVICE_CODE.fullmatch(code)]
    known = set(active_services().filter(code__in=valid).values_list("code", flat=True))
    return [code for code in codes if code not in known]


# --- What the API says about them ----------------------------------------------------------------


def discovery(site_url: str) -> dict:
    base = site_url + reverse("open311-services", kwargs={"fmt": "xml"}).rsplit("/", 1)[0]
    return {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", "")
        or f"{settings.CITY_NAME} 311: call {settings.PHONE_311}",
        "key_service": getattr(settings, "OPEN311_KEY_SERVICE", "")
        or f"Ask {settings.CITY_NAME} 311 for an API key for your application.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        # What this server does beyond GeoReport v2; clients that do not know the element ignore it.
        "extensions": [
            {
                "name": "servicerequestupdates",
                "specification": UPDATES_SPECIFICATION,
                "url": f"{base}/servicerequestupdates",
                "description": "GET: status changes. POST: a comment on a request the client filed.",
            },
            {
                "name": "callbacks",
                "specification": CALLBACKS_SPECIFICATION,
                "url": f"{base}/openapi.json#/webhooks/serviceRequestUpdated",
                "description": "Each status change of a request the client filed, posted signed to the "
                "client's callback URL (set by the city on request). Payload: the webhooks section "
                "of the OpenAPI description.",
            },
            {
                "name": "openapi",
                "specification": OPENAPI_SPECIFICATION,
                "url": f"{base}/openapi.json",
                "description": "OpenAPI 3.1: every call in both formats, the errors and the extensions.",
            },
        ],
    }


def service_row(subtype: ReportSubtype) -> dict:
    return {
        "service_code": subtype.code,
        "service_name": str(subtype.name),
        "description": str(subtype.description),
        # Every service has attributes: at least the eligibility questions.
        "metadata": True,
        "type": "realtime",
        "keywords": privacy.service_keywords(subtype),
        "group": str(subtype.report_type.name),
    }


def service_definition(subtype: ReportSubtype) -> dict:
    return {
        "service_code": subtype.code,
        "attributes": [
            attribute_row(attribute, order) for order, attribute in enumerate(attributes(subtype), 1)
        ],
    }


def attribute_row(attribute: Attribute, order: int) -> dict:
    return {
        "variable": True,
        "code": attribute.code,
        "datatype": attribute.datatype,
        "required": attribute.required,
        "datatype_description": attribute.datatype_description,
        "order": order,
        "description": attribute.description,
        "values": [{"key": key, "name": name} for key, name in attribute.values],
    }


# --- Attributes, read off the forms --------------------------------------------------------------


def attributes(subtype: ReportSubtype) -> list[Attribute]:
    report_type = subtype.report_type
    eligibility = forms.EligibilityForm(report_type=report_type)
    details = forms.DetailsForm(report_type=report_type, subtype=subtype)
    found = [eligibility_attribute(name, field) for name, field in eligibility.fields.items()]
    found += [
        from_field(name.removeprefix("q_"), name, field)
        for name, field in details.fields.items()
        if name not in STANDARD_FIELDS
    ]
    if report_type.form == ReportType.Form.THEFT:
        item = forms.StolenItemForm()
        found += [
            from_field(ITEM_CODES[name], ITEM_PREFIX + name, field) for name, field in item.fields.items()
        ]
    return found


def from_field(code: str, name: str, field: django_forms.Field) -> Attribute:
    kind = datatype(field)
    help_text = str(field.help_text)
    if kind == "datetime":
        help_text = f"{help_text} {DATETIME_HELP}".strip()
    choices = getattr(field, "choices", ())
    return Attribute(
        code=code,
        field=name,
        datatype=kind,
        required=field.required,
        description=str(field.label),
        datatype_description=help_text,
        values=tuple((str(key), str(label)) for key, label in choices if key != ""),
    )


def eligibility_attribute(name: str, field: django_forms.Field) -> Attribute:
    attribute = from_field(name, name, field)
    stops = [stop for stop in forms.STOPS if stop.field == name]
    notes = [
        f"The answer “{stop.stop_when}” means the report cannot be filed online: "
        f"{STOP_PAGES[stop.reason].title} ({STOP_PAGES[stop.reason].phone})."
        for stop in stops
    ]
    return replace(attribute, datatype_description=" ".join(notes))


def datatype(field: django_forms.Field) -> str:
    if isinstance(field, django_forms.MultipleChoiceField):
        return "multivaluelist"
    if isinstance(field, django_forms.ChoiceField):
        return "singlevaluelist"
    if isinstance(field, django_forms.DecimalField | django_forms.FloatField | django_forms.IntegerField):
        return "number"
    if isinstance(field, django_forms.DateTimeField):
        return "datetime"
    if isinstance(field.widget, django_forms.Textarea):
        return "text"
    return "string"
