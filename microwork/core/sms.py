"""Text messages, with backends chosen like Django's email backends.

`SMS_BACKEND` is `console` (development default), `file` (one file per
message in `SMS_FILE_PATH`), `locmem` (tests: messages land in `outbox`),
`twilio` (production default: Twilio's API, configured by `TWILIO_*`) or the
dotted path of a class with a `send(to, body)` method.
"""

import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


@dataclass(frozen=True)
class Sms:
    to: str
    body: str


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None: ...


class ConsoleBackend:
    def send(self, to: str, body: str) -> None:
        sys.stdout.write(f"SMS to {to}: {body}\n")
        sys.stdout.flush()


class FileBackend:
    def send(self, to: str, body: str) -> None:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:8]}.txt"
        # The text first, then the number: a reader looking for the code finds
        # it before any other digits.
        partial = folder / f".{name}.part"
        partial.write_text(f"{body}\n\nTo: {to}\n", encoding="utf-8")
        partial.replace(folder / name)


#: Messages sent through the locmem backend, oldest first.
outbox: list[Sms] = []


class LocmemBackend:
    def send(self, to: str, body: str) -> None:
        outbox.append(Sms(to=to, body=body))


class TwilioBackend:
    def __init__(self, http_client: HttpClient | None = None) -> None:
        # Sending runs in the request's after-commit hooks: a provider that
        # hangs must not hold the worker for ever.
        self.http_client = http_client or TwilioHttpClient(timeout=10)

    def send(self, to: str, body: str) -> None:
        client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=self.http_client)
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            client.messages.create(to=to, messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID, body=body)
        else:
            client.messages.create(to=to, from_=settings.TWILIO_FROM, body=body)


BACKENDS: dict[str, type[SmsBackend]] = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "locmem": LocmemBackend,
    "twilio": TwilioBackend,
}


def send_sms(to: str, body: str) -> None:
    name = settings.SMS_BACKEND
    backend_class: type[SmsBackend] = BACKENDS.get(name) or import_string(name)
    backend_class().send(to, body)
