"""The resident's way through filing: where first for parking, "already reported?", check your answers
with Change links, files kept between tries, and saving to come back later."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reports import outbox, tasks, workflow
from reports.models import Draft, DraftUpload, MeToo, OutboxMessage, Report, ReportEvent

from . import samples
from .conftest import sign_in
from .factories import make_report
from .flows import details_for, fill_details, pass_screen, send

pytestmark = pytest.mark.django_db

HYDRANT_PIN = {"latitude": "44.97730", "longitude": "-93.26540"}  # 350 S 5th St
TWENTY_METRES_NORTH = (44.97748, -93.26540)


def where(client: Client, **overrides):
    data = {"address": "350 S 5th St", "location_detail": "", **HYDRANT_PIN, **overrides}
    return client.post(reverse("report-where"), data)


def test_parking_asks_where_first_then_the_vehicle(client, catalog):
    assert pass_screen(client, "parking-fire-hydrant").url == reverse("report-where")
    assert where(client).url == reverse("report-details")  # nothing reported nearby

    page = client.get(reverse("report-details")).content.decode()

    assert "350 S 5th St" in page and 'name="address"' not in page  # shown, asked already
    assert "Step 4 of 5" in page
    # The time starts at now, in the city's time.
    now = timezone.localtime().strftime("%Y-%m-%dT%H:")
    assert re.search(rf'name="occurred_from"[^>]*value="{now}', page)
    details = {k: v for k, v in details_for("parking-fire-hydrant").items() if k != "address"}
    assert client.post(reverse("report-details"), details).url == reverse("report-review")
    assert send(client).status_code == 302
    report = Report.objects.get()
    assert (report.address, report.latitude) == ("350 S 5th St", 44.9773)


def test_it_offers_a_report_of_the_same_problem_nearby_and_adds_a_me_too(client, catalog):
    original = make_report(
        "parking-fire-hydrant",
        address="352 S 5th St",
        latitude=TWENTY_METRES_NORTH[0],
        longitude=TWENTY_METRES_NORTH[1],
        vehicle_plate="SECRET1",
        contact_name="First Reporter",
    )
    make_report("parking-double-parked", latitude=TWENTY_METRES_NORTH[0], longitude=TWENTY_METRES_NORTH[1])
    pass_screen(client, "parking-fire-hydrant")

    assert where(client).url == reverse("report-nearby")
    page = client.get(reverse("report-nearby")).content.decode()

    assert "300 block of S 5th St" in page and "SECRET1" not in page and "First Reporter" not in page
    assert page.count('name="me_too"') == 1  # the double-parked car is another problem
    added = client.post(
        reverse("report-nearby"), {"me_too": original.tracking_number, "email": "b@example.org"}
    )
    assert added.status_code == 200 and "2 people have reported this problem" in added.content.decode()
    me_too = MeToo.objects.get()
    assert (me_too.report, me_too.contact_email, me_too.channel) == (original, "b@example.org", "web")
    assert original.events.filter(kind=ReportEvent.Kind.ME_TOO, is_public=True).count() == 1
    assert Report.objects.count() == 2 and not Draft.objects.exists()  # nothing filed twice


def test_a_me_too_with_an_email_hears_the_outcome_in_their_language_and_nothing_more(catalog, traffic_agent):
    original = make_report(
        "parking-fire-hydrant", contact_name="First Reporter", contact_email="a@example.org"
    )
    workflow.add_me_too(original, channel="web", language="es", email="b@example.org")
    workflow.add_me_too(original, channel="web", language="en")  # no email: counted, not written to
    workflow.dispatch(original, by=traffic_agent, unit="PE-14")
    workflow.resolve(original, by=traffic_agent, outcome="citation_issued", note="Plate SECRET1 ticketed")

    for message in OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING):
        assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"

    to_me_too = [email for email in mail.outbox if email.to == ["b@example.org"]]
    assert len(to_me_too) == 1 and len(mail.outbox) == 2  # the first reporter's own email, and this one
    email = to_me_too[0]
    html = email.alternatives[0][0]
    assert "Control de Tránsito" in email.body and original.tracking_number in email.subject
    assert "Se emitió una multa" in email.body and "Se emitió una multa" in html  # seeds/reasons.json
    for private in ("First Reporter", "SECRET1", "/report/status/", "a@example.org"):
        assert private not in email.body and private not in html


def test_mine_is_different_goes_on_to_the_details(client, catalog):
    make_report("parking-fire-hydrant", latitude=TWENTY_METRES_NORTH[0], longitude=TWENTY_METRES_NORTH[1])
    pass_screen(client, "parking-fire-hydrant")
    where(client)

    response = client.post(reverse("report-nearby"), {"different": "1"})

    assert response.url == reverse("report-details") and not MeToo.objects.exists()


def test_check_your_answers_shows_every_part_with_a_change_link_and_not_given(client, catalog):
    pass_screen(client, "damage-graffiti")
    fill_details(client, "damage-graffiti", location_detail="", estimated_cost="", contact_phone="")

    page = client.get(reverse("report-review")).content.decode()

    for title in ("Safety check", "Where", "When", "What", "About you"):
        assert f">{title}</h2>" in page
    assert page.count("?return=review") >= 5
    assert "Not given" in page  # the phone, the cost and the place detail were left out
    change = re.search(r'href="(/report/details/\?return=review)"', page)[1]
    assert client.get(change).status_code == 200
    again = fill_details(client, "damage-graffiti", description="Bigger than I said.", **{"return": "review"})
    assert again.url == reverse("report-review")
    assert "Bigger than I said." in client.get(reverse("report-review")).content.decode()


def test_files_are_kept_between_tries_and_one_can_be_removed(client, catalog, private_evidence_storage):
    pass_screen(client, "damage-other")
    fill_details(client, "damage-other")
    photo = samples.upload("door.jpg", samples.jpeg_bytes(), "image/jpeg")

    added = client.post(reverse("report-review"), {"files": [photo], "add_files": "1"})

    assert added.status_code == 302 and added.url.endswith("#files")
    upload = DraftUpload.objects.get()
    assert client.get(reverse("report-upload", args=[upload.public_id]))["Content-Type"] == "image/jpeg"
    assert Client().get(reverse("report-upload", args=[upload.public_id])).status_code == 404  # theirs only
    client.post(reverse("report-review"), {"remove": str(upload.public_id)})
    assert not DraftUpload.objects.exists()
    assert not [path for path in private_evidence_storage.rglob("*") if path.is_file()]


def test_save_and_come_back_later_on_another_device(client, catalog):
    pass_screen(client, "theft-bicycle")
    fill_details(client, "theft-bicycle", description="Blue bike, taken overnight.")
    client.get(reverse("report-review"))  # reached the last step

    saved = client.post(reverse("report-save"), {"email": "later@example.org"})
    assert saved.status_code == 200 and "later@example.org" in saved.content.decode()
    message = OutboxMessage.objects.get(payload__template="draft-resume")
    assert outbox.claim_and_run(message.pk, tasks.HANDLERS) == "done"
    email = mail.outbox[-1]
    assert email.to == ["later@example.org"]
    link = re.search(r"http://\S+/report/resume/\S+/", email.body)[0]
    draft = Draft.objects.get()
    assert link.split("/")[-2] not in draft.resume_token_hash and len(draft.resume_token_hash) == 64

    phone = Client()
    opened = phone.get(link.replace("http://127.0.0.1:8000", ""))
    assert opened.status_code == 302 and opened.url == reverse("report-review")
    assert "Blue bike, taken overnight." in phone.get(opened.url).content.decode()
    assert send(phone).status_code == 302 and Report.objects.count() == 1
    assert Client().get(link.replace("http://127.0.0.1:8000", "")).url == reverse("report-submitted")


def test_a_newer_resume_link_replaces_the_older_one(client, catalog):
    pass_screen(client, "theft-bicycle")
    fill_details(client, "theft-bicycle")
    links = []
    for _ in range(2):
        client.post(reverse("report-save"), {"email": "later@example.org"})
        message = OutboxMessage.objects.filter(payload__template="draft-resume", state="pending").get()
        outbox.claim_and_run(message.pk, tasks.HANDLERS)
        links.append(re.search(r"/report/resume/\S+/", mail.outbox[-1].body)[0])

    assert Client().get(links[0]).url == reverse("report-start")  # expired: a newer one was sent
    assert Client().get(links[1]).url == reverse("report-review")  # where they had got to


def test_the_browser_keeps_its_draft_as_long_as_the_server_does(client, catalog, settings, report_taker):
    settings.DRAFT_TTL_HOURS = 168
    pass_screen(client, "damage-graffiti")
    assert client.session.get_expiry_age() == 168 * 3600  # not the 12 hours of a session
    assert client.cookies["sessionid"]["max-age"] == 168 * 3600

    # A signed-in staff member who starts a resident report keeps their session's own, shorter life.
    staff = Client()
    sign_in(staff, report_taker)
    pass_screen(staff, "damage-graffiti")
    assert staff.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
