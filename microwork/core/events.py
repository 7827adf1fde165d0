"""Domain events: a domain app says what happened to a company's objects;
whoever subscribed (the webhooks app) hears it at once, inside the emitting
transaction, so what it records commits or rolls back with the event. A
subscriber does no slow work here: it defers it to after the commit.

The apps that emit do not know who listens: they depend only on this module.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: The events a company may subscribe to.
EVENT_TYPES = ("report.submitted", "mission.full", "batch.done")


@dataclass(frozen=True)
class Event:
    type: str
    #: The company the event concerns: only its own subscriptions hear it.
    company_id: int
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], object]
_handlers: list[Handler] = []


def subscribe(handler: Handler) -> None:
    """Hear every event from now on (called once, from an app's `ready`)."""
    if handler not in _handlers:
        _handlers.append(handler)


def emit(type: str, *, company_id: int, data: dict[str, Any]) -> None:
    """Tell every subscriber; called inside the transaction that made it happen."""
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type!r}.")
    event = Event(type=type, company_id=company_id, data=data)
    for handler in list(_handlers):
        handler(event)
