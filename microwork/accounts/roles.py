"""Who may do what: the one role check behind pages and the API alike."""

from typing import cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.functional import Promise

from microwork.core.errors import Forbidden

from .models import User

StrOrPromise = str | Promise


def has_role(user: User, *roles: str) -> bool:
    """Whether the user holds one of the roles ("staff": any staff account)."""
    return user.role in roles or ("staff" in roles and user.is_staff_member)


def require_role(user: User, *roles: str, message: StrOrPromise | None = None) -> None:
    """Refuse with 403 unless the user holds one of the roles (staff: any
    staff account), saying `message`, or by default whom the action is for."""
    if not has_role(user, *roles):
        raise Forbidden(str(message) if message is not None else f"This action is for: {', '.join(roles)}.")


def current_user(request: HttpRequest) -> User:
    """The API caller, as the bearer-token authentication found them."""
    return cast(User, request.auth)  # type: ignore[attr-defined]


def page_user(request: HttpRequest, *roles: str) -> User:
    """The signed-in user (pages using this are behind `login_required`); with
    `roles`, a 403 unless the user holds one of them ("staff": any staff account)."""
    user = request.user
    assert isinstance(user, User)
    if roles and not has_role(user, *roles):
        raise PermissionDenied
    return user
