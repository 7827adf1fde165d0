"""The packaged-services API (API.md, "Packaged services"; SPEC AM): each
handler finds the object through its access helper, calls one service and
answers its schema."""

import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.files.uploadedfile import UploadedFile as DjangoUpload
from django.http import FileResponse, HttpRequest
from ninja import File, Query, Router, Schema, Status
from ninja.errors import ValidationError
from ninja.files import UploadedFile
from pydantic import ValidationError as PydanticError

from microwork.accounts.roles import current_user, require_role
from microwork.core.ids import parse_id
from microwork.core.pagination import PageParams, keyset_page, keyset_page_ascending, ranked_page
from microwork.core.uploads import file_response

from . import selectors, services
from .models import Offer
from .schemas import (
    AcceptIn,
    CancellationOut,
    CustomRequestIn,
    CustomRequestOut,
    CustomRequestPage,
    DeliveryIn,
    EvaluationIn,
    InvitationsIn,
    InvitationsOut,
    MessageIn,
    MessageOut,
    MessagePage,
    OfferFilters,
    OfferIn,
    OfferOut,
    OfferPage,
    OptionalReasonIn,
    OrderFilters,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderReasonIn,
    ProposalIn,
    ProposalOut,
    ResolveIn,
    RevisionIn,
)
from .serialisers import (
    cancellation_out,
    custom_request_out,
    invitation_out,
    message_out,
    offer_out,
    order_out,
    proposal_out,
)

router = Router(tags=["packaged services"])
staff_router = Router(tags=["staff"])

S = TypeVar("S", bound=Schema)


def _offers_out(offers: list[Offer]) -> list[dict[str, Any]]:
    records = selectors.expert_records(offer.expert_id for offer in offers)
    return [offer_out(offer, records[offer.expert_id]) for offer in offers]


def _payload(request: HttpRequest, schema: type[S]) -> tuple[S, list[DjangoUpload]]:
    """A body sent as JSON, or as a form with files (`files`, or `file`)."""
    files: list[DjangoUpload] = []
    try:
        if (request.content_type or "").startswith("multipart/form-data"):
            data = schema.model_validate(request.POST.dict())
            files = request.FILES.getlist("files") + request.FILES.getlist("file")
        else:
            data = schema.model_validate(json.loads(request.body or b"{}"))
    except PydanticError as error:
        raise ValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from None
    except (ValueError, UnicodeDecodeError):
        raise ValidationError([{"loc": ("body",), "msg": "The body is not valid JSON."}]) from None
    return data, files


def _multipart(schema: type[Schema]) -> dict[str, Any]:
    """The OpenAPI body of an operation read by `_payload`: JSON, or a form with files."""
    properties = schema.model_json_schema()
    form = {
        **properties,
        "properties": {
            **properties.get("properties", {}),
            "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
        },
    }
    return {
        "requestBody": {
            "content": {
                "application/json": {"schema": properties},
                "multipart/form-data": {"schema": form},
            },
            "required": True,
        }
    }


# --- Offers (AM01-AM04) ------------------------------------------------------


@router.post("/offers", response={201: OfferOut})
def offer_create(request: HttpRequest, data: OfferIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    offer = services.offer_create(expert=user, fields=data.fields())
    return Status(201, _offers_out([offer])[0])


@router.get("/offers", response=OfferPage, auth=None)
def offer_list(request: HttpRequest, filters: Query[OfferFilters], page: Query[PageParams]) -> dict[str, Any]:
    offers, ranked = selectors.offers_matching(
        q=filters.q or "",
        category=filters.category or "",
        kind=filters.kind or "",
        max_price_cents=filters.max_price_cents,
    )
    offers = offers.select_related("expert").prefetch_related("extras", "images")
    if ranked is None:
        result = keyset_page(offers, limit=page.limit, cursor=page.cursor, serialize=lambda o: o)
    else:
        result = ranked_page(offers, limit=page.limit, cursor=page.cursor, serialize=lambda o: o)
    result["items"] = _offers_out(result["items"])
    return result


@router.get("/offers/{offer_id}", response=OfferOut, auth=None)
def offer_detail(request: HttpRequest, offer_id: str) -> dict[str, Any]:
    return _offers_out([selectors.offer_public(offer_id)])[0]


@router.put("/offers/{offer_id}", response=OfferOut)
def offer_update(request: HttpRequest, offer_id: str, data: OfferIn) -> dict[str, Any]:
    user = current_user(request)
    offer = services.offer_update(offer=selectors.offer_of_expert(user, offer_id), by=user, fields=data.fields())
    return _offers_out([offer])[0]


@router.post("/offers/{offer_id}/withdraw", response=OfferOut)
def offer_withdraw(request: HttpRequest, offer_id: str) -> dict[str, Any]:
    user = current_user(request)
    offer = services.offer_withdraw(offer=selectors.offer_of_expert(user, offer_id), by=user)
    return _offers_out([offer])[0]


@router.post("/offers/{offer_id}/images", response={201: OfferOut})
def offer_image_add(request: HttpRequest, offer_id: str, file: File[UploadedFile]) -> Status[dict[str, Any]]:
    user = current_user(request)
    offer = selectors.offer_of_expert(user, offer_id)
    services.offer_image_add(offer=offer, by=user, upload=file)
    return Status(201, _offers_out([offer])[0])


@router.get("/me/offers", response=OfferPage)
def my_offers(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    user = current_user(request)
    result = keyset_page(
        selectors.offers_of_expert(user).select_related("expert"),
        limit=page.limit,
        cursor=page.cursor,
        serialize=lambda o: o,
    )
    result["items"] = _offers_out(result["items"])
    return result


# --- Orders (AM05-AM10, AM12, AM14, AM16) -------------------------------------


@router.post("/offers/{offer_id}/orders", response={201: OrderOut})
def order_place(request: HttpRequest, offer_id: str, data: OrderIn | None = None) -> Status[dict[str, Any]]:
    user = current_user(request)
    order = services.order_place(
        offer=selectors.offer_public(offer_id),
        buyer=user,
        extras=(data.extras if data else None) or [],
        requirements=(data.requirements if data else None) or "",
    )
    return Status(201, order_out(order))


@router.get("/orders", response=OrderPage)
def order_list(request: HttpRequest, filters: Query[OrderFilters], page: Query[PageParams]) -> dict[str, Any]:
    user = current_user(request)
    orders = selectors.orders_visible_to(user)
    if filters.role == "buyer":
        orders = orders.filter(buyer=user)
    elif filters.role == "expert":
        orders = orders.filter(expert=user)
    if filters.state:
        orders = orders.filter(state=filters.state)
    return keyset_page(orders, limit=page.limit, cursor=page.cursor, serialize=lambda o: order_out(o, history=False))


@router.get("/orders/{order_id}", response=OrderOut)
def order_detail(request: HttpRequest, order_id: str) -> dict[str, Any]:
    return order_out(selectors.order_for(current_user(request), order_id))


def _act(request: HttpRequest, order_id: str, action: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    user = current_user(request)
    order = action(order=selectors.order_for(user, order_id), by=user, **kwargs)
    return order_out(order)


@router.post("/orders/{order_id}/start", response=OrderOut)
def order_start(request: HttpRequest, order_id: str) -> dict[str, Any]:
    return _act(request, order_id, services.order_start)


@router.post("/orders/{order_id}/decline", response=OrderOut)
def order_decline(request: HttpRequest, order_id: str, data: OptionalReasonIn | None = None) -> dict[str, Any]:
    return _act(request, order_id, services.order_decline, reason=(data.reason if data else None) or "")


@router.post("/orders/{order_id}/cancel", response=OrderOut)
def order_cancel(request: HttpRequest, order_id: str, data: OptionalReasonIn | None = None) -> dict[str, Any]:
    return _act(request, order_id, services.order_cancel, reason=(data.reason if data else None) or "")


@router.post("/orders/{order_id}/deliveries", response={201: OrderOut}, openapi_extra=_multipart(DeliveryIn))
def order_deliver(request: HttpRequest, order_id: str) -> Status[dict[str, Any]]:
    data, files = _payload(request, DeliveryIn)
    return Status(201, _act(request, order_id, services.order_deliver, message=data.message, files=files))


@router.post("/orders/{order_id}/revision", response=OrderOut)
def order_revise(request: HttpRequest, order_id: str, data: RevisionIn) -> dict[str, Any]:
    return _act(request, order_id, services.order_revise, instructions=data.instructions)


@router.post("/orders/{order_id}/accept", response=OrderOut)
def order_accept(request: HttpRequest, order_id: str, data: AcceptIn) -> dict[str, Any]:
    return _act(request, order_id, services.order_accept, rating=data.rating, review=data.review or "")


@router.post("/orders/{order_id}/dispute", response=OrderOut)
def order_dispute(request: HttpRequest, order_id: str, data: OrderReasonIn) -> dict[str, Any]:
    return _act(request, order_id, services.order_dispute, reason=data.reason)


@router.post("/orders/{order_id}/resolve", response=OrderOut)
def order_resolve(request: HttpRequest, order_id: str, data: ResolveIn) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "staff")
    return _act(
        request, order_id, services.order_resolve, buyer_refund_cents=data.buyer_refund_cents, reason=data.reason or ""
    )


@router.get("/orders/{order_id}/messages", response=MessagePage)
def message_list(request: HttpRequest, order_id: str, page: Query[PageParams]) -> dict[str, Any]:
    order = selectors.order_for(current_user(request), order_id)
    return keyset_page_ascending(
        selectors.order_messages(order), limit=page.limit, cursor=page.cursor, serialize=message_out
    )


@router.post("/orders/{order_id}/messages", response={201: MessageOut}, openapi_extra=_multipart(MessageIn))
def message_post(request: HttpRequest, order_id: str) -> Status[dict[str, Any]]:
    data, files = _payload(request, MessageIn)
    user = current_user(request)
    message = services.message_post(order=selectors.order_for(user, order_id), by=user, body=data.body, files=files)
    return Status(201, message_out(message, warn=True))


@router.get("/orders/{order_id}/files/{file_id}", response={200: None})
def order_file(request: HttpRequest, order_id: str, file_id: str) -> FileResponse:
    user = current_user(request)
    stored = selectors.order_file_for(user, order_id, file_id)
    return file_response(
        selectors.order_file_shown(stored, user), content_type=stored.content_type, download_name=stored.name
    )


@router.post("/orders/{order_id}/cancellation-request", response={201: CancellationOut})
def cancellation_request(request: HttpRequest, order_id: str, data: OrderReasonIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    cancellation = services.cancellation_request(order=selectors.order_for(user, order_id), by=user, reason=data.reason)
    return Status(201, cancellation_out(cancellation))


@router.post("/cancellations/{cancellation_id}/accept", response=CancellationOut)
def cancellation_accept(request: HttpRequest, cancellation_id: str) -> dict[str, Any]:
    user = current_user(request)
    found = selectors.cancellation_for(user, cancellation_id)
    return cancellation_out(services.cancellation_answer(cancellation=found, by=user, accept=True))


@router.post("/cancellations/{cancellation_id}/refuse", response=CancellationOut)
def cancellation_refuse(request: HttpRequest, cancellation_id: str) -> dict[str, Any]:
    user = current_user(request)
    found = selectors.cancellation_for(user, cancellation_id)
    return cancellation_out(services.cancellation_answer(cancellation=found, by=user, accept=False))


@router.post("/cancellations/{cancellation_id}/evaluation", response=CancellationOut)
def cancellation_evaluate(request: HttpRequest, cancellation_id: str, data: EvaluationIn) -> dict[str, Any]:
    user = current_user(request)
    found = selectors.cancellation_for(user, cancellation_id)
    return cancellation_out(services.cancellation_evaluate(cancellation=found, by=user, comment=data.comment))


# --- Custom orders (AM11) -----------------------------------------------------


@router.post("/custom-requests", response={201: CustomRequestOut})
def custom_request_create(request: HttpRequest, data: CustomRequestIn) -> Status[dict[str, Any]]:
    created = services.custom_request_create(
        buyer=current_user(request),
        title=data.title,
        description=data.description,
        budget_cents=data.budget_cents,
        deadline=data.deadline,
        category=data.category or "",
    )
    return Status(201, custom_request_out(created))


@router.get("/custom-requests", response=CustomRequestPage)
def custom_request_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    requests = selectors.custom_requests_visible_to(current_user(request))
    return keyset_page(requests, limit=page.limit, cursor=page.cursor, serialize=custom_request_out)


@router.get("/custom-requests/{request_id}", response=CustomRequestOut)
def custom_request_detail(request: HttpRequest, request_id: str) -> dict[str, Any]:
    return custom_request_out(selectors.custom_request_for(current_user(request), request_id))


@router.post("/custom-requests/{request_id}/invitations", response={201: InvitationsOut})
def custom_request_invite(request: HttpRequest, request_id: str, data: InvitationsIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "staff")
    found = selectors.custom_request_for(user, request_id)
    ids = [parse_id(raw) for raw in data.expert_ids]
    if any(pk is None for pk in ids):
        raise ValidationError([{"loc": ("body", "expert_ids"), "msg": "Expert ids are numbers."}])
    invitations = services.custom_request_invite(
        request=found, by=user, expert_ids=[pk for pk in ids if pk is not None]
    )
    return Status(201, {"items": [invitation_out(i) for i in invitations]})


@router.get("/custom-requests/{request_id}/proposals", response=list[ProposalOut])
def proposal_list(request: HttpRequest, request_id: str) -> list[dict[str, Any]]:
    user = current_user(request)
    found = selectors.custom_request_for(user, request_id)
    return [proposal_out(p) for p in selectors.proposals_visible_to(found, user)]


@router.post("/custom-requests/{request_id}/proposals", response={201: ProposalOut})
def proposal_create(request: HttpRequest, request_id: str, data: ProposalIn) -> Status[dict[str, Any]]:
    user = current_user(request)
    found = selectors.custom_request_for(user, request_id)
    proposal = services.proposal_create(
        request=found,
        by=user,
        price_cents=data.price_cents,
        delivery_days=data.delivery_days,
        message=data.message or "",
    )
    return Status(201, proposal_out(proposal))


@router.get("/proposals/{proposal_id}", response=ProposalOut)
def proposal_detail(request: HttpRequest, proposal_id: str) -> dict[str, Any]:
    return proposal_out(selectors.proposal_for(current_user(request), proposal_id))


@router.post("/proposals/{proposal_id}/accept", response={201: OrderOut})
def proposal_accept(request: HttpRequest, proposal_id: str) -> Status[dict[str, Any]]:
    user = current_user(request)
    order = services.proposal_accept(proposal=selectors.proposal_for(user, proposal_id), by=user)
    return Status(201, order_out(order))


# --- Staff ------------------------------------------------------------------


@staff_router.get("/order-disputes", response=OrderPage)
def staff_disputes(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    require_role(current_user(request), "staff")
    return keyset_page_ascending(selectors.orders_disputed(), limit=page.limit, cursor=page.cursor, serialize=order_out)


@staff_router.get("/flagged-messages", response=MessagePage)
def staff_flagged_messages(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    require_role(current_user(request), "staff")
    return keyset_page(selectors.messages_flagged(), limit=page.limit, cursor=page.cursor, serialize=message_out)


# --- Custom-request suggestions for staff (AM11; see gigs/matching.py) ---------


class SuggestionOut(Schema):
    expert_id: str
    display_name: str
    score: int
    category_offers: int
    title_words: list[str]
    description_words: list[str]
    rating: float | None
    reviews: int
    reasons: list[str]


@router.get("/custom-requests/{request_id}/suggestions", response=list[SuggestionOut], tags=["staff"])
def custom_request_suggestions(request: HttpRequest, request_id: str) -> list[dict[str, Any]]:
    """The verified experts best suited to the request, best first, each with its score's reasons."""
    from .matching import experts_suggested

    user = current_user(request)
    require_role(user, "staff")
    found = selectors.custom_request_for(user, request_id)
    return [
        {
            "expert_id": str(s.expert.pk),
            "display_name": s.expert.display_name,
            "score": s.score,
            "category_offers": s.category_offers,
            "title_words": s.title_words,
            "description_words": s.description_words,
            "rating": s.record.rating if s.record else None,
            "reviews": s.record.reviews if s.record else 0,
            "reasons": s.reasons,
        }
        for s in experts_suggested(found)
    ]
