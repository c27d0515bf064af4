"""The filing funnel: counting steps (record), reading them back (funnel_figures), and the figures page.

The steps as the filing views record them are in tests/test_funnel_flow.py.
"""

from __future__ import annotations

import logging
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports import charts, figures, funnel
from reports.models import Channel, FunnelEvent, FunnelStep, StopReason

from .conftest import sign_in

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
S = FunnelStep


def steps_recorded() -> list[tuple[str, str]]:
    return sorted(FunnelEvent.objects.values_list("step", "reason"))


def record(session, step: str, **fields) -> None:
    funnel.record(session, step, **{"channel": Channel.WEB, "language": "en", **fields})


def statements(queries: CaptureQueriesContext) -> list[str]:
    # The savepoint around the insert (taken because each test runs in a transaction) is not a write.
    return [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]


# --- Recording ------------------------------------------------------------------------------------------


def test_it_counts_each_step_of_one_journey():
    session = SessionStore()

    record(session, S.STARTED, report_type="theft")
    record(session, S.DETAILS_DONE, report_type="theft")
    record(session, S.REVIEW_REACHED, report_type="theft")
    record(session, S.FILED, report_type="theft")

    events = list(FunnelEvent.objects.all())
    assert len(events) == 4 and len({event.journey for event in events}) == 1
    assert {event.step for event in events} == {S.STARTED, S.DETAILS_DONE, S.REVIEW_REACHED, S.FILED}
    assert {(event.report_type, event.channel, event.language) for event in events} == {
        ("theft", "web", "en")
    }


def test_it_counts_a_step_once_per_journey():
    session = SessionStore()
    record(session, S.STARTED)
    record(session, S.STARTED)  # the safety check reloaded
    record(session, S.DETAILS_DONE)
    record(session, S.DETAILS_DONE)  # the details sent again after going back
    # The same journey from another copy of the session (two tabs): the table refuses the repeat.
    other_tab = SessionStore()
    other_tab[funnel.SESSION_KEY] = {**session[funnel.SESSION_KEY], "steps": []}
    record(other_tab, S.DETAILS_DONE)

    assert steps_recorded() == [(S.DETAILS_DONE, ""), (S.STARTED, "")]


def test_it_starts_a_new_journey_after_filing_or_a_stop():
    session = SessionStore()
    record(session, S.STARTED)
    record(session, S.STOPPED, reason=StopReason.SUSPECT_KNOWN)
    record(session, S.STARTED)
    record(session, S.FILED)
    record(session, S.STARTED)

    journeys = FunnelEvent.objects.values_list("journey", flat=True).distinct()
    assert len(journeys) == 3
    assert FunnelEvent.objects.get(step=S.STOPPED).reason == "suspect-known"


def test_it_counts_nothing_without_a_journey_started():
    session = SessionStore()  # an old session, or one the funnel never saw start

    record(session, S.DETAILS_DONE)
    record(session, S.FILED)

    assert not FunnelEvent.objects.exists()


def test_it_costs_one_insert_at_most():
    session = SessionStore()

    with CaptureQueriesContext(connection) as first:
        record(session, S.STARTED, report_type="parking")
    with CaptureQueriesContext(connection) as again:
        record(session, S.STARTED, report_type="parking")

    assert len(statements(first)) == 1 and statements(first)[0].startswith("INSERT")
    assert statements(again) == []


def test_it_never_fails_the_request_when_it_cannot_write(caplog):
    session = SessionStore()
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE reports_funnelevent")  # rolled back with the test's transaction

    with caplog.at_level(logging.ERROR, logger="reports.funnel"):
        record(session, S.STARTED)

    assert [r.getMessage() for r in caplog.records] == [
        "The filing funnel could not count the step 'started'",
    ]
    assert funnel.SESSION_KEY not in session  # nothing half counted: the next "started" tries again


def test_it_refuses_an_unknown_step_or_stop_reason(caplog):
    session = SessionStore()
    record(session, S.STARTED)

    with caplog.at_level(logging.ERROR, logger="reports.funnel"):
        record(session, S.STOPPED, reason="bored")
        record(session, "no-such-step")

    assert steps_recorded() == [(S.STARTED, "")]
    assert [r.getMessage() for r in caplog.records] == [
        "The filing funnel could not count the step 'stopped'",
        "The filing funnel could not count the step 'no-such-step'",
    ]


def test_it_keeps_nothing_that_identifies_anyone():
    columns = {field.name for field in FunnelEvent._meta.get_fields()}

    assert columns == {"id", "journey", "step", "reason", "report_type", "channel", "language", "created_at"}


def test_it_keeps_the_stop_codes_of_the_eligibility_screen():
    from reports.stops import STOP_PAGES

    assert set(StopReason.values) == set(STOP_PAGES)


# --- Reading --------------------------------------------------------------------------------------------

NOW = timezone.now()


def journey(
    *steps: str,
    start: datetime | None = None,
    minutes: int = 10,
    channel: str = Channel.WEB,
    language: str = "en",
    reason: str = "",
) -> None:
    """One journey's rows, a minute apart after `start`, the last one (filed) `minutes` after it."""
    journey_id, start = uuid.uuid4(), start or NOW - timedelta(days=2)
    fields = {"journey": journey_id, "channel": channel, "language": language}
    rows = [FunnelEvent(step=S.STARTED, created_at=start, **fields)]
    for n, step in enumerate(steps, start=1):
        at = start + timedelta(minutes=minutes if step == S.FILED else n)
        stop = reason if step == S.STOPPED else ""
        rows.append(FunnelEvent(step=step, reason=stop, created_at=at, **fields))
    FunnelEvent.objects.bulk_create(rows)


FILED = (S.DETAILS_DONE, S.REVIEW_REACHED, S.FILED)


def fill_the_funnel() -> None:
    for minutes in (10, 20, 40):
        journey(*FILED, minutes=minutes)
    journey(*FILED, minutes=5, channel=Channel.PHONE, language="es")
    journey(S.STOPPED, *FILED, minutes=30, reason=StopReason.EMERGENCY)  # went back and filed after all
    journey(S.STOPPED, reason=StopReason.EMERGENCY)
    journey(S.STOPPED, reason=StopReason.OVER_VALUE_CAP, language="es")
    journey()  # left during the safety check or the details
    journey(S.DETAILS_DONE)  # left before the review page
    journey(S.DETAILS_DONE, S.REVIEW_REACHED)  # left at the review page
    journey(S.DETAILS_DONE, start=NOW - timedelta(hours=1))  # may still come back
    journey(*FILED, start=NOW - timedelta(days=40))  # started before the period


def counts_by_code(rows) -> dict[str, int]:
    return {row.code: row.count for row in rows}


def test_it_counts_steps_stops_abandonment_and_completion(settings):
    settings.DRAFT_TTL_HOURS = 24
    fill_the_funnel()

    figures_ = funnel.funnel_figures(figures.period_ending(30, now=NOW), now=NOW)

    everyone = figures_.overall
    assert counts_by_code(everyone.reached) == {
        "started": 11,
        "details_done": 8,
        "review_reached": 6,
        "filed": 5,
    }
    assert counts_by_code(everyone.stops) == {
        "emergency": 1,
        "in-progress": 0,
        "suspect-known": 0,
        "outside-city": 0,
        "excluded-items": 0,
        "over-value-cap": 1,
    }
    assert counts_by_code(everyone.abandoned) == {"started": 1, "details_done": 1, "review_reached": 1}
    assert everyone.in_progress == 1
    assert everyone.completion_percent == 56  # 5 filed of the 9 not stopped at the safety check
    assert everyone.median_to_file == timedelta(minutes=20)  # of 5, 10, 20, 30 and 40 minutes
    assert everyone.median_to_file_text == "20 min"


def test_it_breaks_the_funnel_down_by_channel_and_language(settings):
    settings.DRAFT_TTL_HOURS = 24
    fill_the_funnel()

    figures_ = funnel.funnel_figures(figures.period_ending(30, now=NOW), now=NOW)

    channels = {counts.label: counts for counts in figures_.by_channel}
    assert list(channels) == ["Web", "Phone", "Walk-in"]  # the API files in one request: no steps
    assert (channels["Web"].started, channels["Web"].filed, channels["Web"].stopped) == (10, 4, 2)
    assert (channels["Phone"].started, channels["Phone"].completion_percent) == (1, 100)
    assert channels["Phone"].median_to_file == timedelta(minutes=5)
    assert channels["Walk-in"].started == 0 and channels["Walk-in"].completion_percent is None
    languages = {counts.label: counts for counts in figures_.by_language}
    assert list(languages) == ["English", "Spanish", "Somali", "Hmong"]
    assert (languages["Spanish"].started, languages["Spanish"].filed, languages["Spanish"].stopped) == (
        2,
        1,
        1,
    )
    assert languages["Spanish"].completion_percent == 100


def test_it_puts_a_journey_under_the_channel_it_ended_on():
    # A 311 agent's channel (phone or walk-in) is known only once the safety check is answered.
    journey_id = uuid.uuid4()
    FunnelEvent.objects.bulk_create(
        [
            FunnelEvent(journey=journey_id, step=S.STARTED, channel=Channel.WEB, language="en"),
            FunnelEvent(journey=journey_id, step=S.FILED, channel=Channel.WALK_IN, language="en"),
        ]
    )

    figures_ = funnel.funnel_figures(figures.period_ending(7))

    assert [counts.filed for counts in figures_.by_channel] == [0, 0, 1]


def test_it_counts_abandonment_only_once_a_draft_would_have_expired(settings):
    settings.DRAFT_TTL_HOURS = 6
    journey(S.DETAILS_DONE, start=NOW - timedelta(hours=5))
    journey(S.DETAILS_DONE, start=NOW - timedelta(hours=7))

    everyone = funnel.funnel_figures(figures.period_ending(30, now=NOW), now=NOW).overall

    assert (everyone.abandoned_total, everyone.in_progress) == (1, 1)


def test_it_reads_the_funnel_in_one_query_whatever_the_data():
    fill_the_funnel()
    with CaptureQueriesContext(connection) as small:
        funnel.funnel_figures(figures.period_ending(30))
    for _ in range(10):
        fill_the_funnel()
    with CaptureQueriesContext(connection) as larger:
        funnel.funnel_figures(figures.period_ending(30))

    assert FunnelEvent.objects.count() > 300
    assert len(small) == len(larger) == 1


# --- The figures page -----------------------------------------------------------------------------------


def test_it_shows_the_funnel_to_supervisors_only(client, supervisor, report_taker, traffic_agent, agent_311):
    fill_the_funnel()
    url = reverse("staff-dashboard")
    for person in (report_taker, traffic_agent, agent_311):
        sign_in(client, person)
        response = client.get(url)
        assert response.status_code == 403 and b"Filing funnel" not in response.content
    sign_in(client, supervisor)

    page = client.get(url).content.decode()

    assert '<h2 id="funnel">Filing funnel</h2>' in page
    assert re.search(r'id="figure-completion">56%<', page)
    assert re.search(r'id="figure-median-to-file">20 min<', page)
    assert "Someone in danger or hurt (911); Happening now (911);" in page
    funnel_table = re.search(r'<table[^>]*id="table-funnel".*?</table>', page, flags=re.S)[0]
    assert re.search(r"Filed</th><td[^>]*>5</td><td[^>]*>45%</td>", funnel_table)
    breakdown = re.search(r'<table[^>]*id="table-funnel-breakdown".*?</table>', page, flags=re.S)[0]
    assert re.search(r"<th scope=\"row\">Phone</th><td[^>]*>1</td>", breakdown)
    assert re.search(r"<th scope=\"row\">Spanish</th><td[^>]*>2</td>", breakdown)


def test_it_shows_an_empty_funnel_without_dividing_by_zero(client, supervisor):
    sign_in(client, supervisor)

    page = client.get(reverse("staff-dashboard")).content.decode()

    assert re.search(r'id="figure-completion">—<', page)
    assert re.search(r'id="figure-median-to-file">—<', page)


def test_it_draws_the_funnel_well_formed_and_escaped():
    nasty = '<script>alert("x")</script> & Co'

    drawn = charts.funnel_chart(
        chart_id="f", title=nasty, description="d", steps=[(nasty, 8), ("Details done", 4), ("Filed", 0)]
    )

    assert "<script" not in drawn
    root = ET.fromstring(drawn)
    assert root.find(f"{SVG}title").text == nasty
    bars = list(root.iter(f"{SVG}rect"))
    assert len(bars) == 2  # none for a step nobody reached
    assert float(bars[1].get("width")) == pytest.approx(float(bars[0].get("width")) / 2)
    assert [t.text for t in root.iter(f"{SVG}text")][1:] == ["Details done: 4 (50%)", "Filed: 0 (0%)"]


def test_the_filed_step_and_the_filing_date_are_told_apart_in_spanish():
    """The word "Filed" labels a step of the funnel and, on the status page, the date a report was filed: in
    Spanish those are different words."""
    from django.utils import translation

    from reports.models import FunnelStep

    with translation.override("es"):
        assert str(FunnelStep.FILED.label) == "Reporte enviado"
        assert translation.gettext("Filed") == "Fecha del reporte"
