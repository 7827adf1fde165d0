"""Text messages. The transport lives in `microwork.core.sms`, below accounts,
which sends phone codes; these names stay so that an `SMS_BACKEND` naming
`microwork.notifications.sms.<Backend>` keeps working."""

from microwork.core.sms import (
    BACKENDS,
    ConsoleBackend,
    FileBackend,
    LocmemBackend,
    Sms,
    SmsBackend,
    TwilioBackend,
    outbox,
    send_sms,
)

__all__ = [
    "BACKENDS",
    "ConsoleBackend",
    "FileBackend",
    "LocmemBackend",
    "Sms",
    "SmsBackend",
    "TwilioBackend",
    "outbox",
    "send_sms",
]
