"""The API's endpoints for what spans every app."""

from typing import Any

from django.http import HttpRequest
from ninja import Router

from microwork.accounts.roles import current_user

from .export import user_export

# Tagged as before the move: clients group the export with their account.
router = Router(tags=["accounts"])


@router.get("/me/export", operation_id="microwork_accounts_api_export")
def export(request: HttpRequest) -> dict[str, Any]:
    return user_export(current_user(request))
