# Moves TrafficEndpoint, DeliveryAttempt and InboundUpdate from the reports app without touching the
# database: the tables keep their names and rows (db_table), only Django's idea of their app changes.
# reports.0007 removes them from the reports app's state once this has added them here.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED = ("trafficendpoint", "deliveryattempt", "inboundupdate")


def content_types_to_traffic(apps, schema_editor):
    # Keeps the permissions (and the admin's history) attached to the moved models.
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="reports", model__in=MOVED).update(app_label="traffic")


def content_types_to_reports(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="traffic", model__in=MOVED).update(app_label="reports")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("reports", "0006_parking_outcome"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="TrafficEndpoint",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("url", models.URLField(max_length=500)),
                        ("secrets", models.TextField(help_text="One whsec_… secret per line; all of them sign, for key rotation.")),
                        ("active", models.BooleanField(default=True)),
                        ("disabled_reason", models.CharField(blank=True, max_length=300)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                    ],
                    options={"db_table": "reports_trafficendpoint"},
                ),
                migrations.CreateModel(
                    name="InboundUpdate",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("webhook_id", models.CharField(max_length=100, unique=True)),
                        ("payload", models.JSONField()),
                        ("received_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("report", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="reports.report")),
                        ("endpoint", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="traffic.trafficendpoint")),
                    ],
                    options={"db_table": "reports_inboundupdate"},
                ),
                migrations.CreateModel(
                    name="DeliveryAttempt",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("webhook_id", models.CharField(max_length=100)),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("status_code", models.PositiveIntegerField(blank=True, null=True)),
                        ("latency_ms", models.PositiveIntegerField(default=0)),
                        ("error", models.TextField(blank=True)),
                        ("message", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="attempts_made", to="reports.outboxmessage")),
                        ("endpoint", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="traffic.trafficendpoint")),
                    ],
                    options={"db_table": "reports_deliveryattempt", "ordering": ["started_at", "id"]},
                ),
            ],
        ),
        migrations.RunPython(content_types_to_traffic, content_types_to_reports),
    ]
