from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0010_drafts_keep_files_resume_me_too"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="wake_failed",
            field=models.BooleanField(default=False),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="resent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
