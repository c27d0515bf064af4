"""Upgrading a database that already holds reports: migrations move models without losing a row."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from reports.models import OutboxMessage, Report
from traffic.models import DeliveryAttempt, InboundUpdate, TrafficEndpoint

# The last state before Traffic Control had an app of its own.
BEFORE_TRAFFIC_APP = [("reports", "0006_parking_outcome"), ("traffic", None)]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def fill_old_database(apps) -> dict:
    """What a city running the earlier release has: a parking report handed off, attempts, an update."""
    now = timezone.now()
    Queue = apps.get_model("reports", "Queue")
    queue = Queue.objects.create(code="old-traffic", name="Traffic Control", kind="traffic_control")
    report_type = apps.get_model("reports", "ReportType").objects.create(
        code="old-parking", name="Parking", form="parking", queue=queue
    )
    subtype = apps.get_model("reports", "ReportSubtype").objects.create(
        report_type=report_type, code="old-hydrant", name="Fire hydrant"
    )
    report = apps.get_model("reports", "Report").objects.create(
        tracking_number="OLDR-EP0R",
        report_type=report_type,
        subtype=subtype,
        queue=queue,
        occurred_from=now - timedelta(hours=1),
        address="350 S 5th St",
        sla_due_at=now + timedelta(hours=2),
    )
    message = apps.get_model("reports", "OutboxMessage").objects.create(
        kind="traffic_handoff", report=report, dedupe_key="handoff:old:filed:1", payload={"endpoint": 1}
    )
    endpoint = apps.get_model("reports", "TrafficEndpoint").objects.create(
        name="Old CAD", url="https://cad.example.org/hooks", secrets="whsec_b2xkIHNlY3JldA=="
    )
    attempts = [
        apps.get_model("reports", "DeliveryAttempt").objects.create(
            message=message, endpoint=endpoint, webhook_id="handoff_1", status_code=code, latency_ms=40
        )
        for code in (503, 200)
    ]
    apps.get_model("reports", "InboundUpdate").objects.create(
        webhook_id="upd_old_1", report=report, endpoint=endpoint, payload={"data": {"status": "dispatched"}}
    )
    # An administrator allowed to edit endpoints keeps that right after the move.
    content_type, _ = apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="reports", model="trafficendpoint"
    )
    permission, _ = apps.get_model("auth", "Permission").objects.get_or_create(
        content_type=content_type, codename="change_trafficendpoint", defaults={"name": "Can change"}
    )
    group = apps.get_model("auth", "Group").objects.create(name="Old administrators")
    group.permissions.add(permission)
    return {"report": report.pk, "message": message.pk, "endpoint": endpoint.pk, "attempts": len(attempts)}


@pytest.mark.django_db(transaction=True)
def test_it_moves_the_traffic_models_to_their_app_keeping_every_row():
    newest = latest()
    old = migrate(BEFORE_TRAFFIC_APP)
    state = [node for node in newest if node[0] not in ("reports", "traffic")] + [BEFORE_TRAFFIC_APP[0]]
    before = fill_old_database(old.loader.project_state(state).apps)

    migrate(newest)

    endpoint = TrafficEndpoint.objects.get(pk=before["endpoint"])
    assert endpoint.name == "Old CAD" and endpoint.secret_list() == ["whsec_b2xkIHNlY3JldA=="]
    attempts = DeliveryAttempt.objects.filter(message_id=before["message"], endpoint=endpoint)
    assert sorted(a.status_code for a in attempts) == [200, 503]
    update = InboundUpdate.objects.get(webhook_id="upd_old_1")
    assert update.report_id == before["report"] and update.endpoint == endpoint
    assert OutboxMessage.objects.get(pk=before["message"]).attempts_made.count() == before["attempts"]
    assert Report.objects.get(pk=before["report"]).tracking_number == "OLDR-EP0R"
    # The same tables, not copies: nothing was renamed or recreated.
    assert TrafficEndpoint._meta.db_table == "reports_trafficendpoint"
    moved = ContentType.objects.get_for_model(TrafficEndpoint)
    assert moved.app_label == "traffic"
    assert not ContentType.objects.filter(app_label="reports", model="trafficendpoint").exists()
    group = Group.objects.get(name="Old administrators")
    assert list(group.permissions.all()) == [
        Permission.objects.get(content_type=moved, codename="change_trafficendpoint")
    ]
