"""Output pieces every API shares."""

from typing import Any

from django.db.models import Manager, QuerySet

from .models import Transition


def history_out(transitions: "Manager[Transition] | QuerySet[Transition]", *, who: bool = True) -> list[dict[str, Any]]:
    """An object's recorded status changes (see `Transition`), oldest first.

    `who=False` leaves out who made each change (`by_id`), for readers who
    are not to know it."""
    lines = []
    for t in transitions.order_by("pk"):
        line: dict[str, Any] = {"from_state": t.from_state, "to_state": t.to_state, "at": t.at, "reason": t.reason}
        if who:
            line["by_id"] = str(t.by_id) if t.by_id else None
        lines.append(line)
    return lines
