"""Account closure requests (AC02) and consents to the legal documents (AC03).

Existing accounts keep the terms they accepted at signup as a consent to the
terms of their role, at that version and date.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TERMS_OF_ROLE = {"tasker": "terms_of_use", "company": "terms_of_sale", "expert": "terms_of_sale"}


def consents_from_signup_terms(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Consent = apps.get_model("accounts", "Consent")
    accepted = User.objects.filter(role__in=list(TERMS_OF_ROLE), terms_accepted_at__isnull=False).exclude(
        terms_version=""
    )
    for user in accepted.only("pk", "role", "terms_version", "terms_accepted_at").iterator():
        Consent.objects.get_or_create(
            user_id=user.pk,
            kind=TERMS_OF_ROLE[user.role],
            version=user.terms_version,
            defaults={"accepted_at": user.terms_accepted_at},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_expert_profiles_for_existing_experts"),
    ]

    operations = [
        migrations.CreateModel(
            name="ClosureRequest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "state",
                    models.CharField(
                        choices=[("requested", "Requested"), ("closed", "Closed"), ("cancelled", "Cancelled")],
                        default="requested",
                        max_length=16,
                    ),
                ),
                ("requested_at", models.DateTimeField()),
                ("effective_at", models.DateTimeField(db_index=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("closed_at", models.DateTimeField(blank=True, null=True)),
                ("cancelled_at", models.DateTimeField(blank=True, null=True)),
                ("blocked_reasons", models.JSONField(blank=True, default=list)),
                ("outcome", models.JSONField(blank=True, default=dict)),
                ("held_cents", models.BigIntegerField(default=0)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="closure_requests",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="ClosureTransition",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("from_state", models.CharField(max_length=20)),
                ("to_state", models.CharField(max_length=20)),
                ("reason", models.CharField(blank=True, default="", max_length=500)),
                ("at", models.DateTimeField()),
                (
                    "by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "closure",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="transitions",
                        to="accounts.closurerequest",
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="Consent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("terms_of_use", "Terms of use"),
                            ("terms_of_sale", "Terms of sale"),
                            ("privacy", "Privacy policy"),
                            ("legal_notice", "Legal notice"),
                        ],
                        max_length=24,
                    ),
                ),
                ("version", models.CharField(max_length=32)),
                ("accepted_at", models.DateTimeField()),
                ("ip", models.GenericIPAddressField(blank=True, null=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="consents",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="closurerequest",
            index=models.Index(fields=["state", "effective_at"], name="accounts_closure_due_idx"),
        ),
        migrations.AddConstraint(
            model_name="closurerequest",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "requested")), fields=("user",), name="accounts_one_open_closure_request"
            ),
        ),
        migrations.AddConstraint(
            model_name="consent",
            constraint=models.UniqueConstraint(
                fields=("user", "kind", "version"), name="accounts_consent_once_per_version"
            ),
        ),
        migrations.RunPython(consents_from_signup_terms, migrations.RunPython.noop),
    ]
