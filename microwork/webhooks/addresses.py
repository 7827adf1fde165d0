"""Which addresses a webhook may be sent to: never the platform's own network
(loopback, private, link-local, reserved ranges), so that a company cannot
make our servers call inside our infrastructure (SSRF). Development and tests
may allow them with `WEBHOOKS_ALLOW_PRIVATE_URLS`."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

URL_MAX_CHARS = 500


def _address_is_public(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def url_refusal(url: str) -> str | None:
    """Why this address cannot take webhooks, or None. Resolves the host name:
    called when an endpoint is registered and again before every try."""
    if len(url) > URL_MAX_CHARS:
        return _("The address is at most %(count)s characters.") % {"count": URL_MAX_CHARS}
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return _("Enter a full web address, starting with https://.")
    parts = urlsplit(url)
    if settings.WEBHOOKS_REQUIRE_HTTPS and parts.scheme != "https":
        return _("The address must start with https://.")
    if parts.username or parts.password:
        return _("The address may not carry a user name or password.")
    host = parts.hostname or ""
    if settings.WEBHOOKS_ALLOW_PRIVATE_URLS:
        return None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        return _("This host name cannot be found.")
    if not found or not all(_address_is_public(str(info[4][0])) for info in found):
        return _("This address is on a private network; webhooks go to public addresses only.")
    return None
