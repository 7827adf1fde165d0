"""The books' audit of closed missions' escrows (PL01): the missions'
closed escrows are read by the database inside the audit's query."""

from microwork.ledger.selectors import ledger_audit
from microwork.ledger.services import escrow_of
from microwork.missions.models import Mission, MissionState
from microwork.testing import make_published

MANY = 300


def test_pl01_audit_names_a_closed_missions_escrow_left_with_money(acme, staff):
    # given a published mission whose escrow holds its places' cost
    held = make_published(acme, staff)
    escrow = escrow_of(held.escrow_ref)
    assert escrow.balance_cents > 0
    # and years of closed missions beside it
    fields = {
        field.attname: getattr(held, field.attname) for field in Mission._meta.concrete_fields if not field.primary_key
    }
    Mission.objects.bulk_create(
        [Mission(**{**fields, "state": MissionState.CLOSED}) for _ in range(MANY)], batch_size=2_000
    )
    # when the books are audited, then they are right
    assert ledger_audit() == []
    # and when the mission holding money is closed as if by mistake, the audit names it
    Mission.objects.filter(pk=held.pk).update(state=MissionState.CLOSED)
    assert ledger_audit() == [f"{escrow}: closed, but {escrow.balance_cents} cents left in escrow"]
