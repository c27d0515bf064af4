"""The catalog's questions are read once per process and read again whenever the catalog changes, by the
admin, the seed command or another process (reports/catalog.py)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import catalog, versions
from reports.models import Question, QuestionChoice, Queue, ReportSubtype

from .conftest import sign_in
from .flows import pass_screen

pytestmark = pytest.mark.django_db


def details_page(client) -> str:
    return client.get(reverse("report-details")).content.decode()


def questions_read(report_type, subtype) -> tuple[dict[str, str], int]:
    with CaptureQueriesContext(connection) as captured:
        labels = {question.code: question.label for question in catalog.questions(report_type, subtype)}
    return labels, len(captured)


@pytest.fixture
def driveway(catalog) -> ReportSubtype:
    return ReportSubtype.objects.select_related("report_type").get(code="parking-blocked-driveway")


def test_it_reads_the_questions_once_and_then_from_memory(driveway):
    first, queries = questions_read(driveway.report_type, driveway)
    again, queries_again = questions_read(driveway.report_type, driveway)

    assert first["vehicle-there-now"] == "Is the vehicle there now?" and again == first
    assert queries == 3 and queries_again == 0  # questions, their choices, their subtypes; then none


def test_a_question_changed_in_the_admin_shows_on_the_next_details_page(client, admin_client, driveway):
    resident = client.__class__()
    pass_screen(resident, driveway.code)
    assert "Is the vehicle there now?" in details_page(resident)
    question = Question.objects.get(code="vehicle-there-now")
    url = reverse("admin:reports_question_change", args=[question.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(
        {
            "report_type": question.report_type_id,
            "subtypes": [],
            "label_en": "Is the car still parked there?",
            "required": "on",
            "active": "on",
            "choices-TOTAL_FORMS": "0",
            "choices-INITIAL_FORMS": "0",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.content.decode()[:3000]
    page = details_page(resident)
    assert "Is the car still parked there?" in page and "Is the vehicle there now?" not in page


def test_a_choice_added_or_a_question_limited_to_other_subtypes_is_read_again(driveway):
    question = Question.objects.get(code="vehicle-there-now")
    catalog.questions(driveway.report_type, driveway)

    QuestionChoice.objects.create(question=question, key="unsure", name="Not sure", order=9)
    (asked,) = [q for q in catalog.questions(driveway.report_type, driveway) if q.pk == question.pk]
    assert "Not sure" in [choice.name for choice in asked.choices.all()]

    question.subtypes.set([ReportSubtype.objects.get(code="parking-fire-hydrant")])
    assert question.pk not in [q.pk for q in catalog.questions(driveway.report_type, driveway)]

    Question.objects.filter(report_type=driveway.report_type).delete()
    assert catalog.questions(driveway.report_type, driveway) == []


def test_a_change_another_process_made_is_read_at_the_next_request(driveway):
    catalog.questions(driveway.report_type, driveway)
    # Another process (the seed command, another web worker) changes the catalog: no signal here, only
    # the version in the shared cache moves.
    Question.objects.filter(code="vehicle-there-now").update(label="Still there?")
    catalog.bump()

    labels, queries = questions_read(driveway.report_type, driveway)

    assert labels["vehicle-there-now"] == "Still there?" and queries == 3


def test_a_cleared_cache_means_reading_the_questions_again(driveway):
    catalog.questions(driveway.report_type, driveway)
    Question.objects.filter(code="vehicle-there-now").update(label="Still there?")
    cache.clear()

    assert questions_read(driveway.report_type, driveway)[0]["vehicle-there-now"] == "Still there?"


# --- The queues, and one read of the version a request ------------------------------------------------


def test_a_queue_renamed_shows_in_the_staff_menu_and_its_page_at_the_next_request(client, supervisor):
    sign_in(client, supervisor)
    url = reverse("staff-queue", args=["theft-damage"])
    assert client.get(url).status_code == 200
    queue = Queue.objects.get(code="theft-damage")

    queue.name = "Stolen & broken"
    queue.save()

    page = client.get(url).content.decode()
    assert page.count("Stolen &amp; broken") >= 2  # the menu, the heading


def test_a_request_reads_the_catalogs_version_once_however_often_it_asks(client, supervisor, monkeypatch):
    sign_in(client, supervisor)
    url = reverse("staff-queue", args=["theft-damage"])
    client.get(url)
    reads = []
    get = versions.cache.get
    monkeypatch.setattr(versions.cache, "get", lambda key, *a, **k: reads.append(key) or get(key, *a, **k))

    assert client.get(url).status_code == 200

    assert reads.count(catalog.VERSION.key) == 1  # the kept filters' key and the rows both ask


def test_a_queue_renamed_by_another_process_shows_once_the_version_moves(client, supervisor):
    sign_in(client, supervisor)
    url = reverse("staff-queue", args=["theft-damage"])
    client.get(url)
    Queue.objects.filter(code="theft-damage").update(name="Renamed elsewhere")  # no signal here

    assert "Renamed elsewhere" not in client.get(url).content.decode()  # the version has not moved
    cache.set(catalog.VERSION.key, "moved by the other process")
    assert "Renamed elsewhere" in client.get(url).content.decode()


def test_outside_a_request_every_read_of_the_version_goes_to_the_cache():
    first = catalog.version()
    cache.set(catalog.VERSION.key, "moved by the other process")

    assert first != "moved by the other process" and catalog.version() == "moved by the other process"


def test_each_step_reads_the_draft_alone_and_its_kinds_from_the_catalog(client, catalog):
    pass_screen(client, "theft-from-vehicle")
    details_page(client)  # the catalog's copy is read here, once

    with CaptureQueriesContext(connection) as captured:
        page = details_page(client)

    drafts = [query["sql"] for query in captured if 'FROM "reports_draft"' in query["sql"]]
    assert len(drafts) == 1 and "JOIN" not in drafts[0], drafts
    assert not any('"reports_reporttype"' in q["sql"] or '"reports_queue"' in q["sql"] for q in captured)
    assert ReportSubtype.objects.get(code="theft-from-vehicle").name in page


def test_a_subtype_renamed_shows_in_the_draft_at_the_next_request(client, catalog):
    pass_screen(client, "theft-from-vehicle")
    subtype = ReportSubtype.objects.get(code="theft-from-vehicle")
    subtype.name = "Taken out of a parked car"
    subtype.save()

    assert "Taken out of a parked car" in details_page(client)
