from __future__ import annotations

import json
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db.models import Model

from reports.models import (
    Disposition,
    Question,
    QuestionChoice,
    Queue,
    ReportSubtype,
    ReportType,
    ServiceArea,
)
from seeds import loader

User = get_user_model()
DEMO_USERNAMES = {"taker", "taker2", "agent", "traffic", "supervisor", "admin"}
SEEDED_MODELS: list[type[Model]] = [
    Queue,
    ReportType,
    ReportSubtype,
    Question,
    Question.subtypes.through,
    QuestionChoice,
    ServiceArea,
    Disposition,
    Group,
    Group.permissions.through,
    User,
    User.groups.through,
]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[dict]]:
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in SEEDED_MODELS}


def test_it_changes_nothing_when_run_twice(db):
    seed("--demo")
    first = snapshot()

    seed("--demo")

    assert {label: len(rows) for label, rows in snapshot().items()} == {
        label: len(rows) for label, rows in first.items()
    }
    assert snapshot() == first


def test_it_loads_the_three_report_types_with_their_subtypes(db):
    seed()

    subtypes = {
        report_type.code: [subtype.code for subtype in report_type.subtypes.all()]
        for report_type in ReportType.objects.all()
    }
    assert subtypes == {
        "theft": ["theft-from-vehicle", "theft-bicycle", "theft-package", "theft-other"],
        "damage": ["damage-vandalism", "damage-graffiti", "damage-vehicle", "damage-other"],
        "parking": [
            "parking-blocked-driveway",
            "parking-fire-hydrant",
            "parking-abandoned-vehicle",
            "parking-no-parking-zone",
            "parking-double-parked",
            "parking-sidewalk-crosswalk",
            "parking-disabled-spot",
        ],
    }


def test_it_sends_parking_to_traffic_control_and_keeps_theft_and_damage_private(db):
    seed()

    types = {report_type.code: report_type for report_type in ReportType.objects.select_related("queue")}
    assert types["parking"].queue.kind == Queue.Kind.TRAFFIC_CONTROL
    assert types["parking"].is_public and not types["parking"].email_required
    assert types["parking"].value_cap is None and types["parking"].sla_hours == 2
    for code in ("theft", "damage"):
        assert types[code].queue.code == "theft-damage"
        assert not types[code].is_public and types[code].email_required
        assert types[code].value_cap == 10000
    assert types["theft"].asks_excluded_items and not types["damage"].asks_excluded_items


def test_it_asks_each_question_only_for_its_subtypes(db):
    seed()

    carrier = Question.objects.get(report_type__code="theft", code="package-carrier")
    anything_else = Question.objects.get(report_type__code="theft", code="other-damage")
    how_long = Question.objects.get(report_type__code="parking", code="abandoned-how-long")
    assert [subtype.code for subtype in carrier.subtypes.all()] == ["theft-package"]
    assert list(anything_else.subtypes.all()) == []
    assert [choice.key for choice in carrier.choices.all()] == ["usps", "ups", "fedex", "amazon", "other"]
    assert how_long.required and how_long.datatype == Question.Datatype.SINGLEVALUELIST


def test_it_has_spanish_for_every_resident_visible_text(db):
    seed()

    rows = [
        *((row, ["name", "description"]) for row in ReportType.objects.all()),
        *((row, ["name", "description"]) for row in ReportSubtype.objects.all()),
        *((row, ["label"]) for row in Question.objects.all()),
        *((row, ["name"]) for row in QuestionChoice.objects.all()),
    ]
    missing = [
        f"{type(row).__name__} {row.pk} {field}"
        for row, fields in rows
        for field in fields
        if not getattr(row, f"{field}_es") or not getattr(row, f"{field}_en")
    ]
    missing += [
        f"Question {question.code} help_text"
        for question in Question.objects.all()
        if bool(question.help_text_en) != bool(question.help_text_es)
    ]
    assert missing == []
    assert ReportSubtype.objects.get(code="theft-bicycle").name_es == "Robo de bicicleta"


@pytest.mark.parametrize(
    ("place", "lat", "lng", "inside"),
    [
        ("downtown", 44.9778, -93.2650, True),
        ("Uptown", 44.9483, -93.2980, True),
        ("Northeast", 45.0050, -93.2470, True),
        ("St. Paul", 44.9537, -93.0900, False),
        ("Edina", 44.8897, -93.3499, False),
        ("Bloomington", 44.8408, -93.2983, False),
    ],
)
def test_it_draws_the_city_boundary_around_minneapolis(db, place, lat, lng, inside):
    seed()

    assert ServiceArea.objects.get(name="Minneapolis").contains(lat, lng) is inside, place


def test_it_keeps_the_boundary_a_small_closed_ring():
    feature = json.loads(loader.BOUNDARY_PATH.read_text())

    ring = feature["geometry"]["coordinates"][0]
    assert 12 <= len(ring) - 1 <= 30
    assert ring[0] == ring[-1]


def test_it_creates_the_demo_accounts_only_with_demo(db):
    seed()
    assert not User.objects.filter(username__in=DEMO_USERNAMES).exists()
    assert Group.objects.count() == 5

    out = seed("--demo")

    assert set(User.objects.filter(is_staff=True).values_list("username", flat=True)) == DEMO_USERNAMES
    assert "demo-pass-311" in out
    assert all(username in out for username in DEMO_USERNAMES)
    assert User.objects.get(username="taker").check_password("demo-pass-311")


@pytest.mark.parametrize(
    ("username", "group", "allowed", "denied"),
    [
        ("taker", "Report takers", ["work_report_queue"], ["work_traffic_queue", "supervise_queues"]),
        ("taker2", "Report takers", ["work_report_queue"], ["file_for_caller"]),
        ("agent", "311 agents", ["file_for_caller"], ["work_report_queue", "work_traffic_queue"]),
        ("traffic", "Traffic Control", ["work_traffic_queue"], ["work_report_queue", "file_for_caller"]),
        (
            "supervisor",
            "Supervisors",
            ["work_report_queue", "work_traffic_queue", "file_for_caller", "supervise_queues"],
            ["change_reporttype"],
        ),
        ("admin", "Administrators", ["supervise_queues", "change_reporttype", "add_questionchoice"], []),
    ],
)
def test_it_gives_each_demo_account_its_group_and_permissions(db, username, group, allowed, denied):
    seed("--demo")

    user = User.objects.get(username=username)
    assert [g.name for g in user.groups.all()] == [group]
    assert user.is_staff and user.email == f"{username}@example.org"
    assert all(user.has_perm(f"reports.{codename}") for codename in allowed)
    assert not any(user.has_perm(f"reports.{codename}") for codename in denied)


def test_it_gives_administrators_the_catalog_and_user_admin_without_being_superusers(db):
    seed()

    permissions = Group.objects.get(name="Administrators").permissions
    held = permissions.values_list("content_type__app_label", "codename")
    names = {f"{app_label}.{codename}" for app_label, codename in held}
    catalog = (
        "queue",
        "reporttype",
        "reportsubtype",
        "question",
        "questionchoice",
        "servicearea",
        "disposition",
    )
    for model in catalog:
        assert {f"reports.add_{model}", f"reports.change_{model}", f"reports.view_{model}"} <= names
    for action in ("add", "change", "view"):
        assert f"traffic.{action}_trafficendpoint" in names
    assert {"auth.add_user", "auth.change_user", "auth.view_user", "auth.view_group"} <= names
    # Groups are the seeds' (changed by a superuser only); accounts are deactivated, never deleted.
    assert not names & {"auth.add_group", "auth.change_group", "auth.delete_user", "auth.change_permission"}
    assert "reports.delete_reporttype" not in names


def test_it_keeps_a_changed_password_but_restores_group_membership(db):
    seed("--demo")
    taker = User.objects.get(username="taker")
    taker.set_password("a-new-password-of-mine")
    taker.save()
    taker.groups.clear()

    seed("--demo")

    taker.refresh_from_db()
    assert taker.check_password("a-new-password-of-mine")
    assert [g.name for g in taker.groups.all()] == ["Report takers"]


def test_it_stops_on_a_question_for_a_subtype_of_another_type(db, tmp_path):
    catalog = json.loads(loader.CATALOG_PATH.read_text())
    catalog["report_types"][2]["questions"][0]["subtypes"] = ["theft-bicycle"]
    broken = tmp_path / "catalog.json"
    broken.write_text(json.dumps(catalog))

    with pytest.raises(loader.SeedError, match="not subtypes of parking"):
        loader.seed_catalog(broken)


def test_it_loads_traffic_controls_closing_codes_in_every_language(db):
    seed()

    codes = list(Disposition.objects.values_list("code", flat=True))
    assert codes == [
        "citation_issued",
        "vehicle_towed",
        "warning",
        "gone_on_arrival",
        "could_not_locate",
        "unfounded",
        "duplicate",
    ]
    assert set(Disposition.objects.filter(enforced=True).values_list("code", flat=True)) == {
        "citation_issued",
        "vehicle_towed",
    }
    located = Disposition.objects.get(code="could_not_locate")
    assert located.label_en == "Enforcement could not find the place or the vehicle"
    assert all((located.label_es, located.label_so, located.label_hmn))
