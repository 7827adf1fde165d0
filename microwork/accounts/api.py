from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from microwork.core.ids import object_id
from microwork.core.pagination import PageParams, keyset_page
from microwork.core.ratelimit import client_ip
from microwork.core.schemas import Text, one_of

from . import selectors, services
from .models import DocumentState, User, VerificationDocument
from .roles import current_user, require_role
from .services.signup import SIGNUP_ROLES

router = Router(tags=["accounts"])
tokens_router = Router(tags=["accounts"])
staff_router = Router(tags=["staff"])

DocumentStateName: Any = one_of(DocumentState)
SignupRole: Any = one_of(SIGNUP_ROLES)


# --- Schemas --------------------------------------------------------------


class SignupIn(Schema):
    role: SignupRole
    email: Text = Field(max_length=254)
    password: str = Field(max_length=128)
    display_name: Text = Field(max_length=120)
    phone: Text | None = Field(None, max_length=32)
    siret: Text | None = Field(None, max_length=32)
    legal_name: Text | None = Field(None, max_length=200)
    accept_terms: bool = False


class AccountOut(Schema):
    id: str
    role: str
    email: str
    display_name: str
    phone: str | None
    phone_verified: bool
    siret: str | None
    expert_verified: bool | None
    expert_profile_state: str | None
    terms_version: str
    terms_accepted_at: datetime | None
    created_at: datetime


class TokenIn(Schema):
    email: Text = Field(max_length=254)
    password: str = Field(max_length=128)


class TokenOut(Schema):
    token: str


class ApiTokenOut(Schema):
    id: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    current: bool


class CodeSentOut(Schema):
    sent: bool
    expires_at: datetime


class CodeIn(Schema):
    code: Text = Field(max_length=16)


class DocumentOut(Schema):
    id: str
    kind: str
    state: str
    valid_until: date | None
    stated_valid_until: date | None
    issued_on: date | None
    refusal_reason: str
    content_type: str
    created_at: datetime


class DocumentPage(Schema):
    items: list[DocumentOut]
    next_cursor: str | None


class DocumentApproveIn(Schema):
    valid_until: date | None = None


class RefuseIn(Schema):
    reason: Text = Field(min_length=1, max_length=500)


def account_out(user: User) -> dict[str, Any]:
    organisation = getattr(user, "organisation", None)
    return {
        "id": str(user.pk),
        "role": user.role,
        "email": user.email,
        "display_name": user.display_name,
        "phone": user.phone or None,
        "phone_verified": user.phone_verified,
        "siret": organisation.siret if organisation else None,
        "expert_verified": selectors.expert_is_verified(user) if user.is_expert else None,
        "expert_profile_state": selectors.expert_profile_state(user),
        "terms_version": user.terms_version,
        "terms_accepted_at": user.terms_accepted_at,
        "created_at": user.date_joined,
    }


def document_out(document: VerificationDocument) -> dict[str, Any]:
    return {
        "id": str(document.pk),
        "kind": document.kind,
        "state": selectors.document_state(document),
        "valid_until": document.valid_until,
        "stated_valid_until": document.stated_valid_until,
        "issued_on": document.issued_on,
        "refusal_reason": document.refusal_reason,
        "content_type": document.content_type,
        "created_at": document.created_at,
    }


# --- Tokens ---------------------------------------------------------------


@tokens_router.post("", auth=None, response={201: TokenOut})
def token_create(request: HttpRequest, data: TokenIn) -> Status[dict[str, str]]:
    return Status(201, {"token": services.token_sign_in(request=request, email=data.email, password=data.password)})


@tokens_router.delete("/current", response={204: None})
def token_revoke(request: HttpRequest) -> Status[None]:
    services.token_revoke(token=request.api_token)  # type: ignore[attr-defined]
    return Status(204, None)


@router.get("/me/tokens", response=list[ApiTokenOut])
def my_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    """The account's live tokens (never their secret); `current` is the one calling."""
    current_token = getattr(request, "api_token", None)
    return [
        {
            "id": str(token.pk),
            "prefix": token.prefix,
            "created_at": token.created_at,
            "last_used_at": token.last_used_at,
            "expires_at": token.expires_at,
            "current": current_token is not None and token.pk == current_token.pk,
        }
        for token in selectors.tokens_live(current_user(request))
    ]


@router.delete("/me/tokens/{token_id}", response={204: None})
def my_token_revoke(request: HttpRequest, token_id: str) -> Status[None]:
    services.token_revoke(token=selectors.token_for(current_user(request), object_id(token_id)))
    return Status(204, None)


# --- Accounts -------------------------------------------------------------


@router.post("/accounts", auth=None, response={201: AccountOut})
def account_create(request: HttpRequest, data: SignupIn) -> Status[dict[str, Any]]:
    user = services.user_signup(
        role=data.role,
        email=data.email,
        password=data.password,
        display_name=data.display_name,
        accept_terms=data.accept_terms,
        phone=data.phone or "",
        siret=data.siret or "",
        legal_name=data.legal_name or "",
        ip=client_ip(request),
    )
    return Status(201, account_out(user))


@router.get("/me", response=AccountOut)
def me(request: HttpRequest) -> dict[str, Any]:
    return account_out(current_user(request))


@router.post("/me/phone/code", response={202: CodeSentOut})
def phone_code(request: HttpRequest) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "tasker")
    code = services.phone_code_send(user=user, ip=client_ip(request))
    return Status(202, {"sent": True, "expires_at": code.expires_at})


@router.post("/me/phone/verify", response=AccountOut)
def phone_verify(request: HttpRequest, data: CodeIn) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "tasker")
    return account_out(services.phone_verify(user=user, code=data.code))


@router.post("/me/documents", response={201: DocumentOut})
def document_upload(
    request: HttpRequest,
    kind: Form[str],
    file: File[UploadedFile],
    valid_until: Form[date | None] = None,
    issued_on: Form[date | None] = None,
) -> Status[dict[str, Any]]:
    user = current_user(request)
    require_role(user, "expert")
    document = services.document_upload(user=user, kind=kind, upload=file, valid_until=valid_until, issued_on=issued_on)
    return Status(201, document_out(document))


@router.get("/me/documents", response=DocumentPage)
def document_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    user = current_user(request)
    require_role(user, "expert")
    return keyset_page(
        VerificationDocument.objects.filter(user=user), limit=page.limit, cursor=page.cursor, serialize=document_out
    )


@router.get("/me/documents/{document_id}", response=DocumentOut)
def document_detail(request: HttpRequest, document_id: str) -> dict[str, Any]:
    return document_out(selectors.document_for(current_user(request), object_id(document_id)))


# --- Staff ----------------------------------------------------------------


@staff_router.get("/documents", response=DocumentPage)
def staff_document_list(
    request: HttpRequest, page: Query[PageParams], state: DocumentStateName = "pending"
) -> dict[str, Any]:
    require_role(current_user(request), "staff")
    return keyset_page(
        VerificationDocument.objects.filter(state=state), limit=page.limit, cursor=page.cursor, serialize=document_out
    )


@staff_router.post("/documents/{document_id}/approve", response=DocumentOut)
def staff_document_approve(
    request: HttpRequest, document_id: str, data: DocumentApproveIn | None = None
) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    document = selectors.document_for(staff, object_id(document_id))
    document = services.document_approve(document=document, by=staff, valid_until=data.valid_until if data else None)
    return document_out(document)


@staff_router.post("/documents/{document_id}/refuse", response=DocumentOut)
def staff_document_refuse(request: HttpRequest, document_id: str, data: RefuseIn) -> dict[str, Any]:
    staff = current_user(request)
    require_role(staff, "staff")
    document = selectors.document_for(staff, object_id(document_id))
    return document_out(services.document_refuse(document=document, by=staff, reason=data.reason))
