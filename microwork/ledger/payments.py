"""Money in and back out through the payment provider (SPEC PL01).

Top-ups: the pending row commits first, then the provider is asked for a
checkout, outside any transaction; the funds are credited only when the
provider confirms the payment (at once for the sandbox, by a signed webhook
for Stripe, see `webhooks`).

Refunds: unspent funds leave the user's funds at once for "refunds in
flight", split over the top-ups they came from, newest first; each part is
then refunded by the provider that took the payment, outside any
transaction. A failed part comes back to the funds.
"""

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from microwork.core.errors import ApplicationError, Conflict, Forbidden, InsufficientFunds, InvalidInput
from microwork.core.idempotency import key_first_use, key_remember, key_result, page_scope
from microwork.core.money import format_eur
from microwork.core.states import state_move, state_start

from .gateways import CheckoutResult, ProviderUnavailable, RefundResult, get_gateway
from .models import (
    REFUND_MOVES,
    REFUND_PART_MOVES,
    TOPUP_MOVES,
    AccountKind,
    Refund,
    RefundPart,
    RefundPartTransition,
    RefundState,
    RefundTransition,
    Topup,
    TopupState,
    TopupTransition,
)
from .services import funds_of, purse_locked, system_account, transfer

if TYPE_CHECKING:
    from microwork.accounts.models import User

logger = logging.getLogger(__name__)

#: A checkout that never reached the provider is given up after this long.
CHECKOUT_ABANDONED_AFTER = timedelta(hours=25)
ABANDONED = "checkout abandoned"
#: A refund part the provider never answered for is sent again after this long.
REFUND_RESEND_AFTER = timedelta(minutes=5)


class RefundAlreadyRequested(Conflict):
    code = "refund_already_requested"


class PaymentProviderUnavailable(ApplicationError):
    status = 503
    code = "payment_provider_unavailable"
    title = gettext_lazy("The payment provider cannot be reached; try again in a moment.")


def _require_payer(user: "User") -> None:
    if user.is_staff_member:
        raise Forbidden(_("Staff accounts do not hold a balance."))


# --- Top-ups --------------------------------------------------------------


def topup_return_url(topup: Topup) -> str:
    return f"{settings.SITE_URL}{reverse('ledger:topup', args=[topup.pk])}"


def topup_create(*, user: "User", amount_cents: int, request_key: str = "") -> Topup:
    """Start a top-up of the user's funds (SPEC PL01).

    Call it outside any transaction: it talks to the provider. With a
    `request_key` (a page form's one-time token), the same request twice
    starts one checkout and returns the first top-up."""
    _require_payer(user)
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    if amount_cents > settings.TOPUP_MAX_CENTS:
        raise InvalidInput(_("The amount is above the top-up limit."), field="amount_cents")
    gateway = get_gateway()
    scope, key = page_scope(user.pk), f"topup:{request_key[:64]}"
    with transaction.atomic():
        if request_key and not key_first_use(scope=scope, key=key):
            # The form was sent before: its top-up, committed with the key.
            earlier = key_result(scope=scope, key=key)
            if earlier is None:
                raise Conflict(_("This top-up is already under way."))
            return Topup.objects.get(user=user, pk=int(earlier))
        topup = Topup.objects.create(user=user, amount_cents=amount_cents, gateway=gateway.name)
        state_start(topup, allowed=TOPUP_MOVES, history=TopupTransition, by=user, topup=topup)
        if request_key:
            key_remember(scope=scope, key=key, result=str(topup.pk))
    # Committed: whatever the provider does next, the top-up is on record.
    try:
        result = gateway.start_checkout(
            reference=f"topup:{topup.pk}",
            amount_cents=amount_cents,
            email=user.email,
            return_url=topup_return_url(topup),
            idempotency_key=f"microwork-topup-{topup.pk}",
        )
    except ProviderUnavailable as exc:
        logger.warning("Checkout for top-up %s could not start: %s", topup.pk, exc)
        topup_settle(topup=topup, succeeded=False, reason="payment provider unreachable")
        raise PaymentProviderUnavailable() from exc
    return _checkout_recorded(topup, result)


def _checkout_recorded(topup: Topup, result: CheckoutResult) -> Topup:
    if result.state == "succeeded":
        return topup_settle(
            topup=topup, succeeded=True, provider_ref=result.provider_ref, payment_ref=result.payment_ref
        )
    if result.state == "failed":
        return topup_settle(topup=topup, succeeded=False, provider_ref=result.provider_ref, reason=result.reason)
    with transaction.atomic():
        Topup.objects.filter(pk=topup.pk, provider_ref="").update(
            provider_ref=result.provider_ref, checkout_url=result.checkout_url
        )
    topup.refresh_from_db()
    return topup


def topup_settle(
    *,
    topup: Topup,
    succeeded: bool,
    provider_ref: str = "",
    payment_ref: str = "",
    reason: str = "",
    by: "User | None" = None,
) -> Topup:
    """Record the provider's answer; a success credits the funds once."""
    with transaction.atomic():
        topup = Topup.objects.select_for_update(of=("self",)).select_related("user").get(pk=topup.pk)
        # A payment confirmed after we gave up waiting is still credited.
        late_payment = succeeded and topup.state == TopupState.FAILED and topup.failure_reason == ABANDONED
        if topup.state != TopupState.PENDING and not late_payment:
            return topup
        topup.provider_ref = provider_ref or topup.provider_ref
        topup.payment_ref = payment_ref or topup.payment_ref
        if succeeded:
            topup.entry = transfer(
                kind="topup",
                idempotency_key=f"topup:{topup.pk}",
                source=system_account(AccountKind.GATEWAY),
                destination=funds_of(topup.user),
                amount_cents=topup.amount_cents,
                memo=f"Top-up via {topup.gateway}",
                ref=f"topup:{topup.pk}",
                by=topup.user,
            )
            target = TopupState.SUCCEEDED
            topup.failure_reason = ""
        else:
            topup.failure_reason = reason[:200]
            target = TopupState.FAILED
        state_move(
            topup,
            target,
            allowed=TOPUP_MOVES,
            history=TopupTransition,
            by=by,
            reason=reason,
            update_fields=("provider_ref", "payment_ref", "entry", "failure_reason"),
            topup=topup,
        )
    return topup


def topups_abandon_due() -> int:
    """Top-ups whose checkout never reached the provider: failed, nothing was
    charged. A checkout the provider holds waits for its word (expiry, or a
    bank transfer's late payment) however long it takes."""
    stale = Topup.objects.filter(
        state=TopupState.PENDING, provider_ref="", created_at__lte=timezone.now() - CHECKOUT_ABANDONED_AFTER
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(stale):
        if topup_settle(topup=Topup(pk=pk), succeeded=False, reason=ABANDONED).state == TopupState.FAILED:
            count += 1
    return count


# --- Refunds --------------------------------------------------------------


def refundable_topups(user: "User") -> list[tuple[Topup, int]]:
    """Paid top-ups with what is left to refund on each, newest first."""
    topups = (
        Topup.objects.filter(user=user, state=TopupState.SUCCEEDED)
        .annotate(
            refunded=Sum(
                "refund_parts__amount_cents",
                filter=~Q(refund_parts__state=RefundState.FAILED),
                default=0,
            )
        )
        .order_by("-pk")
    )
    return [(topup, topup.amount_cents - topup.refunded) for topup in topups if topup.amount_cents > topup.refunded]


def refund_request(*, user: "User", amount_cents: int, request_key: str = "") -> Refund:
    """Send unspent funds back to their source (SPEC PL01).

    Call it outside any transaction: it talks to the provider. `request_key`
    is a page form's one-time token: the same form sent twice refunds once."""
    _require_payer(user)
    if not isinstance(amount_cents, int) or amount_cents <= 0:
        raise InvalidInput(_("The amount must be positive."), field="amount_cents")
    with transaction.atomic():
        if request_key and not key_first_use(scope=page_scope(user.pk), key=f"refund:{request_key[:64]}"):
            raise RefundAlreadyRequested(_("This refund was already asked for."))
        # The funds' row lock serialises two refunds of the same money.
        funds, _earnings = purse_locked(user)
        if funds.balance_cents < amount_cents:
            raise InsufficientFunds(
                _("You can get back at most %(amount)s.") % {"amount": format_eur(max(funds.balance_cents, 0))}
            )
        plan: list[tuple[Topup, int]] = []
        left = amount_cents
        # A payment whose refund already failed (a closed card) is tried last,
        # so it never stands in the way of the others.
        refused = set(
            RefundPart.objects.filter(refund__user=user, state=RefundState.FAILED).values_list("topup_id", flat=True)
        )
        for topup, refundable in sorted(refundable_topups(user), key=lambda pair: pair[0].pk in refused):
            if left == 0:
                break
            take = min(left, refundable)
            plan.append((topup, take))
            left -= take
        if left:
            raise InsufficientFunds(_("Only %(amount)s can be refunded.") % {"amount": format_eur(amount_cents - left)})
        refund = Refund.objects.create(user=user, amount_cents=amount_cents)
        state_start(refund, allowed=REFUND_MOVES, history=RefundTransition, by=user, refund=refund)
        for topup, take in plan:
            part = RefundPart.objects.create(refund=refund, topup=topup, amount_cents=take)
            state_start(part, allowed=REFUND_PART_MOVES, history=RefundPartTransition, by=user, part=part)
        transfer(
            kind="refund_request",
            idempotency_key=f"refund:{refund.pk}",
            source=funds,
            destination=system_account(AccountKind.REFUNDS_IN_FLIGHT),
            amount_cents=amount_cents,
            memo="Refund to the original payment",
            ref=f"refund:{refund.pk}",
            by=user,
        )
    for part in RefundPart.objects.filter(refund=refund).select_related("topup").order_by("pk"):
        refund_part_send(part=part)
    refund.refresh_from_db()
    return refund


def refund_part_send(*, part: RefundPart) -> None:
    """Ask the provider that took the payment to refund this part. Safe to
    repeat: the provider sees the same idempotency key."""
    gateway = get_gateway(part.topup.gateway)
    try:
        result = gateway.refund(
            reference=f"refund_part:{part.pk}",
            payment_ref=part.topup.payment_ref,
            amount_cents=part.amount_cents,
            idempotency_key=f"microwork-refund-part-{part.pk}",
        )
    except ProviderUnavailable as exc:
        # Still pending: `tick` sends it again.
        logger.warning("Refund part %s could not be sent: %s", part.pk, exc)
        return
    refund_part_settle(part=part, result=result)


def refund_part_settle(*, part: RefundPart, result: RefundResult) -> RefundPart:
    """Record the provider's answer on one part; a final answer moves the money once.

    A refund the provider reported done may still fail later (the card was
    closed meanwhile): the money then comes back from the provider to the funds."""
    with transaction.atomic():
        part = (
            RefundPart.objects.select_for_update(of=("self",)).select_related("refund__user", "topup").get(pk=part.pk)
        )
        if result.provider_ref and not part.provider_ref:
            part.provider_ref = result.provider_ref
            part.save(update_fields=["provider_ref"])
        reversed_later = part.state == RefundState.SUCCEEDED and result.state == "failed"
        if result.state == "pending" or (part.state != RefundState.PENDING and not reversed_later):
            return part
        user = part.refund.user
        if result.state == "failed":
            # The user's purse first, as every movement into funds locks it:
            # a refund asked at the same moment waits instead of deadlocking.
            purse_locked(user)
            part.failure_reason = result.reason[:200]
            transfer(
                kind="refund_failed",
                idempotency_key=f"refund-part-{'reversed' if reversed_later else 'failed'}:{part.pk}",
                source=system_account(AccountKind.GATEWAY if reversed_later else AccountKind.REFUNDS_IN_FLIGHT),
                destination=funds_of(user),
                amount_cents=part.amount_cents,
                memo=result.reason[:200] or "Refund failed",
                ref=f"refund:{part.refund_id}",
            )
        else:
            transfer(
                kind="refund_paid",
                idempotency_key=f"refund-part-paid:{part.pk}",
                source=system_account(AccountKind.REFUNDS_IN_FLIGHT),
                destination=system_account(AccountKind.GATEWAY),
                amount_cents=part.amount_cents,
                memo=f"Refunded through {part.topup.gateway}",
                ref=f"refund:{part.refund_id}",
            )
        state_move(
            part,
            RefundState.SUCCEEDED if result.state == "succeeded" else RefundState.FAILED,
            allowed=REFUND_PART_MOVES,
            history=RefundPartTransition,
            reason=result.reason,
            update_fields=("failure_reason",),
            part=part,
        )
        _refund_conclude(part.refund_id)
    return part


def _refund_conclude(refund_id: int) -> None:
    """Once every part has its answer, the refund has its own; a part that
    fails later brings it down to partial or failed."""
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    states = list(refund.parts.values_list("state", "amount_cents"))
    if any(state == RefundState.PENDING for state, _cents in states):
        return
    refund.refunded_cents = sum(cents for state, cents in states if state == RefundState.SUCCEEDED)
    if refund.refunded_cents == refund.amount_cents:
        target = RefundState.SUCCEEDED
    elif refund.refunded_cents == 0:
        target = RefundState.FAILED
    else:
        target = RefundState.PARTIAL
    if target == refund.state:
        refund.save(update_fields=["refunded_cents"])
        return
    state_move(
        refund,
        target,
        allowed=REFUND_MOVES,
        history=RefundTransition,
        update_fields=("refunded_cents",),
        refund=refund,
    )


def refunds_resend_due() -> int:
    """Parts the provider never answered for (unreachable at the time): asked again."""
    due = RefundPart.objects.filter(
        state=RefundState.PENDING, provider_ref="", created_at__lte=timezone.now() - REFUND_RESEND_AFTER
    ).select_related("topup")
    count = 0
    for part in list(due):
        refund_part_send(part=part)
        count += 1
    return count
