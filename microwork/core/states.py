"""One place where a status changes.

Each stateful model declares its allowed moves as a table
`{from_state: {to_state, ...}}`; `state_move` refuses any other move with a
409 and writes a history row (who, when, from, to, why).
"""

from collections.abc import Mapping
from typing import Any, Protocol

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Conflict


class WrongState(Conflict):
    code = "wrong_state"


class Stateful(Protocol):
    pk: Any
    state: str

    def save(self, *args: Any, **kwargs: Any) -> None: ...


def state_move(
    obj: Stateful,
    to: str,
    *,
    allowed: Mapping[str, set[str]],
    history: type[models.Model],
    by: Any = None,
    reason: str = "",
    update_fields: tuple[str, ...] = (),
    message: str | None = None,
    code: str | None = None,
    **history_fields: Any,
) -> None:
    """Move `obj` to `to` if the table allows it, save, and record the move.

    The caller holds the row lock (it read `obj` with select_for_update inside
    its transaction). `message` replaces the generic refusal where the user
    is better told what the action needs; `code`, the generic `wrong_state`."""
    source = obj.state
    state_require(obj, to, allowed=allowed, message=message, code=code)
    obj.state = to
    obj.save(update_fields=["state", *update_fields])
    history.objects.create(  # type: ignore[attr-defined]
        from_state=source, to_state=to, by=by, reason=reason[:500], at=timezone.now(), **history_fields
    )


def state_allows(obj: Stateful, to: str, *, allowed: Mapping[str, set[str]]) -> bool:
    """Whether the table lets `obj` move to `to` now: the one answer to "may
    this happen now?" that pages and services ask before offering an action."""
    return to in allowed.get(obj.state, set())


def state_require(
    obj: Stateful, to: str, *, allowed: Mapping[str, set[str]], message: str | None = None, code: str | None = None
) -> None:
    """Refuse, as `state_move` would, a move the table does not allow: for a
    service that must check before it does other work under the same lock."""
    if not state_allows(obj, to, allowed=allowed):
        generic = _("Cannot go from %(source)s to %(target)s.") % {"source": obj.state, "target": to}
        raise WrongState(message or generic, code=code)


def state_start(
    obj: Stateful,
    *,
    allowed: Mapping[str, set[str]],
    history: type[models.Model],
    by: Any = None,
    reason: str = "",
    **history_fields: Any,
) -> None:
    """Record the first state of a new object: the move from "" that its table allows."""
    if obj.state not in allowed.get("", set()):
        raise WrongState(_("Cannot start in %(target)s.") % {"target": obj.state})
    history.objects.create(  # type: ignore[attr-defined]
        from_state="", to_state=obj.state, by=by, reason=reason[:500], at=timezone.now(), **history_fields
    )
