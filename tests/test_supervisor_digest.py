"""The supervisors' daily digest (issue 15): once a working day, each supervisor with an email address gets
the open reports past or near their SLA and the parking closures flagged since the last digest; none when
there is nothing to say, none on a weekend or a city holiday, and never two the same day."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from reports import digests, outbox, tasks, workflow
from reports.models import Holiday, OutboxMessage, Report

from .conftest import make_staff
from .factories import file_parking, make_report

pytestmark = pytest.mark.django_db

CITY = ZoneInfo("America/Chicago")
MONDAY = datetime(2027, 3, 8, 7, 0, tzinfo=CITY)  # a working day, no holiday near it
FRIDAY = MONDAY - timedelta(days=3)


def digests_queued() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(payload__template="sla-digest").order_by("pk"))


def send_all() -> list:
    for message in digests_queued():
        if message.state == OutboxMessage.State.PENDING:
            assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    return [email for email in mail.outbox if "311 digest" in email.subject]


@pytest.fixture
def supervisors(supervisor):
    second = make_staff("supervisor2", "Supervisors")
    without_address = make_staff("supervisor3", "Supervisors")
    without_address.email = ""
    without_address.save()
    return [supervisor, second]


def test_it_goes_once_a_working_day_to_each_supervisor_with_an_address(catalog, supervisors):
    late = make_report("theft-bicycle", sla_due_at=MONDAY - timedelta(hours=3))
    soon = make_report("damage-graffiti", sla_due_at=MONDAY + timedelta(hours=5))
    make_report("theft-other", sla_due_at=MONDAY + timedelta(days=3))  # neither past nor near

    assert digests.queue_digests(MONDAY) == 2
    assert digests.queue_digests(MONDAY + timedelta(hours=2)) == 2  # the beat again: nothing new
    assert len(digests_queued()) == 2
    sent = send_all()
    assert sorted(email.to[0] for email in sent) == ["supervisor2@example.org", "supervisor@example.org"]
    body = sent[0].body
    assert "1 open report past its SLA" in body and late.tracking_number in body
    assert "1 open report due within a day" in body and soon.tracking_number in body
    assert f"/staff/reports/{late.tracking_number}/" in body
    assert sent[0].subject.endswith("1 past SLA, 1 due within a day, 0 flagged closures")
    assert "flagged" not in body.split("\n", 1)[1].split("You get this")[0]  # no empty part

    digests.queue_digests(MONDAY + timedelta(days=1))  # Tuesday: the next one
    assert len(digests_queued()) == 4


def test_it_says_nothing_when_there_is_nothing_to_say(catalog, supervisors):
    make_report("theft-other", sla_due_at=MONDAY + timedelta(days=3))
    make_report("theft-other", status="closed", sla_due_at=MONDAY - timedelta(days=3))

    assert digests.queue_digests(MONDAY) == 0
    assert not digests_queued()


def test_it_waits_for_a_working_day(catalog, supervisors):
    make_report("theft-other", sla_due_at=MONDAY - timedelta(days=4))
    assert digests.queue_digests(MONDAY - timedelta(days=1)) == 0  # Sunday
    Holiday.objects.create(date=MONDAY.date(), name="A city holiday")
    assert digests.queue_digests(MONDAY) == 0
    assert not digests_queued()


def test_mondays_digest_lists_the_closures_flagged_since_friday(catalog, supervisors, traffic_agent):
    since_friday = file_parking(vehicle_plate="FRI0001").report
    workflow.dispatch(since_friday, by=traffic_agent, unit="PE-14")
    workflow.resolve(since_friday, by=traffic_agent, outcome="gone_on_arrival")
    before = file_parking(vehicle_plate="THU0001").report
    workflow.resolve(before, by=traffic_agent, outcome="duplicate")
    Report.objects.filter(pk=since_friday.pk).update(closed_at=FRIDAY + timedelta(hours=10))
    Report.objects.filter(pk=before.pk).update(closed_at=FRIDAY - timedelta(hours=2))

    assert digests.queue_digests(MONDAY) == 2
    body = send_all()[0].body
    assert "1 parking closure flagged since the last digest" in body
    assert since_friday.tracking_number in body and "PE-14" in body
    assert "The vehicle was gone when enforcement arrived" in body
    assert before.tracking_number not in body
    assert "/staff/figures/closures/" in body
