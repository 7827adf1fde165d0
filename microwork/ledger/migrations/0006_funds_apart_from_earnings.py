"""Money put in moves from the wallet to the new funds account (SPEC PL01).

Until now top-ups were credited to the same wallet as earnings. A company's
whole balance was put in (it earns nothing), debts included; anyone else's
put-in share is at most what they topped up.
"""

from django.db import migrations
from django.db.models import F, Sum


def split(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    Entry = apps.get_model("ledger", "Entry")
    Posting = apps.get_model("ledger", "Posting")
    Topup = apps.get_model("ledger", "Topup")
    topped_up = dict(
        Topup.objects.filter(state="succeeded")
        .values("user_id")
        .annotate(total=Sum("amount_cents"))
        .values_list("user_id", "total")
    )
    for wallet in Account.objects.filter(kind="wallet", owner__isnull=False).select_related("owner"):
        if wallet.owner.role == "company":
            moved = wallet.balance_cents
        else:
            moved = min(max(wallet.balance_cents, 0), topped_up.get(wallet.owner_id) or 0)
        if moved == 0:
            continue
        funds, _created = Account.objects.get_or_create(
            kind="funds",
            owner_id=wallet.owner_id,
            ref="",
            defaults={"currency": wallet.currency, "may_go_negative": wallet.owner.role == "company"},
        )
        entry = Entry.objects.create(
            kind="funds_split", idempotency_key=f"funds-split:{wallet.owner_id}", memo="Funds apart from earnings"
        )
        Posting.objects.bulk_create(
            [
                Posting(entry=entry, account_id=wallet.pk, amount_cents=-moved),
                Posting(entry=entry, account_id=funds.pk, amount_cents=moved),
            ]
        )
        Account.objects.filter(pk=wallet.pk).update(balance_cents=F("balance_cents") - moved)
        Account.objects.filter(pk=funds.pk).update(balance_cents=F("balance_cents") + moved)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0005_payments_refunds_events"), ("accounts", "0001_initial")]

    operations = [migrations.RunPython(split, migrations.RunPython.noop)]
