"""Every existing expert gets a profile: a draft, under the company status (AM17)."""

from django.db import migrations
from django.utils import timezone


def profiles_create(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    ExpertProfile = apps.get_model("accounts", "ExpertProfile")
    ExpertProfileTransition = apps.get_model("accounts", "ExpertProfileTransition")
    now = timezone.now()
    experts = User.objects.filter(role="expert", expert_profile__isnull=True).values_list("pk", flat=True)
    for user_id in experts.iterator():
        profile = ExpertProfile.objects.create(
            user_id=user_id, status="company", state="draft", state_changed_at=now, created_at=now, updated_at=now
        )
        ExpertProfileTransition.objects.create(
            profile=profile, from_state="", to_state="draft", reason="profile created for an existing expert", at=now
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_expert_profiles"),
    ]

    operations = [
        migrations.RunPython(profiles_create, migrations.RunPython.noop),
    ]
