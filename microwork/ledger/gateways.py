"""Payment gateways behind one interface.

The `sandbox` gateway (the default) accepts every charge at once. A real
provider plugs in by implementing `charge` and registering its name.
"""

import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    provider_ref: str
    reason: str = ""


class PaymentGateway(Protocol):
    name: str

    def charge(self, *, amount_cents: int, reference: str) -> ChargeResult: ...


class SandboxGateway:
    name = "sandbox"

    def charge(self, *, amount_cents: int, reference: str) -> ChargeResult:
        return ChargeResult(succeeded=True, provider_ref=f"sandbox_{uuid.uuid4().hex}")


class DecliningGateway:
    """Refuses every charge: for tests of the failure path."""

    name = "declining"

    def charge(self, *, amount_cents: int, reference: str) -> ChargeResult:
        return ChargeResult(succeeded=False, provider_ref="", reason="Card declined")


GATEWAYS: dict[str, type[PaymentGateway]] = {"sandbox": SandboxGateway, "declining": DecliningGateway}


def get_gateway() -> PaymentGateway:
    try:
        return GATEWAYS[settings.PAYMENT_GATEWAY]()
    except KeyError:
        raise ImproperlyConfigured(f"Unknown PAYMENT_GATEWAY {settings.PAYMENT_GATEWAY!r}") from None
