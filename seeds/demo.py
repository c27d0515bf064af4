"""Demo reports for `manage.py seed --demo`, filed through the same service as real ones.

Each is keyed by a fixed tracking number, so seeding again changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.management.base import OutputWrapper
from django.utils import timezone

from reports import submission, workflow
from reports.models import Channel, Draft, Report, ReportSubtype

SAFE = {
    "in_danger": "no",
    "happening_now": "no",
    "suspect_known": "no",
    "inside_city": "yes",
    "excluded_items": "no",
    "over_value_cap": "no",
}


def demo_reports() -> list[dict]:
    now = timezone.now()
    return [
        {
            "tracking_number": "DEMA-2222",
            "subtype": "theft-from-vehicle",
            "language": "es",
            "details": {
                "occurred_from": now - timedelta(hours=30),
                "occurred_to": now - timedelta(hours=20),
                "address": "2900 Lyndale Ave S",
                "latitude": 44.9493,
                "longitude": -93.2883,
                "description": "Me rompieron la ventana del pasajero de noche y se llevaron una mochila.",
                "contact_name": "María López",
                "contact_email": "maria.lopez@example.org",
            },
            "answers": {"vehicle-locked": "yes"},
            "items": [
                {
                    "description": "Laptop",
                    "brand_model": "Dell XPS 13",
                    "serial_number": "7HX2K93",
                    "value": Decimal("1100"),
                },
                {"description": "Backpack", "brand_model": "", "serial_number": "", "value": Decimal("80")},
            ],
        },
        {
            "tracking_number": "DEMA-3333",
            "subtype": "theft-bicycle",
            "channel": Channel.PHONE,
            "by": "agent",
            "details": {
                "occurred_from": now - timedelta(days=2),
                "occurred_to": now - timedelta(days=1, hours=20),
                "address": "1500 Washington Ave S",
                "description": "Bike taken from the rack outside my building.",
                "contact_name": "Sam Carter",
                "contact_email": "sam.carter@example.org",
                "contact_phone": "612-555-0148",
            },
            "items": [
                {
                    "description": "Bicycle",
                    "brand_model": "Trek FX 2",
                    "serial_number": "WTU123G4567",
                    "value": Decimal("650"),
                }
            ],
        },
        {
            "tracking_number": "DEMA-4444",
            "subtype": "damage-graffiti",
            "details": {
                "occurred_from": now - timedelta(days=1),
                "occurred_to": now - timedelta(hours=9),
                "address": "E Lake St & 28th Ave S",
                "damaged_property": "Garage door facing the alley",
                "estimated_cost": Decimal("300"),
                "description": "Spray-painted tags across the garage door.",
                "contact_name": "Lee Vang",
                "contact_email": "lee.vang@example.org",
            },
        },
        {
            "tracking_number": "DEMA-5555",
            "subtype": "parking-blocked-driveway",
            "details": {
                "occurred_from": now - timedelta(minutes=25),
                "address": "3512 Bryant Ave S",
                "latitude": 44.9391,
                "longitude": -93.2907,
                "vehicle_plate": "KTX482",
                "vehicle_state": "MN",
                "vehicle_make": "Toyota",
                "vehicle_colour": "Silver",
            },
        },
        {
            "tracking_number": "DEMA-6666",
            "subtype": "parking-abandoned-vehicle",
            "details": {
                "occurred_from": now - timedelta(hours=2),
                "address": "4100 Cedar Ave S",
                "vehicle_plate": "",
                "vehicle_make": "Ford",
                "vehicle_colour": "Red",
                "description": "No plates, flat tires, has not moved in over a week.",
                "contact_email": "neighbor@example.org",
            },
        },
        {
            # Dispatched and resolved at once, never on scene: the figures page flags it.
            "tracking_number": "DEMA-7777",
            "subtype": "parking-fire-hydrant",
            "details": {
                "occurred_from": now - timedelta(minutes=40),
                "address": "1500 E Lake St",
                "vehicle_plate": "MNP771",
                "vehicle_state": "MN",
                "vehicle_make": "Honda",
                "vehicle_colour": "Black",
            },
            "closed_by_traffic": ("PE-14", "gone_on_arrival"),
        },
    ]


def seed_demo_reports(stdout: OutputWrapper) -> int:
    created = 0
    for spec in demo_reports():
        if Report.objects.filter(tracking_number=spec["tracking_number"]).exists():
            continue
        subtype = ReportSubtype.objects.select_related("report_type").get(code=spec["subtype"])
        draft = Draft.objects.create(
            report_type=subtype.report_type,
            subtype=subtype,
            eligibility=SAFE,
            channel=spec.get("channel", Channel.WEB),
            language=spec.get("language", "en"),
            filed_by=User.objects.filter(username=spec.get("by", "")).first(),
        )
        filed = submission.file_report(
            draft,
            details=spec["details"],
            answers=spec.get("answers", {}),
            items=spec.get("items", []),
            uploads=[],
            by=draft.filed_by,
        )
        Report.objects.filter(pk=filed.report.pk).update(tracking_number=spec["tracking_number"])
        if "closed_by_traffic" in spec:
            unit, outcome = spec["closed_by_traffic"]
            traffic = User.objects.filter(username="traffic").first()
            workflow.dispatch(filed.report, by=traffic, unit=unit)
            workflow.resolve(filed.report, by=traffic, outcome=outcome)
        created += 1
    return created
