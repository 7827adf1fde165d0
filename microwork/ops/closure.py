"""Account closure (AC02): asked by the user, applied by `tick`.

A closure takes effect after 2 "jours ouvrables" (Monday to Saturday, French
public holidays excluded): the days after the request are counted, and the
account closes at the end of the second one (midnight, Paris time).

It is refused with `closure_blocked` while work or money is open, and checked
again when `tick` applies it. A closure that became blocked meanwhile is not
cancelled: it waits, the user is told once what stands in the way, and the
next tick tries again (the user may still cancel it). When applying, an
expert's fees still clearing (AM16) make it wait too, so that they are paid
out rather than held.

Applying it, in order:
1. one transaction locks the request and the user, checks again, and locks
   the account: inactive, password unusable (every session ends, since
   Django checks the password hash on each request), every API token revoked;
2. the money left leaves through the existing paths, outside any transaction
   (each talks to a provider or posts its own entry): earnings are paid out
   with `payouts.services.payout_request` to the user's default payout
   account (taskers: the largest multiple of 10 EUR, HM16), funds put in are
   refunded with `ledger.payments.refund_request` to the payments they came
   from. Whatever cannot leave (no payout account, a tasker's remainder under
   10 EUR, funds not refundable to a payment) stays
   in the user's ledger accounts as a held balance, recorded on the request,
   never lost (AC02: kept for the legal period);
3. one transaction anonymises what identifies the person and deletes their
   documents, photos and uploads; the files leave storage after the commit.
   Financial records stay: ledger lines, top-ups, refunds, payouts and their
   payout accounts, orders with their amounts (French law keeps accounting
   records for 10 years).
A request whose account is already locked (step 1 done) is finished by the
next tick if a later step failed: steps 2 and 3 are safe to repeat.
"""

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

import holidays
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from microwork.accounts.models import (
    CLOSURE_MOVES,
    ClosureRequest,
    ClosureState,
    ClosureTransition,
    ExpertProfile,
    PhoneCode,
    User,
    VerificationDocument,
)
from microwork.accounts.services import tokens_forget
from microwork.billing import services as billing
from microwork.core.errors import ApplicationError, Conflict, Forbidden
from microwork.core.states import state_move, state_start
from microwork.gigs.models import ORDER_FINAL_STATES, Offer, OfferImage, OfferState, Order, OrderFile, OrderState
from microwork.gigs.services.custom import custom_work_end_for
from microwork.gigs.services.offers import offer_withdraw
from microwork.ledger.clearing import earnings_release_due, held_unreleased_cents
from microwork.ledger.models import RefundPart, RefundState, Topup, TopupState
from microwork.ledger.payments import refund_request, refundable_topups
from microwork.ledger.selectors import wallet_balance
from microwork.missions.models import Claim, ClaimState, Mission, MissionState, ReportFile
from microwork.notifications.models import Notice
from microwork.notifications.services import notify, user_language
from microwork.payouts.models import Payout, PayoutAccount, PayoutState
from microwork.payouts.services import TASKER_MINIMUM_CENTS, TASKER_STEP_CENTS, payout_request

logger = logging.getLogger(__name__)

#: "Jours ouvrables" before a closure takes effect (AC02).
CLOSURE_WORKING_DAYS = 2

#: Every reason a closure waits, with what the user reads.
BLOCKERS: dict[str, Any] = {
    "claims_open": gettext_lazy("You have missions in progress or reports waiting for review."),
    "missions_with_taken_places": gettext_lazy("Taskers are working on your missions or waiting for your review."),
    "missions_open": gettext_lazy("You have missions published or waiting for review: withdraw them first."),
    "orders_open": gettext_lazy("You have orders under way, as buyer or as seller."),
    "disputes_open": gettext_lazy("A dispute about your work or your orders is not settled yet."),
    "payouts_in_flight": gettext_lazy("A payout is on its way to you."),
    "topups_pending": gettext_lazy("A top-up is waiting for the payment provider's answer."),
    "refunds_pending": gettext_lazy("A refund is waiting for the payment provider's answer."),
    # Only when applying: the closure waits for fees still clearing (AM16), so they are paid out too.
    "earnings_clearing": gettext_lazy("Some of your earnings are still clearing; they will be paid out first."),
}


class ClosureBlocked(Conflict, code="closure_blocked", title=gettext_lazy("Open work or money blocks the closure.")):
    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__(" ".join(str(BLOCKERS[reason]) for reason in reasons))


class ClosureAlreadyRequested(Conflict, code="closure_already_requested"):
    pass


class ClosureNotCancellable(Conflict, code="closure_not_cancellable"):
    pass


# --- Dates -------------------------------------------------------------------


def _is_working_day(day: date, public_holidays: holidays.HolidayBase) -> bool:
    """A "jour ouvrable": Monday to Saturday, not a French public holiday."""
    return day.weekday() != 6 and day not in public_holidays


def closure_effective_at(requested_at: datetime) -> datetime:
    """When a closure asked at `requested_at` takes effect: the end of the
    second working day after the day it was asked (AC02)."""
    tz = timezone.get_default_timezone()
    day = timezone.localtime(requested_at, tz).date()
    public_holidays = holidays.France(years=range(day.year, day.year + 2))
    counted = 0
    while counted < CLOSURE_WORKING_DAYS:
        day += timedelta(days=1)
        if _is_working_day(day, public_holidays):
            counted += 1
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


# --- What blocks a closure ---------------------------------------------------


def closure_blockers(user: User, *, applying: bool = False) -> list[str]:
    """The stable codes of the work and money still open for the user, empty
    when it may close. `applying`: also earnings still clearing, which make
    the closure wait (they never refuse a request)."""
    reasons = []
    open_claims = (ClaimState.ACTIVE, ClaimState.SUBMITTED)
    if Claim.objects.filter(tasker=user, state__in=open_claims).exists():
        reasons.append("claims_open")
    if Claim.objects.filter(mission__company=user, state__in=open_claims).exists():
        reasons.append("missions_with_taken_places")
    open_missions = (MissionState.PENDING_REVIEW, MissionState.PUBLISHED)
    if Mission.objects.filter(company=user, state__in=open_missions).exists():
        reasons.append("missions_open")
    parties = Q(buyer=user) | Q(expert=user)
    if Order.objects.filter(parties).exclude(state__in=[*ORDER_FINAL_STATES, OrderState.DISPUTED]).exists():
        reasons.append("orders_open")
    if (
        Claim.objects.filter(Q(tasker=user) | Q(mission__company=user), state=ClaimState.DISPUTED).exists()
        or Order.objects.filter(parties, state=OrderState.DISPUTED).exists()
    ):
        reasons.append("disputes_open")
    if Payout.objects.filter(user=user, state__in=(PayoutState.REQUESTED, PayoutState.PROCESSING)).exists():
        reasons.append("payouts_in_flight")
    if Topup.objects.filter(user=user, state=TopupState.PENDING).exists():
        reasons.append("topups_pending")
    if RefundPart.objects.filter(refund__user=user, state=RefundState.PENDING).exists():
        reasons.append("refunds_pending")
    if applying:
        earnings_release_due(user=user)
        if held_unreleased_cents(user) > 0:
            reasons.append("earnings_clearing")
    return reasons


# --- Asked, cancelled --------------------------------------------------------


def closure_open(user: User) -> ClosureRequest | None:
    """The user's closure request waiting to take effect, if any."""
    return ClosureRequest.objects.filter(user=user, state=ClosureState.REQUESTED).first()


def closure_request(*, user: User) -> ClosureRequest:
    """Ask to close the account (AC02): refused while work or money is open."""
    if user.is_staff_member:
        raise Forbidden(_("Staff accounts are closed by an administrator."))
    if not user.is_active:
        raise Forbidden(_("This account is closed."))
    with transaction.atomic():
        User.objects.select_for_update().only("pk").get(pk=user.pk)
        if closure_open(user) is not None:
            raise ClosureAlreadyRequested(_("You have already asked to close your account."))
        reasons = closure_blockers(user)
        if reasons:
            raise ClosureBlocked(reasons)
        now = timezone.now()
        closure = ClosureRequest.objects.create(user=user, requested_at=now, effective_at=closure_effective_at(now))
        state_start(closure, allowed=CLOSURE_MOVES, history=ClosureTransition, by=user, closure=closure)
        notify(
            user=user,
            kind="closure_requested",
            title=lambda: (
                _("Your account will be closed on %(date)s.")
                % {"date": timezone.localtime(closure.effective_at).strftime("%d/%m/%Y %H:%M")}
            ),
            body=lambda: _("You can cancel the closure until then from your dashboard."),
            url=reverse("web:closure"),
            email=True,
        )
    return closure


def closure_cancel(*, user: User) -> ClosureRequest:
    """Withdraw the request, as long as `tick` has not started applying it."""
    with transaction.atomic():
        closure = ClosureRequest.objects.select_for_update().filter(user=user, state=ClosureState.REQUESTED).first()
        if closure is None:
            raise ClosureNotCancellable(_("There is no closure to cancel."))
        if closure.started_at is not None:
            raise ClosureNotCancellable(_("The closure is already under way; it can no longer be cancelled."))
        closure.cancelled_at = timezone.now()
        state_move(
            closure,
            ClosureState.CANCELLED,
            allowed=CLOSURE_MOVES,
            history=ClosureTransition,
            by=user,
            reason="cancelled by the user",
            update_fields=("cancelled_at",),
            closure=closure,
        )
    return closure


# --- Applied by tick ---------------------------------------------------------


def closures_apply_due(*, now: datetime | None = None) -> int:
    """Close every account whose request is due and no longer blocked; returns how many closed."""
    now = now or timezone.now()
    due = ClosureRequest.objects.filter(state=ClosureState.REQUESTED, effective_at__lte=now).values_list(
        "pk", flat=True
    )
    closed = 0
    for pk in list(due):
        try:
            if closure_apply(closure_id=pk):
                closed += 1
        except Exception:
            # One account's trouble never stops the others: the next tick tries again.
            logger.exception("Closure %s could not be applied", pk)
    return closed


def closure_apply(*, closure_id: int) -> bool:
    """Apply one due closure; False while it waits (blocked, or cancelled meanwhile)."""
    if not _lock_account(closure_id):
        return False
    closure = ClosureRequest.objects.select_related("user").get(pk=closure_id)
    # Invoiced before the name and address are erased (PL02).
    billing.invoices_issue_closing(customer=closure.user)
    outcome = _money_out(closure.user)
    return _anonymise(closure_id, outcome)


def _lock_account(closure_id: int) -> bool:
    """Step 1: the last check, then the account is locked for good."""
    with transaction.atomic():
        closure = ClosureRequest.objects.select_for_update().get(pk=closure_id)
        if closure.state != ClosureState.REQUESTED:
            return False
        if closure.started_at is not None:
            return True
        user = User.objects.select_for_update().get(pk=closure.user_id)
        reasons = closure_blockers(user, applying=True)
        if reasons:
            if reasons != closure.blocked_reasons:
                closure.blocked_reasons = reasons
                closure.save(update_fields=["blocked_reasons"])
                notify(
                    user=user,
                    kind="closure_blocked",
                    title=lambda: _("Your account closure is waiting."),
                    body=" ".join(str(BLOCKERS[reason]) for reason in reasons),
                    url=reverse("web:closure"),
                    email=True,
                )
            return False
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["is_active", "password"])
        user.api_tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        tokens_forget(user_id=user.pk)
        closure.started_at = timezone.now()
        closure.blocked_reasons = []
        closure.save(update_fields=["started_at", "blocked_reasons"])
    return True


def _money_out(user: User) -> dict[str, Any]:
    """Step 2: earnings paid out, funds refunded, through their existing paths."""
    outcome: dict[str, Any] = {"payout_cents": 0, "refund_cents": 0}
    earnings_release_due(user=user)
    earnings = wallet_balance(user).earnings_cents
    account = PayoutAccount.objects.filter(user=user, is_default=True).first()
    amount = earnings
    if user.is_tasker:
        amount = earnings - earnings % TASKER_STEP_CENTS
        if amount < TASKER_MINIMUM_CENTS:
            amount = 0
    if amount > 0 and account is not None and (user.is_tasker or user.is_expert):
        try:
            payout = payout_request(user=user, amount_cents=amount, account=account)
        except ApplicationError as exc:
            outcome["payout_refused"] = exc.code
        else:
            outcome["payout_cents"] = payout.amount_cents
            outcome["payout_id"] = payout.pk
    elif amount > 0:
        outcome["payout_refused"] = "no_payout_account"
    funds = wallet_balance(user).funds_cents
    refundable = sum(left for _topup, left in refundable_topups(user))
    to_refund = min(funds, refundable)
    if to_refund > 0:
        try:
            refund = refund_request(user=user, amount_cents=to_refund)
        except ApplicationError as exc:
            outcome["refund_refused"] = exc.code
        else:
            outcome["refund_cents"] = refund.amount_cents
            outcome["refund_id"] = refund.pk
    return outcome


def _anonymise(closure_id: int, outcome: dict[str, Any]) -> bool:
    """Step 3: nothing left that identifies the person; financial records stay."""
    files: list[str] = []
    with transaction.atomic():
        closure = ClosureRequest.objects.select_for_update().get(pk=closure_id)
        if closure.state != ClosureState.REQUESTED:
            return False
        user = User.objects.select_for_update().get(pk=closure.user_id)
        address, name = user.email, user.display_name
        for offer in Offer.objects.filter(expert=user, state=OfferState.LIVE):
            offer_withdraw(offer=offer, by=user)
        custom_work_end_for(user=user)
        for image in OfferImage.objects.filter(offer__expert=user):
            files += [image.image.name, image.thumbnail.name]
        OfferImage.objects.filter(offer__expert=user).delete()
        for document in VerificationDocument.objects.filter(user=user):
            files.append(document.file.name)
        VerificationDocument.objects.filter(user=user).delete()
        for report_file in ReportFile.objects.filter(claim__tasker=user):
            files += [report_file.file.name, report_file.original.name]
        ReportFile.objects.filter(claim__tasker=user).delete()
        for order_file in OrderFile.objects.filter(message__author=user):
            files += [order_file.file.name, order_file.original.name]
        OrderFile.objects.filter(message__author=user).delete()
        profile = ExpertProfile.objects.filter(user=user).first()
        if profile is not None:
            if profile.photo:
                files.append(profile.photo.name)
            profile.headline, profile.bio, profile.skills, profile.photo = "", "", [], ""
            profile.save(update_fields=["headline", "bio", "skills", "photo"])
        PhoneCode.objects.filter(user=user).delete()
        Notice.objects.filter(user=user).delete()
        # Issued invoices keep their own copy of the customer's identity.
        billing.billing_profile_erase(user=user)
        # Payout accounts that no payout used are personal data only.
        PayoutAccount.objects.filter(user=user, payouts__isnull=True).delete()
        user.email = f"closed-{user.pk}@invalid"
        user.display_name = _("Closed account")
        user.phone = ""
        user.phone_verified_at = None
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["email", "display_name", "phone", "phone_verified_at", "is_active", "password"])
        balance = wallet_balance(user)
        closure.held_cents = balance.funds_cents + balance.earnings_cents + balance.pending_cents
        closure.outcome = {**outcome, "held_cents": closure.held_cents}
        closure.closed_at = timezone.now()
        state_move(
            closure,
            ClosureState.CLOSED,
            allowed=CLOSURE_MOVES,
            history=ClosureTransition,
            reason="applied by tick",
            update_fields=("held_cents", "outcome", "closed_at"),
            closure=closure,
        )
        names = [name for name in files if name]
        transaction.on_commit(lambda: _files_delete(names))
        with translation.override(user_language(user)):
            subject = _("Your Microwork account is closed")
            body = _("Hello %(name)s, your Microwork account is now closed and your personal data anonymised.") % {
                "name": name
            }
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True)
        )
    return True


def _files_delete(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            logger.warning("Could not delete %s after a closure", name)
