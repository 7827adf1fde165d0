"""A mission's estimate is kept in seconds, so tasks of a few seconds can be
posted (MW02); the minutes the API gives are read from it."""

from django.db import migrations, models
from django.db.models import F


def minutes_to_seconds(apps, schema_editor):
    Mission = apps.get_model("missions", "Mission")
    Mission.objects.update(estimated_seconds=F("estimated_minutes") * 60)


def seconds_to_minutes(apps, schema_editor):
    Mission = apps.get_model("missions", "Mission")
    # Rounded up, as the API reads them.
    Mission.objects.update(estimated_minutes=(F("estimated_seconds") + 59) / 60)


class Migration(migrations.Migration):
    dependencies = [
        ("missions", "0003_claim_rejection_reason_code"),
    ]

    operations = [
        migrations.AddField(
            model_name="mission",
            name="estimated_seconds",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(minutes_to_seconds, seconds_to_minutes),
        migrations.RemoveField(model_name="mission", name="estimated_minutes"),
    ]
