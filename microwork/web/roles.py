"""Who may open a page: the signed-in user, and the roles a page is for."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from microwork.accounts.models import User


def page_user(request: HttpRequest, *roles: str) -> User:
    """The signed-in user (pages using this are behind `login_required`); with
    `roles`, a 403 unless the user holds one of them ("staff": any staff account)."""
    user = request.user
    assert isinstance(user, User)
    if roles and not (user.role in roles or ("staff" in roles and user.is_staff_member)):
        raise PermissionDenied
    return user
