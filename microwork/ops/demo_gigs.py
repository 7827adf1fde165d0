"""The demo's packaged services: the demo expert's offers, and one order
under way, so that a first look shows the whole trade."""

from typing import Any

from microwork.accounts.models import User
from microwork.gigs import services as gigs
from microwork.gigs.models import Offer

DEMO_OFFERS: list[dict[str, Any]] = [
    {
        "kind": "service",
        "title": "Création de votre logo professionnel",
        "category": "design",
        "description": "Je dessine le logo de votre entreprise : trois propositions, deux séries de retouches, "
        "fichiers vectoriels et déclinaisons pour le web et l'impression.",
        "price_cents": 12_000,
        "delivery_days": 3,
        "keywords": ("logo", "identité visuelle", "graphisme"),
        "extras": (
            gigs.ExtraIn(name="Livraison express (24 h)", price_cents=3_000, extra_days=0),
            gigs.ExtraIn(name="Charte graphique complète", price_cents=5_000, extra_days=2),
        ),
        "opening_message": "Merci pour votre commande ! Envoyez-moi le nom de votre marque, vos couleurs "
        "et deux logos que vous aimez.",
    },
    {
        "kind": "call",
        "title": "Une heure de conseil en comptabilité pour créateur d'entreprise",
        "category": "finance",
        "description": "Un appel d'une heure pour choisir votre statut, comprendre la TVA et organiser votre "
        "comptabilité dès le premier jour.",
        "price_cents": 9_000,
        "delivery_days": 2,
        "keywords": ("comptabilité", "TVA", "création d'entreprise"),
        "extras": (),
        "opening_message": "Bonjour ! Proposez-moi trois créneaux pour notre appel.",
    },
    {
        "kind": "question",
        "title": "Réponse écrite à une question de droit du travail",
        "category": "legal",
        "description": "Posez une question précise de droit du travail (contrat, rupture, heures "
        "supplémentaires) : je réponds par écrit, sources à l'appui.",
        "price_cents": 4_500,
        "delivery_days": 1,
        "keywords": ("droit du travail", "contrat", "question"),
        "extras": (),
        "opening_message": "Merci ! Décrivez votre situation en quelques lignes.",
    },
]


def demo_gigs(*, expert: User, buyer: User) -> None:
    """The expert's offers and one order the buyer placed; nothing twice."""
    if Offer.objects.filter(expert=expert).exists():
        return
    offers = [gigs.offer_create(expert=expert, fields=gigs.OfferFields(**offer)) for offer in DEMO_OFFERS]
    order = gigs.order_place(
        offer=offers[0],
        buyer=buyer,
        extras=[1],
        requirements="Marque : Biscuiterie Lune. Couleurs : bleu nuit et or. Style sobre.",
    )
    gigs.order_start(order=order, by=expert)
