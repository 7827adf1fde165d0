"""Finding offers (AM04), the same on SQLite (FTS5) and PostgreSQL (French
full-text search): `gigs.selectors.offers_matching` hides the difference,
so every case here runs unchanged on both databases."""

from typing import Any

import pytest

from microwork import testing
from microwork.accounts.models import User
from microwork.gigs.models import Offer
from microwork.testing import make_offer

pytestmark = pytest.mark.django_db


def found(**params: Any) -> list[str]:
    """The titles `GET /offers` answers an anonymous visitor, in order."""
    response = testing.api_as(None).get("/offers", **params)
    assert response.status_code == 200, response.json()
    return [item["title"] for item in response.json()["items"]]


def offer(expert: User, title: str, description: str, **fields: Any) -> Offer:
    fields.setdefault("keywords", [])
    fields.setdefault("extras", [])
    return make_offer(expert, title=title, description=description, **fields)


@pytest.fixture
def third_expert(db: None) -> User:
    return testing.make_verified_expert("lea@example.fr", display_name="Léa")


@pytest.fixture
def catalogue(expert: User, other_expert: User) -> dict[str, Offer]:
    return {
        "logo": offer(expert, "Création de logo", "Un logo simple et mémorable pour votre jeune entreprise."),
        "compta": offer(
            other_expert,
            "Tenue de comptabilité",
            "Saisie mensuelle des factures et rapprochement bancaire pour artisans.",
            category="finance",
            kind="service",
            price_cents=20_000,
        ),
        "call": offer(
            other_expert,
            "Appel conseil comptabilite",
            "Une heure au telephone pour répondre à vos questions de gestion et de fiscalité.",
            category="finance",
            kind="call",
            price_cents=8_000,
        ),
        "site": offer(
            expert,
            "Site vitrine WordPress",
            "Un site internet de cinq pages avec formulaire de contact et hébergement.",
            category="it",
            price_cents=60_000,
        ),
    }


def test_am04_a_plural_finds_the_singular(catalogue):
    assert found(q="logos") == ["Création de logo"]
    assert found(q="Logo") == ["Création de logo"]


def test_am04_accents_are_ignored_both_ways(catalogue):
    both = {"Tenue de comptabilité", "Appel conseil comptabilite"}
    assert set(found(q="comptabilite")) == both
    assert set(found(q="Comptabilité")) == both
    assert set(found(q="COMPTABILITÉS")) == both


def test_am04_every_word_must_match(catalogue):
    assert found(q="comptabilité factures") == ["Tenue de comptabilité"]
    assert found(q="comptabilité téléphone") == ["Appel conseil comptabilite"]
    assert found(q="logo wordpress") == []


def test_am04_little_words_do_not_block_a_match_on_either_database(catalogue):
    # PostgreSQL's French configuration drops "pour", "une", "de", "la", "l'":
    # SQLite's query leaves them out too.
    assert found(q="un logo pour une entreprise") == ["Création de logo"]
    assert set(found(q="de la comptabilité")) == {"Tenue de comptabilité", "Appel conseil comptabilite"}
    assert found(q="logo de l'entreprise") == ["Création de logo"]
    assert found(q="de la") == []


def test_am04_a_title_match_ranks_above_keywords_above_description(expert, other_expert, third_expert):
    # Created title-match first, so that a ranking by age alone would put it last.
    offer(expert, "Traduction juridique", "Vos contrats traduits par une juriste.")
    offer(other_expert, "Relecture de documents", "Relecture attentive de vos textes.", keywords=["traduction"])
    offer(third_expert, "Rédaction de contrats", "Rédaction, relecture et traduction de contrats commerciaux.")
    assert found(q="traduction") == ["Traduction juridique", "Relecture de documents", "Rédaction de contrats"]


def test_am04_filters_combine_with_the_words(catalogue):
    assert set(found(q="comptabilité", category="finance")) == {"Tenue de comptabilité", "Appel conseil comptabilite"}
    assert found(q="comptabilité", kind="call") == ["Appel conseil comptabilite"]
    assert found(q="comptabilité", max_price_cents=10_000) == ["Appel conseil comptabilite"]
    assert found(q="comptabilité", max_price_cents=20_000, kind="service") == ["Tenue de comptabilité"]
    assert found(q="comptabilité", category="design") == []
    assert found(q="logo", category="design", max_price_cents=12_000) == ["Création de logo"]
    assert found(q="logo", max_price_cents=11_999) == []
    assert found(category="it") == ["Site vitrine WordPress"]
    assert set(found(category="finance", max_price_cents=8_000)) == {"Appel conseil comptabilite"}


def test_am04_without_words_the_catalogue_is_newest_first(catalogue):
    newest_first = ["Site vitrine WordPress", "Appel conseil comptabilite", "Tenue de comptabilité", "Création de logo"]
    assert found() == newest_first
    assert found(q="   ") == found()


@pytest.mark.parametrize("params", [{"kind": "course"}, {"category": "astrology"}, {"max_price_cents": -1}])
def test_am04_bad_filters_are_422(catalogue, params):
    response = testing.api_as(None).get("/offers", **params)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


SUBJECTS = {
    "logo": "Symbole mémorable, déclinaisons couleur et noir, fichiers vectoriels fournis.",
    "affiche": "Format A2 pour salons, concerts ou expositions, prête pour l'imprimeur.",
    "flyer": "Recto verso, distribution en boîte aux lettres, papier glacé conseillé.",
    "carte de visite": "Coordonnées lisibles, dos personnalisé, commande chez votre imprimerie.",
    "bannière": "Entête pour LinkedIn, YouTube ou Twitter aux dimensions exactes de chaque réseau.",
}


def test_am04_paging_through_ranked_results_gives_every_match_once(db):
    experts = [testing.make_verified_expert(f"expert{n}@example.fr") for n in range(3)]
    matching = set()
    for n, expert in enumerate(experts):
        for m, (subject, details) in enumerate(SUBJECTS.items()):
            if (n + m) % 4 == 3:
                offer(expert, f"Traduction {subject} {n}", f"Rien à voir avec le graphisme. {details}")
                continue
            # Titles, keywords or descriptions, to spread the ranks.
            where = (n + m) % 3
            title = f"Dessin {subject} {n}" if where == 0 else f"Création {subject} {n}"
            made = offer(
                expert,
                title,
                f"{'Un dessin soigné. ' if where == 2 else ''}{details}",
                keywords=["dessin"] if where == 1 else [],
            )
            matching.add(str(made.pk))
    anon = testing.api_as(None)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": "dessins", "limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = anon.get("/offers", **params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert len(seen) == len(set(seen)) == len(matching)
    assert set(seen) == matching
    assert pages == -(-len(matching) // 4)
    # The first page is the same as the first items of a single large page.
    everything = [item["id"] for item in anon.get("/offers", q="dessins", limit=100).json()["items"]]
    assert everything == seen


def test_am04_a_bad_cursor_is_422(catalogue):
    response = testing.api_as(None).get("/offers", q="logo", cursor="!!!")
    assert response.status_code == 422


def test_am04_anyone_searches_without_a_token(catalogue):
    response = testing.api_as(None).client.get("/api/v1/offers", {"q": "logo"})
    assert response.status_code == 200
    assert [item["title"] for item in response.json()["items"]] == ["Création de logo"]
    detail = testing.api_as(None).client.get(f"/api/v1/offers/{catalogue['logo'].pk}")
    assert detail.status_code == 200


@pytest.mark.parametrize(
    "q",
    [
        "' OR 1=1 --",
        '"',
        '""',
        "*",
        "NEAR(",
        "NEAR(logo site, 2)",
        "logo OR site",
        "logo AND",
        "NOT logo",
        "title:logo",
        "{title}: logo",
        "^logo",
        "-logo",
        "logo)",
        "(",
        "\\",
        "%",
        "_",
        "'; DROP TABLE gigs_offer; --",
        "a\x00b",
        "logo & site | !",
        "logo:*",
        "<->",
    ],
)
def test_am04_sql_or_search_syntax_in_q_is_a_200_never_a_500(catalogue, q):
    response = testing.api_as(None).get("/offers", q=q)
    assert response.status_code == 200, response.content
    titles = [item["title"] for item in response.json()["items"]]
    # Never the whole catalogue through an injected condition.
    assert len(titles) <= 1, titles
    assert Offer.objects.count() == 4


@pytest.mark.parametrize("q", ["logo*", "logo:*", "«logo»", "logo!", "(logo)", "^logo", "-logo", '"logo"'])
def test_am04_punctuation_around_a_word_still_finds_it(catalogue, q):
    assert found(q=q) == ["Création de logo"]


def test_am04_a_query_too_long_is_422(catalogue):
    assert testing.api_as(None).get("/offers", q="logo " * 50).status_code == 422


def test_am04_a_withdrawn_offer_is_not_found_by_search(expert, catalogue):
    testing.api_as(expert).post(f"/offers/{catalogue['logo'].pk}/withdraw")
    assert found(q="logo") == []
    assert "Création de logo" not in found()


def test_am04_filters_apply_before_the_ranking_is_cut(expert, other_expert, third_expert, monkeypatch):
    # given three offers about logos, the one in "writing" ranked last
    from microwork.gigs.selectors import offers

    offer(expert, "Logo pour boulangerie", "Un logo gourmand pour votre boutique de quartier.")
    offer(other_expert, "Logo de restaurant", "Un logo élégant pour votre carte et votre devanture.")
    offer(
        third_expert,
        "Slogan et textes de marque",
        "Des mots qui accompagnent votre logo, pour vos affiches et votre site.",
        category="writing",
    )
    # when a ranked search keeps only the two best matches
    monkeypatch.setattr(offers, "SEARCH_LIMIT", 2)
    # then a filter still finds the match ranked below the cut
    assert found(q="logo", category="writing") == ["Slogan et textes de marque"]
    assert len(found(q="logo")) == 2
