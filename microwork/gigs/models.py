"""Packaged expert services (SPEC AM, seed 001): offers, orders in escrow,
the messages and deliveries of an order, cancellations, and custom requests.

Every status has its transition table here and its history model; only
`core.states.state_move` writes a status.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from microwork.core.models import Transition


class OfferKind(models.TextChoices):
    SERVICE = "service", _("Packaged service")
    CALL = "call", _("Phone call")
    QUESTION = "question", _("Question answered")


class OfferCategory(models.TextChoices):
    FINANCE = "finance", _("Finance and management")
    HR = "hr", _("Human resources")
    FREELANCE_MANAGEMENT = "freelance_management", _("Freelance management")
    SALES_MARKETING = "sales_marketing", _("Sales and marketing")
    DESIGN = "design", _("Design")
    WRITING = "writing", _("Writing")
    TRANSLATION = "translation", _("Translation")
    IT = "it", _("IT")
    LEGAL = "legal", _("Legal")
    OTHER = "other", _("Other")


class OfferState(models.TextChoices):
    LIVE = "live", _("Live")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OFFER_MOVES: dict[str, set[str]] = {
    "": {OfferState.LIVE},
    OfferState.LIVE: {OfferState.WITHDRAWN},
}


class Offer(models.Model):
    """What an expert sells at a set price (AM01, AM02). The price includes VAT:
    it is what the buyer pays."""

    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="offers")
    kind = models.CharField(max_length=16, choices=OfferKind.choices)
    title = models.CharField(max_length=120)
    category = models.CharField(max_length=32, choices=OfferCategory.choices)
    description = models.TextField()
    price_cents = models.PositiveIntegerField()
    delivery_days = models.PositiveSmallIntegerField()
    keywords = models.JSONField(default=list)
    video_url = models.URLField(max_length=500, blank=True, default="")
    opening_message = models.TextField(blank=True, default="")
    # AM14: the buyer owns the deliverable unless this says otherwise.
    ip_note = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=OfferState.choices, default=OfferState.LIVE)
    # Title, keywords and description, lower-cased and without accents: what search reads.
    search_text = models.TextField(blank=True, default="")
    # PostgreSQL only: the French full-text vector of `search_text`, weighted (see gigs/search.py).
    search_vector = SearchVectorField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [models.Index(fields=["state", "category", "price_cents"], name="gigs_offer_browse_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(price_cents__gt=0), name="gigs_offer_price_positive"),
            models.CheckConstraint(condition=Q(delivery_days__gte=1), name="gigs_offer_days_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class OfferTransition(Transition):
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="transitions")


class OfferExtra(models.Model):
    """An extra service the buyer may add to an order (AM01)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="extras")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=120)
    price_cents = models.PositiveIntegerField()
    extra_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["offer", "position"], name="gigs_extra_position_unique")]

    def __str__(self) -> str:
        return self.name


class OfferImage(models.Model):
    """A gallery image, re-encoded without its metadata, with a thumbnail (AM01)."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField()
    image = models.ImageField(upload_to="offers/")
    thumbnail = models.ImageField(upload_to="offers/thumbs/")

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.image.name


class OrderState(models.TextChoices):
    # As the pages say them (feminine in French: "la commande"), the staff
    # pages and the admin included.
    ACTIVE = "active", pgettext_lazy("order state", "Ordered, not started")
    IN_PROGRESS = "in_progress", pgettext_lazy("order state", "In progress")
    DELIVERED = "delivered", pgettext_lazy("order state", "Delivered")
    COMPLETED = "completed", pgettext_lazy("order state", "Completed")
    DISPUTED = "disputed", pgettext_lazy("order state", "Disputed")
    RESOLVED = "resolved", pgettext_lazy("order state", "Resolved")
    CANCELLED = "cancelled", pgettext_lazy("order state", "Cancelled")


#: AM05-AM09. A revision takes a delivered order back to in progress.
ORDER_MOVES: dict[str, set[str]] = {
    "": {OrderState.ACTIVE},
    OrderState.ACTIVE: {OrderState.IN_PROGRESS, OrderState.CANCELLED},
    OrderState.IN_PROGRESS: {OrderState.DELIVERED, OrderState.DISPUTED, OrderState.CANCELLED},
    OrderState.DELIVERED: {
        OrderState.IN_PROGRESS,
        OrderState.COMPLETED,
        OrderState.DISPUTED,
        OrderState.CANCELLED,
    },
    OrderState.DISPUTED: {OrderState.RESOLVED},
}

#: States in which the order is over: no message, no money moves.
ORDER_FINAL_STATES = frozenset({OrderState.COMPLETED, OrderState.RESOLVED, OrderState.CANCELLED})

#: An order under way (started, not over): a cancellation needs the other
#: party's agreement, and either party may dispute (AM07, AM09).
ORDER_UNDER_WAY_STATES: tuple[str, ...] = (OrderState.IN_PROGRESS, OrderState.DELIVERED)

#: An order that went to a dispute: disputed, and what the table lets a dispute become.
ORDER_DISPUTE_STATES: frozenset[str] = frozenset({OrderState.DISPUTED, *ORDER_MOVES[OrderState.DISPUTED]})


def order_state_label(state: str) -> str:
    """An order's state as the pages say it ("in_progress" → "In progress");
    the raw value when it is not a state ("" before the first)."""
    return str(OrderState(state).label) if state in OrderState.values else state


class Order(models.Model):
    """One purchase: the offer's terms as they were when ordered, the money
    held in the escrow account `order:<id>` until the buyer accepts."""

    offer = models.ForeignKey(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders")
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_bought")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders_sold")
    title = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=OfferKind.choices, default=OfferKind.SERVICE)
    price_cents = models.PositiveIntegerField()
    extras = models.JSONField(default=list)  # [{name, price_cents, extra_days}] as ordered
    total_cents = models.PositiveIntegerField()
    delivery_days = models.PositiveSmallIntegerField()
    # Basis points taken when the expert is paid (AM12): 1000 listed, 2000 custom.
    commission_bp = models.PositiveSmallIntegerField()
    requirements = models.TextField(blank=True, default="")
    ip_note = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=OrderState.choices, default=OrderState.ACTIVE)
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    first_delivered_at = models.DateTimeField(null=True, blank=True)
    late_notified_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    review = models.TextField(blank=True, default="")
    buyer_refund_cents = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["buyer", "state"], name="gigs_order_buyer_idx"),
            models.Index(fields=["expert", "state"], name="gigs_order_expert_idx"),
            models.Index(fields=["state", "due_at"], name="gigs_order_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(buyer=models.F("expert")), name="gigs_order_not_own"),
            models.CheckConstraint(condition=Q(total_cents__gt=0), name="gigs_order_total_positive"),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="gigs_order_rating_range"
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.pk}: {self.title}"

    @property
    def escrow_ref(self) -> str:
        return f"order:{self.pk}"

    def party(self, user_id: int) -> str | None:
        """ "buyer", "expert" or None."""
        if user_id == self.buyer_id:
            return "buyer"
        if user_id == self.expert_id:
            return "expert"
        return None


class OrderTransition(Transition):
    """Who moved the order, from what to what, and when (AM06)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="transitions")


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    OPENING = "opening", _("Opening message")
    DELIVERY = "delivery", _("Delivery")
    REVISION = "revision", _("Revision request")
    EVENT = "event", _("Event")


class OrderMessage(models.Model):
    """What the two parties say inside an order (AM10); deliveries and
    revision requests are messages of their own kind."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    body = models.TextField()
    # The body seems to carry an email address or a phone number (seed 001):
    # the author is warned and staff see it.
    contact_flagged = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("order message")
        verbose_name_plural = _("order messages")
        indexes = [
            models.Index(fields=["order", "id"], name="gigs_message_order_idx"),
            models.Index(fields=["-id"], condition=Q(contact_flagged=True), name="gigs_message_flagged_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on order {self.order_id}"


class OrderFile(models.Model):
    message = models.ForeignKey(OrderMessage, on_delete=models.CASCADE, related_name="files")
    # What the parties see: for an image, a copy re-encoded without its
    # metadata (GPS, camera) and turned upright; stored under a server-chosen name.
    file = models.FileField(upload_to="orders/")
    # The image as sent, metadata and all: for staff only (empty for a PDF).
    original = models.FileField(upload_to="orders/", blank=True, default="")
    # The sender's name for the file, shown and offered on download; never a path.
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class CancellationState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    DONE = "done", _("Cancelled")


CANCELLATION_MOVES: dict[str, set[str]] = {
    "": {CancellationState.REQUESTED, CancellationState.DONE},
    CancellationState.REQUESTED: {CancellationState.ACCEPTED, CancellationState.REFUSED},
}

#: A cancellation that took effect: the order was cancelled by it. It shows on
#: the cancelling party's profile, and the other party may comment on it (AM07).
CANCELLATION_EFFECTIVE_STATES: tuple[str, ...] = (CancellationState.DONE, CancellationState.ACCEPTED)


class Cancellation(models.Model):
    """A cancellation, asked or made by one party (AM07). Once it takes
    effect it shows on that party's profile as an evaluation, whose comment
    the other party may edit."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="cancellations")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cancellations")
    reason = models.CharField(max_length=1000)
    state = models.CharField(max_length=16, choices=CancellationState.choices)
    evaluation = models.CharField(max_length=1000, blank=True, default="")
    evaluation_edited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order"], condition=Q(state="requested"), name="gigs_one_open_cancellation")
        ]

    def __str__(self) -> str:
        return f"cancellation of order {self.order_id} ({self.state})"


class CancellationTransition(Transition):
    cancellation = models.ForeignKey(Cancellation, on_delete=models.CASCADE, related_name="transitions")


class CustomRequestState(models.TextChoices):
    OPEN = "open", _("Open")
    ORDERED = "ordered", _("Ordered")
    CLOSED = "closed", _("Closed")


CUSTOM_REQUEST_MOVES: dict[str, set[str]] = {
    "": {CustomRequestState.OPEN},
    CustomRequestState.OPEN: {CustomRequestState.ORDERED, CustomRequestState.CLOSED},
}


class CustomRequest(models.Model):
    """A buyer's need that no offer covers (AM11): staff invite experts, who
    propose; the proposal the buyer accepts becomes an order."""

    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="custom_requests")
    title = models.CharField(max_length=120)
    description = models.TextField()
    category = models.CharField(max_length=32, choices=OfferCategory.choices, blank=True, default="")
    budget_cents = models.PositiveIntegerField()
    deadline = models.DateField()
    state = models.CharField(max_length=16, choices=CustomRequestState.choices, default=CustomRequestState.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("custom request")
        verbose_name_plural = _("custom requests")

    def __str__(self) -> str:
        return self.title


class CustomRequestTransition(Transition):
    custom_request = models.ForeignKey(CustomRequest, on_delete=models.CASCADE, related_name="transitions")


class Invitation(models.Model):
    custom_request = models.ForeignKey(CustomRequest, on_delete=models.CASCADE, related_name="invitations")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations")
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["custom_request", "expert"], name="gigs_invitation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.expert_id} invited to {self.custom_request_id}"


class ProposalState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Not chosen")


PROPOSAL_MOVES: dict[str, set[str]] = {
    "": {ProposalState.OPEN},
    ProposalState.OPEN: {ProposalState.ACCEPTED, ProposalState.DECLINED},
}


class Proposal(models.Model):
    """An invited expert's answer: the buyer's terms as they are, or a
    counter-offer on price and delay (AM11)."""

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="proposal")
    custom_request = models.ForeignKey(CustomRequest, on_delete=models.CASCADE, related_name="proposals")
    expert = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals")
    price_cents = models.PositiveIntegerField()
    delivery_days = models.PositiveSmallIntegerField()
    message = models.TextField(blank=True, default="")
    state = models.CharField(max_length=16, choices=ProposalState.choices, default=ProposalState.OPEN)
    order = models.OneToOneField(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="proposal")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(price_cents__gt=0), name="gigs_proposal_price_positive")]

    def __str__(self) -> str:
        return f"proposal {self.pk} on request {self.custom_request_id}"


class ProposalTransition(Transition):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="transitions")
