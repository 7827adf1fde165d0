"""Each mission's earliest deadline among the claims holding a place, so that
the open-missions list reads the mission row alone; and its index."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_claims_due_at(apps, schema_editor):
    Mission = apps.get_model("missions", "Mission")
    Claim = apps.get_model("missions", "Claim")
    earliest = (
        Claim.objects.filter(mission=OuterRef("pk"), state="active").order_by("deadline_at").values("deadline_at")[:1]
    )
    Mission.objects.filter(claims__state="active").distinct().update(claims_due_at=Subquery(earliest))


class Migration(migrations.Migration):
    dependencies = [
        ("missions", "0007_bonus"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="mission",
            name="claims_due_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill_claims_due_at, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="mission",
            index=models.Index(fields=["state", "-id"], name="missions_open_idx"),
        ),
    ]
