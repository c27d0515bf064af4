# The filing funnel (issue 12), city holidays for expected review dates, and each report type's advice
# for the confirmation page.

import uuid

import django.utils.timezone
from django.db import migrations, models

ADVICE_HELP = (
    "What the resident should do while they wait, shown once the report is filed. One piece of advice a line."
)


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0008_draft_without_status_token"),
    ]

    operations = [
        migrations.CreateModel(
            name="FunnelEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("journey", models.UUIDField(default=uuid.uuid4)),
                (
                    "step",
                    models.CharField(
                        choices=[
                            ("started", "Started"),
                            ("stopped", "Stopped at the safety check"),
                            ("details_done", "Details done"),
                            ("review_reached", "Review reached"),
                            ("filed", "Filed"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "reason",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("emergency", "Someone in danger or hurt (911)"),
                            ("in-progress", "Happening now (911)"),
                            ("suspect-known", "Suspect known (police)"),
                            ("outside-city", "Outside the city (police where it happened)"),
                            ("excluded-items", "Firearms, vehicles or plates (police)"),
                            ("over-value-cap", "Over the value cap (police)"),
                        ],
                        max_length=20,
                    ),
                ),
                ("report_type", models.CharField(blank=True, max_length=50)),
                (
                    "channel",
                    models.CharField(
                        choices=[("web", "Web"), ("phone", "Phone"), ("walk_in", "Walk-in"), ("api", "API")],
                        default="web",
                        max_length=10,
                    ),
                ),
                ("language", models.CharField(max_length=10)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={
                "indexes": [models.Index(fields=["step", "created_at"], name="funnel_started_in_period")],
                "constraints": [
                    models.UniqueConstraint(fields=("journey", "step"), name="funnel_step_once_per_journey")
                ],
            },
        ),
        migrations.CreateModel(
            name="Holiday",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(unique=True)),
                ("name", models.CharField(max_length=100)),
                ("name_en", models.CharField(max_length=100, null=True)),
                ("name_es", models.CharField(max_length=100, null=True)),
            ],
            options={
                "ordering": ["date"],
            },
        ),
        migrations.AddField(
            model_name="reporttype",
            name="advice",
            field=models.TextField(blank=True, help_text=ADVICE_HELP),
        ),
        migrations.AddField(
            model_name="reporttype",
            name="advice_en",
            field=models.TextField(blank=True, help_text=ADVICE_HELP, null=True),
        ),
        migrations.AddField(
            model_name="reporttype",
            name="advice_es",
            field=models.TextField(blank=True, help_text=ADVICE_HELP, null=True),
        ),
    ]
