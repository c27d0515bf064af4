"""Load the reference data in seeds/ into the database: catalog, city boundary, city holidays, language lines,
staff groups, demo accounts.

Every function is idempotent: rows are keyed by code, name or username and updated in place, so a
second run changes nothing and creates no duplicates. The files win over edits made in the admin for
every field they set. Nothing is ever deleted (reports point at catalog rows): to retire a type or
subtype, set `active` off in the admin; the seed never touches `active`, so it stays off.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.core.management.base import OutputWrapper
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from shapely.geometry import shape

from reports.language_lines import refresh_language_lines
from reports.models import (
    Disposition,
    Holiday,
    LanguageLine,
    Question,
    QuestionChoice,
    Queue,
    ReferralReason,
    RejectionReason,
    ReportSubtype,
    ReportType,
    ResponseTemplate,
    ServiceArea,
)

SEEDS_DIR = Path(__file__).resolve().parent
CATALOG_PATH = SEEDS_DIR / "catalog.json"
BOUNDARY_PATH = SEEDS_DIR / "boundary.geojson"
STAFF_PATH = SEEDS_DIR / "staff.json"
REASONS_PATH = SEEDS_DIR / "reasons.json"
HOLIDAYS_PATH = SEEDS_DIR / "holidays.json"
LANGUAGES_PATH = SEEDS_DIR / "languages.json"
RESPONSES_PATH = SEEDS_DIR / "responses.json"

LIST_DATATYPES = {Question.Datatype.SINGLEVALUELIST, Question.Datatype.MULTIVALUELIST}


class SeedError(Exception):
    """The seed files say something the database cannot hold; the command rolls everything back."""


@dataclass(frozen=True)
class CatalogCounts:
    queues: int
    report_types: int
    subtypes: int
    questions: int
    choices: int


def read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def translated(field: str, text: dict[str, str] | None, *, where: str, required: bool = True) -> dict:
    """{"en": …, "es": …} → {"name_en": …, "name_es": …} for modeltranslation's columns."""
    languages = [code for code, _name in settings.LANGUAGES]
    if text is None and not required:
        return {f"{field}_{code}": "" for code in languages}
    if not isinstance(text, dict) or not text.get(settings.LANGUAGE_CODE):
        raise SeedError(f"{where}: {field} needs at least an {settings.LANGUAGE_CODE!r} text")
    unknown = set(text) - set(languages)
    if unknown:
        raise SeedError(f"{where}: {field} has texts in languages the site does not offer: {sorted(unknown)}")
    # A language left out is stored as NULL, which modeltranslation falls back to English for.
    return {f"{field}_{code}": text.get(code) for code in languages}


def check_choice(value: str, choices: type[Any], *, where: str) -> str:
    if value not in choices.values:
        raise SeedError(f"{where}: {value!r} is not one of {choices.values}")
    return value


def check_keys(entry: dict, allowed: set[str], *, where: str) -> None:
    # A misspelt key ("requried") would otherwise be ignored without a word.
    unknown = set(entry) - allowed
    if unknown:
        raise SeedError(f"{where}: unknown keys {sorted(unknown)}")


# --- The catalog ---------------------------------------------------------------------------------------


def seed_catalog(path: Path = CATALOG_PATH) -> CatalogCounts:
    catalog = read_json(path)
    queues = {entry["code"]: seed_queue(entry) for entry in catalog["queues"]}
    for entry in catalog["report_types"]:
        seed_report_type(entry, queues)
    types = catalog["report_types"]
    return CatalogCounts(
        queues=len(queues),
        report_types=len(types),
        subtypes=sum(len(entry["subtypes"]) for entry in types),
        questions=sum(len(entry["questions"]) for entry in types),
        choices=sum(len(q.get("choices", [])) for entry in types for q in entry["questions"]),
    )


def seed_queue(entry: dict) -> Queue:
    where = f"queue {entry['code']}"
    check_keys(entry, {"code", "kind", "name", "description"}, where=where)
    queue, _created = Queue.objects.update_or_create(
        code=entry["code"],
        defaults={
            "kind": check_choice(entry["kind"], Queue.Kind, where=where),
            **translated("name", entry["name"], where=where),
            **translated("description", entry.get("description"), where=where, required=False),
        },
    )
    return queue


REPORT_TYPE_KEYS = {
    "code",
    "name",
    "description",
    "form",
    "queue",
    "sla_hours",
    "value_cap",
    "email_required",
    "asks_suspect_known",
    "asks_excluded_items",
    "is_public",
    "order",
    "advice",
    "subtypes",
    "questions",
}


def seed_report_type(entry: dict, queues: dict[str, Queue]) -> ReportType:
    where = f"report type {entry['code']}"
    check_keys(entry, REPORT_TYPE_KEYS, where=where)
    if entry["queue"] not in queues:
        raise SeedError(f"{where}: no queue {entry['queue']!r} in the catalog")
    value_cap = entry["value_cap"]
    advice = advice_text(entry.get("advice"), where=where)
    report_type, _created = ReportType.objects.update_or_create(
        code=entry["code"],
        defaults={
            "form": check_choice(entry["form"], ReportType.Form, where=where),
            "queue": queues[entry["queue"]],
            "sla_hours": entry["sla_hours"],
            "value_cap": None if value_cap is None else Decimal(str(value_cap)),
            "email_required": entry["email_required"],
            "asks_suspect_known": entry["asks_suspect_known"],
            "asks_excluded_items": entry["asks_excluded_items"],
            "is_public": entry["is_public"],
            "order": entry["order"],
            **translated("name", entry["name"], where=where),
            **translated("description", entry["description"], where=where),
            **translated("advice", advice, where=where, required=False),
        },
    )
    subtypes = {
        sub["code"]: seed_subtype(report_type, sub, order)
        for order, sub in enumerate(entry["subtypes"], start=1)
    }
    for order, question in enumerate(entry["questions"], start=1):
        seed_question(report_type, question, order, subtypes)
    return report_type


def advice_text(advice: dict[str, list[str]] | None, *, where: str) -> dict[str, str] | None:
    """The file lists one piece of advice a line, per language; the column keeps them one a line."""
    if advice is None:
        return None
    if not isinstance(advice, dict) or not all(isinstance(lines, list) for lines in advice.values()):
        raise SeedError(f"{where}: advice must be a list of lines per language")
    return {language: "\n".join(lines) for language, lines in advice.items()}


def seed_subtype(report_type: ReportType, entry: dict, order: int) -> ReportSubtype:
    where = f"subtype {entry['code']}"
    check_keys(entry, {"code", "name", "description", "keywords", "dispatch_target_minutes"}, where=where)
    subtype, _created = ReportSubtype.objects.update_or_create(
        code=entry["code"],
        defaults={
            "report_type": report_type,
            "keywords": entry.get("keywords", ""),
            "dispatch_target_minutes": entry.get("dispatch_target_minutes"),
            "order": order,
            **translated("name", entry["name"], where=where),
            **translated("description", entry["description"], where=where),
        },
    )
    return subtype


QUESTION_KEYS = {"code", "subtypes", "label", "help_text", "datatype", "required", "choices"}


def seed_question(
    report_type: ReportType, entry: dict, order: int, subtypes: dict[str, ReportSubtype]
) -> Question:
    where = f"question {report_type.code}/{entry['code']}"
    check_keys(entry, QUESTION_KEYS, where=where)
    datatype = check_choice(entry["datatype"], Question.Datatype, where=where)
    choices = entry.get("choices", [])
    if (datatype in LIST_DATATYPES) != bool(choices):
        raise SeedError(f"{where}: list questions need choices, and only list questions may have them")
    unknown = set(entry["subtypes"]) - set(subtypes)
    if unknown:
        raise SeedError(f"{where}: {sorted(unknown)} are not subtypes of {report_type.code}")
    question, _created = Question.objects.update_or_create(
        report_type=report_type,
        code=entry["code"],
        defaults={
            "datatype": datatype,
            "required": entry["required"],
            "order": order,
            **translated("label", entry["label"], where=where),
            **translated("help_text", entry.get("help_text"), where=where, required=False),
        },
    )
    # An empty list means the question is asked for every subtype of its type.
    question.subtypes.set([subtypes[code] for code in entry["subtypes"]])
    for choice_order, choice in enumerate(choices, start=1):
        seed_choice(question, choice, choice_order, where=where)
    return question


def seed_choice(question: Question, entry: dict, order: int, *, where: str) -> QuestionChoice:
    where = f"{where} choice {entry['key']}"
    check_keys(entry, {"key", "name"}, where=where)
    choice, _created = QuestionChoice.objects.update_or_create(
        question=question,
        key=entry["key"],
        defaults={"order": order, **translated("name", entry["name"], where=where)},
    )
    return choice


# --- Reasons and the city boundary -------------------------------------------------------------------


def seed_reasons(path: Path = REASONS_PATH) -> int:
    """The lists staff pick from when they reject a report or refer it to police, and Traffic Control's
    when it closes a parking ticket."""
    data = read_json(path)
    count = 0
    for key, model in (("rejection_reasons", RejectionReason), ("referral_reasons", ReferralReason)):
        for order, entry in enumerate(data[key]):
            where = f"{key} {entry.get('code')}"
            check_keys(entry, {"code", "label", "explanation"}, where=where)
            model.objects.update_or_create(
                code=entry["code"],
                defaults={
                    "order": order,
                    **translated("label", entry["label"], where=where),
                    **translated("explanation", entry["explanation"], where=where),
                },
            )
            count += 1
    for order, entry in enumerate(data["parking_dispositions"]):
        where = f"parking_dispositions {entry.get('code')}"
        check_keys(entry, {"code", "label", "enforced"}, where=where)
        Disposition.objects.update_or_create(
            code=entry["code"],
            defaults={
                "order": order,
                "enforced": entry.get("enforced") is True,
                **translated("label", entry["label"], where=where),
            },
        )
        count += 1
    return count


def seed_response_templates(path: Path = RESPONSES_PATH) -> int:
    """The messages staff pick instead of writing them, in every language."""
    entries = read_json(path)["templates"]
    for order, entry in enumerate(entries):
        where = f"response template {entry.get('code')}"
        check_keys(entry, {"code", "use", "title", "body"}, where=where)
        ResponseTemplate.objects.update_or_create(
            code=entry["code"],
            defaults={
                "use": check_choice(entry["use"], ResponseTemplate.Use, where=where),
                "title": entry["title"],
                "order": order,
                **translated("body", entry["body"], where=where),
            },
        )
    return len(entries)


def seed_service_area(path: Path = BOUNDARY_PATH) -> ServiceArea:
    feature = read_json(path)
    geometry = feature["geometry"]
    outline = shape(geometry)
    if outline.geom_type not in ("Polygon", "MultiPolygon") or not outline.is_valid:
        raise SeedError(f"{path.name}: the boundary must be one valid Polygon or MultiPolygon")
    area, _created = ServiceArea.objects.update_or_create(
        name=feature["properties"]["name"], defaults={"boundary": geometry}
    )
    return area


# --- City holidays ----------------------------------------------------------------------------------


def seed_holidays(path: Path = HOLIDAYS_PATH) -> int:
    """The days City offices are closed, keyed by date; a date taken out of the file stays in the table
    (delete it in the admin), like every other seeded row."""
    entries = read_json(path)["holidays"]
    for entry in entries:
        where = f"holiday {entry.get('date')}"
        check_keys(entry, {"date", "name"}, where=where)
        try:
            day = date.fromisoformat(entry["date"])
        except (TypeError, ValueError) as error:
            raise SeedError(f"{where}: the date must be YYYY-MM-DD") from error
        Holiday.objects.update_or_create(date=day, defaults=translated("name", entry["name"], where=where))
    return len(entries)


# --- The city's phone line for each language ----------------------------------------------------------


def seed_language_lines(path: Path = LANGUAGES_PATH) -> int:
    """Keyed by language; the order is the file's. A line taken out of the file stays (turn it off in
    the admin), like every other seeded row."""
    offered = {code for code, _name in settings.LANGUAGES}
    entries = read_json(path)["lines"]
    for order, entry in enumerate(entries):
        where = f"language line {entry.get('language')}"
        check_keys(entry, {"language", "phone"}, where=where)
        if entry["language"] not in offered:
            raise SeedError(f"{where}: the site does not offer that language ({sorted(offered)})")
        LanguageLine.objects.update_or_create(
            language=entry["language"], defaults={"phone": entry["phone"], "order": order}
        )
    # Every page's footer shows them: this process shows the new numbers at once (others within minutes).
    refresh_language_lines()
    return len(entries)


# --- Staff groups and demo accounts -------------------------------------------------------------------

DEMO_USER_KEYS = {"username", "first_name", "last_name", "email", "groups", "is_superuser"}


def seed_groups(path: Path = STAFF_PATH) -> list[Group]:
    return [seed_group(entry) for entry in read_json(path)["groups"]]


def seed_group(entry: dict) -> Group:
    check_keys(entry, {"name", "permissions"}, where=f"group {entry['name']}")
    group, _created = Group.objects.get_or_create(name=entry["name"])
    # set(), not add(): the file is the whole list, so a permission taken out of it is taken away.
    group.permissions.set(find_permissions(entry["permissions"], where=f"group {entry['name']}"))
    return group


def find_permissions(names: list[str], *, where: str) -> list[Permission]:
    permissions = []
    for name in names:
        app_label, _dot, codename = name.partition(".")
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            raise SeedError(f"{where}: no permission {name!r} (has `manage.py migrate` run?)")
        permissions.append(permission)
    return permissions


# The demo accounts' second factor: one-time backup codes known in advance, put back by every
# `seed --demo` (so by every `make run`), since each works only once.
DEMO_BACKUP_CODES = ("311311", "311312", "311313", "311314", "311315")


@dataclass(frozen=True)
class DemoAccounts:
    users: list[AbstractUser]
    password: str
    backup_codes: tuple[str, ...] = DEMO_BACKUP_CODES


def seed_demo_users(path: Path = STAFF_PATH) -> DemoAccounts:
    staff = read_json(path)
    password = staff["demo_password"]
    users = [seed_demo_user(entry, password) for entry in staff["demo_users"]]
    for user in users:
        seed_demo_backup_codes(user)
    return DemoAccounts(users, password)


def seed_demo_backup_codes(user: AbstractUser) -> None:
    device, _created = StaticDevice.objects.update_or_create(
        user=user,
        name="Demo backup codes",
        defaults={"confirmed": True, "throttling_failure_count": 0, "throttling_failure_timestamp": None},
    )
    device.token_set.all().delete()
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in DEMO_BACKUP_CODES)


def seed_demo_user(entry: dict, password: str) -> AbstractUser:
    check_keys(entry, DEMO_USER_KEYS, where=f"demo user {entry['username']}")
    user, created = get_user_model().objects.update_or_create(
        username=entry["username"],
        defaults={
            "first_name": entry["first_name"],
            "last_name": entry["last_name"],
            "email": entry["email"],
            # Staff, so each can open /admin and use what their groups allow there.
            "is_staff": True,
            "is_superuser": entry.get("is_superuser", False),
            "is_active": True,
        },
    )
    if created:
        # Only a new account gets the demo password: re-seeding must not undo a password someone changed.
        user.set_password(password)
        user.save(update_fields=["password"])
    groups = list(Group.objects.filter(name__in=entry["groups"]))
    if len(groups) != len(set(entry["groups"])):
        raise SeedError(f"demo user {entry['username']}: unknown group in {entry['groups']}")
    user.groups.set(groups)
    return user


def seed_demo_reports(stdout: OutputWrapper) -> None:
    """Demo reports in both queues, filed through the real filing service (see seeds/demo.py)."""
    from seeds import demo

    created = demo.seed_demo_reports(stdout)
    if created:
        stdout.write(f"Demo reports: {created} filed.")
