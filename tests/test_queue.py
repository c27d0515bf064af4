"""The queue page: who sees which queue, filters, sorts, keyset pages, Take next and the CSV export."""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports import queries
from reports.models import Report, ReportEvent
from reports.statuses import OPEN_STATUSES, Status
from reports.templatetags.queue_tags import age, sla_state

from . import factories
from .conftest import make_staff, require, sign_in
from .flows import file_report
from .test_pages import audit

pytestmark = pytest.mark.django_db

THEFT_DAMAGE, TRAFFIC = "theft-damage", "traffic-control"


def make_reports(count: int, subtype: str = "theft-other", **fields) -> list[Report]:
    """Rows straight into the table, oldest first, a minute apart; each field may be overridden."""
    return factories.make_reports(
        count,
        subtype,
        **{"contact_name": "Alex Resident", "contact_email": "alex@example.org", **fields},
    )


def queue_url(code: str = THEFT_DAMAGE) -> str:
    return reverse("staff-queue", args=[code])


def shown(client: Client, code: str = THEFT_DAMAGE, **params) -> list[str]:
    response = client.get(queue_url(code), params)
    assert response.status_code == 200
    return [report.tracking_number for report in response.context["page"].rows]


def numbers(reports) -> list[str]:
    return [report.tracking_number for report in reports]


# --- Who sees what -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "theft_damage", "traffic_control"),
    [
        ("report_taker", 200, 403),
        ("traffic_agent", 403, 200),
        ("supervisor", 200, 200),
        ("agent_311", 403, 403),
    ],
)
def test_it_opens_each_queue_only_to_the_people_who_work_it(
    client, request, persona, theft_damage, traffic_control
):
    sign_in(client, request.getfixturevalue(persona))

    assert client.get(queue_url(THEFT_DAMAGE)).status_code == theft_damage
    assert client.get(queue_url(TRAFFIC)).status_code == traffic_control
    for code, expected in ((THEFT_DAMAGE, theft_damage), (TRAFFIC, traffic_control)):
        taken = client.post(reverse("staff-take-next", args=[code]))
        assert taken.status_code == (302 if expected == 200 else 403)


def test_it_sends_anonymous_visitors_to_sign_in(client, catalog):
    login = reverse("staff-login")
    assert client.get(queue_url())["Location"].startswith(login)
    assert client.post(reverse("staff-take-next", args=[THEFT_DAMAGE]))["Location"].startswith(login)
    assert client.get(reverse("staff-queue-export", args=[THEFT_DAMAGE]))["Location"].startswith(login)


def test_it_answers_404_for_a_queue_that_does_not_exist(client, supervisor):
    sign_in(client, supervisor)
    assert client.get(queue_url("no-such-queue")).status_code == 404


# --- The page ------------------------------------------------------------------------------------------


def test_it_lists_a_filed_report_with_what_staff_need_to_see(client, catalog, report_taker):
    file_report(Client(), "theft-bicycle")
    report = Report.objects.get()
    sign_in(client, report_taker)

    page = client.get(queue_url()).content.decode()

    assert report.tracking_number in page
    assert "Bicycle theft" in page and "Theft" in page
    assert "On time" in page
    assert reverse("staff-report-detail", args=[report.tracking_number]) in page
    (row,) = re.findall(r"<tbody>(.*?)</tbody>", page, re.S)
    assert row.strip().endswith('<td><span class="text-body-secondary">No one</span></td></tr>')
    assert "None" not in row


def test_it_names_who_has_each_report_as_colleagues_know_them(client, report_taker):
    named = make_staff("named", "Report takers")
    named.first_name, named.last_name = "Grace", ""
    named.save()
    make_reports(1, assignee=named)
    make_reports(1, assignee=report_taker)  # no name on the account: its username
    sign_in(client, report_taker)

    rows = re.findall(r"<tbody>(.*?)</tbody>", client.get(queue_url()).content.decode(), re.S)[0]

    assert rows.count("<td>Grace</td></tr>") == 1 and rows.count("<td>taker</td></tr>") == 1
    assert "None" not in rows


def test_it_keeps_headings_in_order_labels_every_filter_and_has_no_inline_style(client, report_taker):
    make_reports(3)
    sign_in(client, report_taker)
    page = client.get(queue_url()).content.decode()
    found = audit(page)

    assert found.headings[0] == 1 and found.headings.count(1) == 1
    assert all(
        later - earlier <= 1 for earlier, later in zip(found.headings, found.headings[1:], strict=False)
    )
    assert found.fields and all(field in found.labelled for field in found.fields)
    assert "style=" not in page and "<script>" not in page
    assert "table-responsive" in page


def test_it_marks_reports_the_resident_added_to_since_staff_last_looked(client, report_taker):
    now = timezone.now()
    fresh, seen, untouched = make_reports(3)
    Report.objects.filter(pk=fresh.pk).update(resident_updated_at=now, staff_seen_at=now - timedelta(hours=1))
    Report.objects.filter(pk=seen.pk).update(resident_updated_at=now - timedelta(hours=1), staff_seen_at=now)
    sign_in(client, report_taker)

    rows = client.get(queue_url()).context["page"].rows

    assert [row.updated_by_resident for row in rows] == [True, False, False]
    assert client.get(queue_url()).content.decode().count("Updated by resident") == 1


def test_it_shows_the_sla_badge_in_words_as_well_as_colour(client, report_taker):
    now = timezone.now()
    hours = timedelta(hours=1)
    make_reports(1, created_at=now - 80 * hours, sla_due_at=now - 8 * hours)  # overdue
    make_reports(1, created_at=now - 60 * hours, sla_due_at=now + 12 * hours)  # 1/6 of 72 h left
    make_reports(1, created_at=now - 2 * hours, sla_due_at=now + 70 * hours)
    sign_in(client, report_taker)

    page = client.get(queue_url()).content.decode()

    assert 'text-bg-danger">Overdue' in page
    assert 'text-bg-warning">Due soon' in page
    assert 'text-bg-success">On time' in page


def test_it_states_each_sla_case():
    now = timezone.now()
    hours = timedelta(hours=1)

    def state(status, created, due):
        return sla_state(Report(status=status, created_at=now - created, sla_due_at=now + due), now)

    assert state(Status.SUBMITTED, 73 * hours, -hours) == "overdue"
    assert state(Status.IN_REVIEW, 60 * hours, 12 * hours) == "due_soon"  # 12 of 72 h left: under 25 %
    assert state(Status.NEEDS_INFO, 50 * hours, 22 * hours) == "on_time"  # 22 of 72 h: over 25 %
    assert state(Status.APPROVED, 80 * hours, -8 * hours) == "closed"


def test_it_writes_the_age_in_minutes_hours_or_days():
    now = timezone.now()
    assert age(now - timedelta(minutes=12), now) == "12 min"
    assert age(now - timedelta(hours=3, minutes=50), now) == "3 h"
    assert age(now - timedelta(days=2, hours=5), now) == "2 d"
    assert age(now + timedelta(minutes=1), now) == "0 min"  # a clock a little ahead is not negative


# --- Filters and search ------------------------------------------------------------------------------


def test_it_filters_by_type_and_subtype(client, report_taker):
    bike = make_reports(1, "theft-bicycle")
    package = make_reports(1, "theft-package")
    graffiti = make_reports(1, "damage-graffiti")
    make_reports(1, "parking-fire-hydrant")  # another queue altogether
    sign_in(client, report_taker)

    assert shown(client) == numbers(bike + package + graffiti)
    assert shown(client, report_type="theft") == numbers(bike + package)
    assert shown(client, report_type="damage") == numbers(graffiti)
    assert shown(client, subtype="theft-package") == numbers(package)


def test_it_shows_open_reports_unless_asked_for_another_status(client, report_taker):
    submitted = make_reports(1, status=Status.SUBMITTED)
    waiting = make_reports(1, status=Status.NEEDS_INFO)
    approved = make_reports(1, status=Status.APPROVED, case_number="MP26-000001")
    sign_in(client, report_taker)

    assert shown(client) == numbers(submitted + waiting)
    assert shown(client, status="open") == numbers(submitted + waiting)
    assert shown(client, status="all") == numbers(submitted + waiting + approved)
    assert shown(client, status="approved") == numbers(approved)


def test_it_filters_by_who_the_report_is_assigned_to(client, report_taker):
    other = make_staff("taker2", "Report takers")
    mine = make_reports(1, assignee=report_taker)
    theirs = make_reports(1, assignee=other)
    nobodys = make_reports(1)
    sign_in(client, report_taker)

    assert shown(client, assigned="me") == numbers(mine)
    assert shown(client, assigned="unassigned") == numbers(nobodys)
    assert shown(client, assigned="anyone") == numbers(mine + theirs + nobodys)


def test_it_filters_by_the_day_filed_in_local_time(client, report_taker):
    day = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=10)
    before = make_reports(1, start=day - timedelta(days=1))
    first = make_reports(1, start=day.replace(hour=0, minute=5))
    last = make_reports(1, start=day.replace(hour=23, minute=55) + timedelta(days=1))
    after = make_reports(1, start=day + timedelta(days=2))
    sign_in(client, report_taker)
    start, end = day.date().isoformat(), (day + timedelta(days=1)).date().isoformat()

    assert shown(client, created_from=start, created_to=end) == numbers(first + last)
    assert shown(client, created_from=start) == numbers(first + last + after)
    assert shown(client, created_to=end) == numbers(before + first + last)


def test_it_refuses_a_date_range_that_ends_before_it_starts(client, report_taker):
    make_reports(2)
    sign_in(client, report_taker)

    response = client.get(queue_url(), {"created_from": "2026-03-10", "created_to": "2026-03-01"})

    assert response.status_code == 200
    assert "The end date is before the start date." in response.content.decode()
    assert len(response.context["page"].rows) == 2  # the bad field is left out, the rest still works


FILTERS = "reports/staff/_queue_filters.html"


def filters_rendered(response) -> bool:
    return FILTERS in [template.name for template in response.templates]


def test_it_renders_the_filter_form_once_for_the_same_filters(client, report_taker):
    make_reports(2)
    sign_in(client, report_taker)

    first = client.get(queue_url(), {"sort": "newest"})
    again = client.get(queue_url(), {"sort": "newest"})
    other = client.get(queue_url(), {"sort": "oldest"})

    assert filters_rendered(first) and not filters_rendered(again) and filters_rendered(other)
    assert again.content.decode().count('<option value="newest" selected>') == 1
    assert other.content.decode().count('<option value="oldest" selected>') == 1


def test_it_shows_a_new_subtype_and_the_chosen_language_in_the_filters_at_once(client, report_taker):
    from reports.models import ReportSubtype, ReportType

    sign_in(client, report_taker)
    assert "Stolen canoe" not in client.get(queue_url()).content.decode()
    theft = ReportType.objects.get(code="theft")
    ReportSubtype.objects.create(report_type=theft, code="theft-canoe", name="Stolen canoe", order=99)

    assert "Stolen canoe" in client.get(queue_url()).content.decode()
    client.cookies["django_language"] = "es"
    assert "Todos los tipos" in client.get(queue_url()).content.decode()


def test_it_never_keeps_a_filter_form_with_errors(client, report_taker):
    sign_in(client, report_taker)
    bad = {"created_from": "2026-03-10", "created_to": "2026-03-01"}

    first, again = client.get(queue_url(), bad), client.get(queue_url(), bad)

    assert filters_rendered(first) and filters_rendered(again)
    assert "The end date is before the start date." in again.content.decode()


def test_the_kept_filters_still_filter_and_me_is_whoever_asks(client, report_taker):
    other = make_staff("taker2", "Report takers")
    bike = make_reports(1, "theft-bicycle", assignee=report_taker)
    graffiti = make_reports(1, "damage-graffiti", assignee=other)
    more = make_reports(30, "theft-package")
    sign_in(client, report_taker)
    colleague = Client()
    sign_in(colleague, other)

    for _ in range(2):  # the second time from what the first kept
        assert shown(client, report_type="damage") == numbers(graffiti)
        assert shown(client, assigned="me") == numbers(bike)
        assert shown(colleague, assigned="me") == numbers(graffiti)
        assert len(shown(client, per_page="25")) == 25 < len(bike + graffiti + more)


@pytest.mark.parametrize(
    ("search", "finds"),
    [
        ("tracking", "target"),
        ("tracking-lower-no-dash", "target"),
        ("mp26-000042", "target"),
        ("Quinn", "target"),
        ("QUINN.R@EXAMPLE", "target"),
        ("lake st", "target"),
        ("Nobody Such", None),
    ],
)
def test_it_searches_by_number_name_email_or_address(client, report_taker, search, finds):
    make_reports(3)
    (target,) = make_reports(
        1,
        contact_name="Robin Quinn",
        contact_email="quinn.r@example.net",
        address="2400 E Lake St",
        case_number="MP26-000042",
        status=Status.IN_REVIEW,
    )
    sign_in(client, report_taker)
    if search == "tracking":
        search = target.tracking_number
    elif search == "tracking-lower-no-dash":
        search = target.tracking_number.replace("-", "").lower()

    assert shown(client, search=search) == ([target.tracking_number] if finds else [])


def test_it_finds_a_plate_however_it_is_typed(client, traffic_agent):
    (blue,) = make_reports(1, "parking-blocked-driveway", vehicle_plate="ABC123")
    make_reports(1, "parking-blocked-driveway", vehicle_plate="XYZ789")
    sign_in(client, traffic_agent)

    assert shown(client, TRAFFIC, search="abc 123") == [blue.tracking_number]
    assert shown(client, TRAFFIC, search="ABC-123") == [blue.tracking_number]


# --- Sorts and pages -------------------------------------------------------------------------------------


def test_it_sorts_oldest_first_by_default_then_newest_or_by_sla(client, report_taker):
    now = timezone.now()
    old, middle, new = make_reports(3, step=timedelta(hours=1))
    # The middle one is due first: SLA order is not filing order.
    Report.objects.filter(pk=middle.pk).update(sla_due_at=now)
    sign_in(client, report_taker)

    assert shown(client) == numbers([old, middle, new])
    assert shown(client, sort="oldest") == numbers([old, middle, new])
    assert shown(client, sort="newest") == numbers([new, middle, old])
    assert shown(client, sort="sla") == numbers([middle, old, new])


@pytest.mark.parametrize("sort", ["oldest", "newest", "sla"])
def test_it_walks_every_row_exactly_once_page_by_page(report_taker, sort):
    start = timezone.now() - timedelta(days=3)
    # Ten share one filing time and SLA due time: the id settles their order, across a page break too.
    make_reports(10, start=start, step=timedelta(0))
    make_reports(27, start=start + timedelta(hours=1))
    queue = Report.objects.first().queue
    filters = queries.QueueFilters(sort=sort)
    expected = numbers(queries.queue_reports(queue, filters, user=report_taker))

    seen, cursor, pages = [], None, 0
    while True:
        page = queries.queue_page(queue, filters, user=report_taker, cursor=cursor, page_size=4)
        seen += numbers(page.rows)
        pages += 1
        if not page.has_more:
            break
        cursor = page.next_cursor

    assert seen == expected and len(set(seen)) == 37
    assert pages == 10


def test_it_follows_the_next_page_link_with_the_filters_kept(client, report_taker):
    make_reports(60)
    make_reports(5, "damage-graffiti")
    sign_in(client, report_taker)

    first = client.get(queue_url(), {"report_type": "theft", "per_page": 25})
    second = client.get(queue_url() + "?" + first.context["next_query"])
    third = client.get(queue_url() + "?" + second.context["next_query"])

    pages = [numbers(response.context["page"].rows) for response in (first, second, third)]
    assert [len(page) for page in pages] == [25, 25, 10]
    assert len(set(sum(pages, []))) == 60
    assert not third.context["page"].has_more
    assert "report_type=theft" in first.context["next_query"] and "per_page=25" in first.context["next_query"]
    assert 'rel="next"' in first.content.decode() and 'rel="next"' not in third.content.decode()


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor at all",
        "%%%",
        cursor_of({"a": 1}),
        cursor_of(["oldest", "yesterday", 5]),
        cursor_of(["oldest", "2026-01-01T10:00:00", 5]),  # no time zone
        cursor_of(["newest", "2026-01-01T10:00:00+00:00", 5]),  # made for another sort
        cursor_of(["oldest", "2026-01-01T10:00:00+00:00", "5"]),
        cursor_of(["oldest", "2026-01-01T10:00:00+00:00", 10**30]),
        cursor_of(["oldest", "0001-01-01T00:00:00+05:00", 5]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_it_shows_the_first_page_for_a_broken_cursor(client, report_taker, cursor):
    reports = make_reports(3)
    sign_in(client, report_taker)

    response = client.get(queue_url(), {"cursor": cursor})

    assert response.status_code == 200
    assert numbers(response.context["page"].rows) == numbers(reports)
    assert "That page link was not valid" in response.content.decode()


def count_queries(client: Client, url: str, params: dict | None = None):
    with CaptureQueriesContext(connection) as queries_run:
        response = client.get(url, params)
    # Read the count now: the log is emptied when the next request starts.
    return len(queries_run), response


def test_it_reads_each_page_in_the_same_number_of_queries_for_10_or_100_rows(client, report_taker):
    other = make_staff("taker2", "Report takers")
    make_reports(5, assignee=other, resident_updated_at=timezone.now())
    make_reports(5, "damage-vandalism")
    sign_in(client, report_taker)
    params = {"per_page": 100, "report_type": "", "status": "open", "search": ""}
    client.get(queue_url(), params)  # the first request of a session may fill caches

    ten, first = count_queries(client, queue_url(), params)
    make_reports(45, assignee=report_taker)
    make_reports(45, "damage-graffiti", assignee=other)
    hundred, second = count_queries(client, queue_url(), params)
    next_query = client.get(queue_url(), {"per_page": 25}).context["next_query"]
    deeper, third = count_queries(client, queue_url() + "?" + next_query)

    assert len(first.context["page"].rows) == 10 and len(second.context["page"].rows) == 100
    assert len(third.context["page"].rows) == 25
    assert ten == hundred == deeper


def test_it_keeps_the_partial_indexes_in_step_with_the_open_statuses():
    indexes = {index.name: index for index in Report._meta.indexes}
    for name in ("report_queue_open_created", "report_queue_open_sla"):
        (lookup, statuses) = indexes[name].condition.children[0]
        assert lookup == "status__in" and set(statuses) == set(OPEN_STATUSES)


# --- Take next ----------------------------------------------------------------------------------------


def test_it_takes_the_oldest_unassigned_open_report(client, report_taker):
    other = make_staff("taker2", "Report takers")
    make_reports(1, status=Status.APPROVED, case_number="MP26-000009")  # decided: not work any more
    make_reports(1, assignee=other)  # someone is on it
    oldest_free, _newer = make_reports(2)
    sign_in(client, report_taker)

    response = client.post(reverse("staff-take-next", args=[THEFT_DAMAGE]))

    assert response.status_code == 302
    assert response["Location"] == reverse("staff-report-detail", args=[oldest_free.tracking_number])
    assert response["Location"].endswith(f"/staff/reports/{oldest_free.tracking_number}/")
    oldest_free.refresh_from_db()
    assert oldest_free.assignee == report_taker and oldest_free.status == Status.IN_REVIEW
    assigned = oldest_free.events.get(kind=ReportEvent.Kind.ASSIGNED)
    assert assigned.actor == report_taker and assigned.data["to"] == report_taker.pk
    assert oldest_free.events.filter(
        kind=ReportEvent.Kind.STATUS_CHANGED, to_status=Status.IN_REVIEW
    ).exists()


def test_it_says_so_when_there_is_nothing_to_take(client, report_taker):
    make_reports(1, assignee=report_taker)
    sign_in(client, report_taker)

    response = client.post(reverse("staff-take-next", args=[THEFT_DAMAGE]), follow=True)

    assert response.redirect_chain == [(queue_url(), 302)]
    assert "Nothing to take" in response.content.decode()


def test_it_takes_next_only_by_post(client, report_taker):
    make_reports(1)
    sign_in(client, report_taker)

    assert client.get(reverse("staff-take-next", args=[THEFT_DAMAGE])).status_code == 405
    assert not Report.objects.filter(assignee__isnull=False).exists()


def postgresql_only():
    # Deselected on SQLite by the postgresql mark (conftest.py); a PostgreSQL run that lost its database
    # must fail here rather than skip.
    require(connection.vendor == "postgresql", "this race only exists on PostgreSQL")


@pytest.mark.postgresql
def test_it_gives_two_report_takers_pressing_take_next_together_two_different_reports(
    transactional_db, catalog, report_taker
):
    postgresql_only()
    second_taker = make_staff("taker2", "Report takers")
    make_reports(4)
    url = reverse("staff-take-next", args=[THEFT_DAMAGE])
    together = threading.Barrier(2)
    locations: dict[str, str] = {}

    def press(user: User) -> None:
        browser = Client()
        sign_in(browser, user)
        try:
            together.wait(timeout=10)
            locations[user.username] = browser.post(url)["Location"]
        finally:
            connections.close_all()  # this thread's connection, or the test database cannot be dropped

    threads = [threading.Thread(target=press, args=(user,)) for user in (report_taker, second_taker)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    taken = Report.objects.filter(assignee__isnull=False).order_by("created_at")
    assert len(locations) == 2 and len(set(locations.values())) == 2
    assert {report.assignee for report in taken} == {report_taker, second_taker}
    assert taken.count() == 2 and all(report.status == Status.IN_REVIEW for report in taken)
    assert list(taken) == list(Report.objects.order_by("created_at")[:2])


@pytest.mark.postgresql
def test_it_skips_a_report_another_transaction_holds_instead_of_waiting(
    transactional_db, catalog, report_taker
):
    postgresql_only()
    held, free = make_reports(2)
    locked, release = threading.Event(), threading.Event()

    def hold_the_oldest() -> None:
        try:
            with transaction.atomic():
                Report.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(timeout=15)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold_the_oldest)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        client = Client()
        sign_in(client, report_taker)
        response = client.post(reverse("staff-take-next", args=[THEFT_DAMAGE]))
    finally:
        release.set()
        holder.join(timeout=30)

    assert response["Location"] == reverse("staff-report-detail", args=[free.tracking_number])
    held.refresh_from_db()
    assert held.assignee is None


# --- The CSV export --------------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_it_exports_the_filtered_list_as_csv_for_supervisors(client, supervisor, report_taker):
    (theft,) = make_reports(1, assignee=report_taker)
    (approved,) = make_reports(1, status=Status.APPROVED, case_number="MP26-000007")
    make_reports(1, "damage-graffiti")
    sign_in(client, supervisor)

    response = client.get(
        reverse("staff-queue-export", args=[THEFT_DAMAGE]), {"report_type": "theft", "status": "all"}
    )

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="theft-damage-')
    rows = read_csv(response)
    assert [row["tracking_number"] for row in rows] == [theft.tracking_number, approved.tracking_number]
    first = rows[0]
    assert first["type"] == "Theft" and first["subtype"] == "Other stolen property"
    assert first["status"] == "Received" and first["channel"] == "Web"
    assert first["assignee"] == "taker" and first["address"] == theft.address
    assert first["created"] == timezone.localtime(theft.created_at).isoformat(timespec="minutes")
    assert rows[1]["case_number"] == "MP26-000007"
    assert "Alex Resident" not in str(rows) and "alex@example.org" not in str(rows)  # no personal data


def test_it_defuses_spreadsheet_formulas_in_the_csv(client, supervisor):
    addresses = [
        '=HYPERLINK("http://evil")',
        "+1 Main St",
        "-2 Main St",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "12 Main St",
    ]
    for address in addresses:
        make_reports(1, address=address)
    sign_in(client, supervisor)

    rows = read_csv(client.get(reverse("staff-queue-export", args=[THEFT_DAMAGE])))

    assert [row["address"] for row in rows] == [
        '\'=HYPERLINK("http://evil")',
        "'+1 Main St",
        "'-2 Main St",
        "'@SUM(A1)",
        "'\t=1+1",
        "'\r=1+1",
        "12 Main St",
    ]


def test_it_keeps_the_csv_from_everyone_but_supervisors(client, report_taker, traffic_agent):
    for person in (report_taker, traffic_agent):
        sign_in(client, person)
        assert client.get(reverse("staff-queue-export", args=[THEFT_DAMAGE])).status_code == 403
        assert client.get(reverse("staff-queue-export", args=[TRAFFIC])).status_code == 403
    assert "Download CSV" not in client.get(queue_url(TRAFFIC)).content.decode()


def test_it_offers_the_csv_of_the_current_filters_to_supervisors(client, supervisor):
    sign_in(client, supervisor)
    page = client.get(queue_url(), {"status": "all", "cursor": "x"}).content.decode()
    assert f'href="{reverse("staff-queue-export", args=[THEFT_DAMAGE])}?status=all"' in page


def test_a_row_shows_the_catalog_names_in_the_page_language_escaped_and_current(client, report_taker):
    from reports.models import ReportSubtype

    make_reports(1, "theft-bicycle")
    sign_in(client, report_taker)
    subtype = ReportSubtype.objects.get(code="theft-bicycle")
    english = client.get(queue_url()).content.decode()
    assert f">{subtype.name}</small>" in english

    subtype.name_es = "Robo de <b>bici</b>"
    subtype.save()  # as the admin saves it: every process reads the catalog again
    client.cookies["django_language"] = "es"
    spanish = client.get(queue_url()).content.decode()

    assert ">Robo de &lt;b&gt;bici&lt;/b&gt;</small>" in spanish and "<b>bici</b>" not in spanish
    assert "Recibido" in spanish  # the status, in the page's language too
