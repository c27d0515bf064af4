# The Traffic Control models now belong to the traffic app (traffic.0001_initial); their tables stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0006_parking_outcome"),
        ("traffic", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="DeliveryAttempt"),
                migrations.DeleteModel(name="InboundUpdate"),
                migrations.DeleteModel(name="TrafficEndpoint"),
            ],
        ),
    ]
