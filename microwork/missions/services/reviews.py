"""The company's review of a report, automatic approval, disputes and
their settlement (HM14-HM16). An approval pays one place out of the mission's
escrow; a rejection gives the place back."""

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from microwork.accounts.models import User
from microwork.core.errors import Conflict, Forbidden, InputChecks, InvalidInput, required_text
from microwork.core.money import format_eur
from microwork.ledger.models import AccountKind
from microwork.ledger.services import entry_post, escrow_of, spend, system_account, wallet_of
from microwork.notifications.services import notify

from ..models import Claim, ClaimState, Mission, MissionState, RejectionReason
from ..selectors import company_rejections_under_review, dispute_window_open
from .batches import batch_done_if_settled
from .claims import AUTO_APPROVE_DAYS, _claim_and_mission_locked, _claim_move, _return_place
from .missions import mission_move, require_staff
from .pricing import place_price


class DisputeWindowClosed(Conflict):
    code = "dispute_window_closed"


class AutoApproved(Conflict):
    code = "wrong_state"

    def __init__(self) -> None:
        super().__init__(_("This report was left unreviewed for 3 days and has been validated automatically."))


def _pay_place(claim: Claim, mission: Mission, *, by: User | None) -> None:
    """One place's money out of escrow: reward to the tasker, fee to revenue, VAT (HM14, HM16)."""
    entry_post(
        kind="claim_approve",
        idempotency_key=f"claim-approve:{claim.pk}",
        lines=[
            (escrow_of(mission.escrow_ref), -mission.place_cost_cents),
            (wallet_of(claim.tasker), mission.reward_cents),
            (system_account(AccountKind.REVENUE), mission.fee_cents),
            (system_account(AccountKind.VAT), mission.vat_cents),
        ],
        memo=mission.title,
        ref=f"claim:{claim.pk}",
        by=by,
    )


def _approve_locked(claim: Claim, mission: Mission, *, by: User | None, rating: int | None, comment: str) -> None:
    claim.rating = rating
    claim.comment = comment
    claim.reviewed_at = timezone.now()
    claim.auto_approved = by is None
    _claim_move(
        claim,
        ClaimState.APPROVED,
        by=by,
        update_fields=("rating", "comment", "reviewed_at", "auto_approved"),
        message=_("Only a submitted report can be approved."),
    )
    _pay_place(claim, mission, by=by)
    Mission.objects.filter(pk=mission.pk).update(places_approved=F("places_approved") + 1)
    mission.places_approved += 1
    if mission.places_approved >= mission.places and mission.state == MissionState.PUBLISHED:
        mission_move(mission, MissionState.CLOSED, by=None)
        if mission.batch_id is not None:
            batch_done_if_settled(batch_id=mission.batch_id, skip_locked=True)
    notify(
        user=claim.tasker,
        kind="claim_approved",
        title=lambda: _("Report approved: %(amount)s credited") % {"amount": format_eur(mission.reward_cents)},
        url=reverse("missions:my_claims"),
    )


def _require_company_of(claim: Claim, user: User) -> None:
    if claim.mission.company_id != user.pk:
        raise Forbidden()


def _rating(rating: int | None, *, required: bool) -> int | None:
    if rating is None and not required:
        return None
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise InvalidInput(_("Rate the work from 1 to 5."), field="rating")
    return rating


def claim_approve(*, claim: Claim, by: User, rating: int, comment: str = "") -> Claim:
    """The company validates the report: the tasker is credited the reward (HM14)."""
    _require_company_of(claim, by)
    rating_value = _rating(rating, required=True)
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        _approve_locked(claim, mission, by=by, rating=rating_value, comment=comment.strip()[:2000])
    return claim


def claim_reject(*, claim: Claim, by: User, reason_code: str, reason: str, rating: int | None = None) -> Claim:
    """The company refuses the report, saying why from a list and in writing
    (PL05); the place returns to the pool (HM14)."""
    _require_company_of(claim, by)
    checks = InputChecks()
    checks.check(lambda: _rejection_reason_code(reason_code))
    reason = checks.check(lambda: required_text(reason, _("Tell the tasker why the report is rejected."))) or ""
    checks.done()
    rating_value = _rating(rating, required=False)
    # Past 3 days the report is validated whether or not tick has run (HM14).
    if _auto_approve_if_due(claim):
        raise AutoApproved()
    to_staff = company_rejections_under_review(claim.mission.company_id)
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        if _auto_approval_due(claim):
            raise AutoApproved()
        claim.rejection_reason = reason[:2000]
        claim.rejection_reason_code = reason_code
        claim.rating = rating_value
        claim.reviewed_at = timezone.now()
        _claim_move(
            claim,
            ClaimState.REJECTED,
            by=by,
            reason=reason,
            update_fields=("rejection_reason", "rejection_reason_code", "rating", "reviewed_at"),
            message=_("Only a submitted report can be rejected."),
        )
        _return_place(claim, mission, by=by)
        if to_staff:
            # Staff overturn this company's rejections too often: this one
            # goes to them as a dispute before it stands (PL05).
            claim.dispute_reason = _("Sent to staff: this company's rejections are often overturned.")
            claim.disputed_at = timezone.now()
            _claim_move(
                claim,
                ClaimState.DISPUTED,
                by=None,
                reason=claim.dispute_reason,
                update_fields=("dispute_reason", "disputed_at"),
            )
        notify(
            user=claim.tasker,
            kind="claim_rejected",
            title=lambda: _("Report rejected on “%(title)s”") % {"title": mission.title},
            body=lambda: (
                reason + (("\n\n" + _("Staff will check this rejection before it stands.")) if to_staff else "")
            ),
            url=reverse("missions:my_claims"),
            email=True,
        )
    return claim


def _rejection_reason_code(reason_code: str) -> None:
    if reason_code not in RejectionReason.values:
        raise InvalidInput(_("Choose why the report is rejected."), field="reason_code")


def _auto_approval_due(claim: Claim) -> bool:
    cutoff = timezone.now() - timedelta(days=AUTO_APPROVE_DAYS)
    return claim.state == ClaimState.SUBMITTED and claim.submitted_at is not None and claim.submitted_at <= cutoff


def _auto_approve_if_due(claim: Claim) -> bool:
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        if not _auto_approval_due(claim):
            return False
        _approve_locked(claim, mission, by=None, rating=None, comment="")
        return True


def claims_auto_approve_due() -> int:
    """Reports left unreviewed for 3 days are approved, so no tasker is left unpaid (HM14)."""
    cutoff = timezone.now() - timedelta(days=AUTO_APPROVE_DAYS)
    due = list(
        Claim.objects.filter(state=ClaimState.SUBMITTED, submitted_at__lte=cutoff).values_list("pk", "mission_id")
    )
    return sum(_auto_approve_if_due(Claim(pk=pk, mission_id=mission_id)) for pk, mission_id in due)


def claim_dispute(*, claim: Claim, by: User, reason: str) -> Claim:
    """The tasker contests a rejection within 7 days (HM15)."""
    if claim.tasker_id != by.pk:
        raise Forbidden()
    reason = required_text(reason, _("Explain why you contest the rejection."))
    with transaction.atomic():
        claim, _mission = _claim_and_mission_locked(claim)
        claim.dispute_reason = reason[:2000]
        claim.disputed_at = timezone.now()
        _claim_move(
            claim,
            ClaimState.DISPUTED,
            by=by,
            reason=reason,
            update_fields=("dispute_reason", "disputed_at"),
            message=_("Only a rejected report can be contested."),
        )
        if not dispute_window_open(claim):
            raise DisputeWindowClosed(_("A rejection can be contested within 7 days."))
    return claim


def claim_settle(*, claim: Claim, by: User, tasker_paid_cents: int) -> Claim:
    """Staff decide a dispute: what goes to the tasker is charged to the
    company with its fee and VAT, even below a zero balance (HM15)."""
    require_staff(by)
    with transaction.atomic():
        claim, mission = _claim_and_mission_locked(claim)
        claim.settled_at = timezone.now()
        _claim_move(
            claim,
            ClaimState.SETTLED,
            by=by,
            update_fields=("settled_at",),
            message=_("Only a disputed claim can be settled."),
        )
        if not isinstance(tasker_paid_cents, int) or not 0 <= tasker_paid_cents <= mission.reward_cents:
            raise InvalidInput(
                _("The amount is between 0 and the reward (%(reward)s).")
                % {"reward": format_eur(mission.reward_cents)},
                field="tasker_paid_cents",
            )
        claim.settled_cents = tasker_paid_cents
        claim.save(update_fields=["settled_cents"])
        if tasker_paid_cents > 0:
            fee, vat = place_price(tasker_paid_cents)
            spend(
                kind="claim_settle",
                idempotency_key=f"claim-settle:{claim.pk}",
                payer=mission.company,
                to=[
                    (wallet_of(claim.tasker), tasker_paid_cents),
                    (system_account(AccountKind.REVENUE), fee),
                    (system_account(AccountKind.VAT), vat),
                ],
                memo=mission.title,
                ref=f"claim:{claim.pk}",
                by=by,
                overdraft=True,
            )
        notify(
            user=claim.tasker,
            kind="claim_settled",
            title=lambda: _("Dispute settled: %(amount)s for you") % {"amount": format_eur(tasker_paid_cents)},
            url=reverse("missions:my_claims"),
            email=True,
        )
    return claim
