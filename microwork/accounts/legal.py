"""The legal documents, their current versions, and who must accept which (AC03).

A document is a versioned template (`web/legal/<kind>.html`) and its version
here; publishing a new version is changing the text and the version (or the
`LEGAL_DOCUMENT_VERSIONS` setting). Signed-in users who accepted an older
version are asked to accept the new one at their next page view.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings

from .models import LegalKind, Role


@dataclass(frozen=True)
class LegalDocument:
    kind: str
    version: str
    published_on: date
    url_name: str


#: The page of each document (French URLs, see web.urls).
URL_NAMES: dict[str, str] = {
    LegalKind.TERMS_OF_USE: "web:legal_terms_of_use",
    LegalKind.TERMS_OF_SALE: "web:legal_terms_of_sale",
    LegalKind.PRIVACY: "web:legal_privacy",
    LegalKind.LEGAL_NOTICE: "web:legal_notice",
}

#: What each role accepts at signup and again at each new version. The legal
#: notice is information only.
REQUIRED_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.TASKER: (LegalKind.TERMS_OF_USE, LegalKind.PRIVACY),
    Role.COMPANY: (LegalKind.TERMS_OF_SALE, LegalKind.PRIVACY),
    Role.EXPERT: (LegalKind.TERMS_OF_SALE, LegalKind.PRIVACY),
    Role.STAFF: (),
}


def current(kind: str) -> LegalDocument:
    """The version in force of one document."""
    version, published_on = settings.LEGAL_DOCUMENT_VERSIONS[kind]
    return LegalDocument(
        kind=kind, version=version, published_on=date.fromisoformat(published_on), url_name=URL_NAMES[kind]
    )


def required_kinds(role: str) -> tuple[str, ...]:
    return REQUIRED_BY_ROLE.get(role, ())


def versions_signature(role: str) -> str:
    """One string naming the versions a role must have accepted: it changes when one does."""
    return "|".join(f"{kind}={current(kind).version}" for kind in required_kinds(role))
