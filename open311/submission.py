"""POST requests: the web's own forms judge the request and the web's own service files the report.

The API parameters are laid out as the web form would post them, so the eligibility rules, the city
boundary, the value cap and the catalog's required questions are literally the ones residents meet.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from reports import evidence, forms
from reports import submission as reports_submission
from reports.evidence import StoredUpload
from reports.models import Channel, Draft, Report, ReportSubtype, ReportType
from reports.stops import STOP_PAGES

from . import catalog, media
from .catalog import Attribute
from .filters import parse_moment
from .formats import bad_request
from .models import ApiClient, ApiFiling

# The web form's field -> the API parameter a problem with it is reported under.
PARAMETERS = {
    "address": "location",
    "latitude": "lat",
    "longitude": "long",
    "contact_name": "first_name, last_name",
    "contact_email": "email",
    "contact_phone": "phone",
    "description": "description",
}
RECORDED = {"device_id": 100, "account_id": 100, "address_id": 100}
NO_LOCATION = "location: Give lat and long, address_string or address_id."


class Checked:
    """The three web forms, filled from one request and validated."""

    def __init__(self, data: MultiValueDict, subtype: ReportSubtype):
        report_type = subtype.report_type
        self.eligibility = forms.EligibilityForm(data, report_type=report_type)
        self.details = forms.DetailsForm(data, report_type=report_type, subtype=subtype)
        self.items = None
        if report_type.form == ReportType.Form.THEFT:
            self.items = forms.StolenItemFormSet(data, prefix="items", value_cap=report_type.value_cap)
        self.valid = self.eligibility.is_valid() & self.details.is_valid()
        if self.items is not None:
            self.valid &= self.items.is_valid()

    def stop_reason(self) -> str | None:
        # Checked even when other answers are missing: "someone is in danger" must never be lost in a
        # list of other problems.
        return self.eligibility.stop_reason()

    def item_rows(self) -> list[dict]:
        return self.items.items() if self.items is not None else []


def file_request(params: QueryDict, *, files: list[UploadedFile], client: ApiClient, language: str) -> dict:
    subtype = catalog.find_service(params.get("service_code"))
    attributes = catalog.attributes(subtype)
    checked = Checked(form_data(params, subtype, attributes), subtype)
    if reason := checked.stop_reason():
        raise bad_request(stop_description(reason))
    problems = parameter_problems(params) + form_problems(checked, attributes, has_location(params))
    if problems or not checked.valid:
        raise bad_request(*(problems or ["The request could not be checked."]))
    # Stored only once everything else is right, and gone again if the filing fails.
    uploads = media.store_photos(files)
    try:
        report = save(checked, subtype, params, uploads, client=client, language=language)
    except BaseException:
        evidence.discard(uploads)
        raise
    return {
        "service_request_id": report.tracking_number,
        "service_notice": f"Received. {report.queue.description}".strip(),
        "account_id": params.get("account_id") or None,
    }


@transaction.atomic
def save(
    checked: Checked,
    subtype: ReportSubtype,
    params: QueryDict,
    uploads: list[StoredUpload],
    *,
    client: ApiClient,
    language: str,
) -> Report:
    draft = Draft.objects.create(
        channel=Channel.API,
        language=language,
        report_type=subtype.report_type,
        subtype=subtype,
        eligibility=checked.eligibility.answers(),
    )
    filed = reports_submission.file_report(
        draft,
        details=checked.details.cleaned_data,
        answers=checked.details.answers(),
        items=checked.item_rows(),
        uploads=uploads,
        by=None,
    )
    ApiFiling.objects.create(
        report=filed.report,
        client=client,
        media_urls=media.media_urls(params),
        **{name: params.get(name, "").strip() for name in RECORDED},
    )
    return filed.report


# --- API parameters -> the web form's data --------------------------------------------------------------


def form_data(params: QueryDict, subtype: ReportSubtype, attributes: list[Attribute]) -> MultiValueDict:
    data = MultiValueDict()
    for attribute in attributes:
        values = attribute_values(params, attribute)
        if attribute.datatype == "datetime":
            values = [local_time_text(value) for value in values]
        if values:
            data.setlist(attribute.field, values)
    name = " ".join(part for part in (params.get("first_name", ""), params.get("last_name", "")) if part)
    standard = {
        "address": address_text(params),
        "latitude": params.get("lat", ""),
        "longitude": params.get("long", ""),
        "contact_name": name.strip(),
        "contact_email": params.get("email", ""),
        "contact_phone": params.get("phone", ""),
        "description": params.get("description", ""),
    }
    data.update(standard)
    if subtype.report_type.form == ReportType.Form.THEFT:
        data.update({"items-TOTAL_FORMS": "1", "items-INITIAL_FORMS": "0"})
    return data


def attribute_values(params: QueryDict, attribute: Attribute) -> list[str]:
    name = f"attribute[{attribute.code}]"
    if attribute.is_list:
        return [value for value in params.getlist(name + "[]") + params.getlist(name) if value]
    value = params.get(name, "")
    return [value] if value else []


def local_time_text(value: str) -> str:
    """An ISO 8601 time with its zone, as the web form's own input reads it (in the city's zone)."""
    moment = parse_moment(value)
    if moment is None:
        return value  # left for the form to reject with its own message
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M:%S")


def address_text(params: QueryDict) -> str:
    address = params.get("address_string", "").strip() or params.get("address_id", "").strip()
    lat, lng = params.get("lat", "").strip(), params.get("long", "").strip()
    if not address and lat and lng:
        address = f"{lat}, {lng}"[:200]
    return address


def has_location(params: QueryDict) -> bool:
    return bool(address_text(params))


# --- Problems, named by the API parameter they concern ----------------------------------------------


def stop_description(reason: str) -> str:
    page = STOP_PAGES[reason]
    return f"{page.title}. {page.why} {page.call}: {page.phone}."


def parameter_problems(params: QueryDict) -> list[str]:
    problems = [] if has_location(params) else [NO_LOCATION]
    for name, limit in RECORDED.items():
        value = params.get(name, "").strip()
        if len(value) > limit or "\x00" in value:
            problems.append(f"{name}: At most {limit} characters, and no control characters.")
    return problems + media.media_url_problems(media.media_urls(params))


def form_problems(checked: Checked, attributes: list[Attribute], located: bool) -> list[str]:
    names = {attribute.field: f"attribute[{attribute.code}]" for attribute in attributes}
    problems = []
    for form in (checked.eligibility, checked.details, *(checked.items.forms if checked.items else ())):
        for field, messages in form.errors.items():
            if field == "address" and not located:
                continue  # already said, in the API's words
            name = names.get(form.add_prefix(field), PARAMETERS.get(field, field))
            problems += [f"{name}: {message}" if field != "__all__" else message for message in messages]
    if checked.items is not None:
        problems += item_list_problems(checked.items)
    return problems


def item_list_problems(items: forms.BaseStolenItemFormSet) -> list[str]:
    problems = []
    for error in items.non_form_errors().as_data():
        if error.code == "too_few_forms" and items.forms and items.forms[0].errors:
            continue  # the item's own "required" says it better
        code = catalog.ITEM_CODES["value" if error.code is None else "description"]
        problems += [f"attribute[{code}]: {message}" for message in error.messages]
    return problems
