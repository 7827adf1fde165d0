# ruff: noqa: RUF001
"""Clean French: one word per thing, agreement, typography, plurals, and the
admin's model names translated (issue: pages people enjoy on a phone)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.utils import translation
from django.utils.functional import Promise

from microwork.ledger.models import TopupState
from microwork.missions.models import ClaimState, MissionState
from microwork.missions.services import BatchInvalid

PO = Path(settings.BASE_DIR) / "microwork" / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _msgstrs() -> list[str]:
    """Every French text of the catalogue, its quoted lines joined."""
    texts = []
    for block in PO.read_text(encoding="utf-8").split("\n\n")[1:]:
        for match in re.finditer(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', block + "\n", re.M):
            lines = re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))
            texts.append("".join(line.encode().decode("unicode_escape").encode("latin-1").decode() for line in lines))
    return [text for text in texts if text]


def test_french_puts_a_narrow_no_break_space_before_high_punctuation_and_inside_quotes():
    texts = _msgstrs()
    assert len(texts) > 1000
    # SMS texts keep plain spaces: they stay in the phone's basic alphabet
    shown = [text for text in texts if not text.startswith("Votre code Microwork")]
    wrong = [text for text in shown if re.search(r"(?<!\u202f)[;:!?](\s|$)", text)]
    assert not wrong, wrong[:5]
    assert not [text for text in shown if re.search(r"«(?!\u202f)|(?<!\u202f)»", text)]
    assert not [text for text in shown if "<" not in text and re.search(r"[a-zé]'[a-zé]", text)]


def test_one_name_for_the_wallet():
    texts = " ".join(_msgstrs()).lower()
    assert "portefeuille" not in texts and "mon argent" not in texts
    with translation.override("fr"):
        assert translation.gettext("Wallet") == "Porte-monnaie"
        assert translation.gettext("My wallet") == "Mon porte-monnaie"


def test_participation_badges_agree_with_the_feminine_and_the_actions():
    with translation.override("fr"):
        # a participation is validated or refused, as its buttons say (valider, refuser)
        assert str(ClaimState.APPROVED.label) == "Validée"
        assert str(ClaimState.REJECTED.label) == "Refusée"
        assert str(ClaimState.RELEASED.label) == "Abandonnée"
        assert str(ClaimState.DISPUTED.label) == "Contestée"
        assert str(MissionState.EXPIRED.label) == "Expirée"
        assert str(TopupState.SUCCEEDED.label) == "Réussie"
    with translation.override("en"):
        assert str(ClaimState.APPROVED.label) == "Approved"


@pytest.mark.parametrize(("count", "text"), [(1, "1 ligne n’est pas valide"), (3, "3 lignes ne sont pas valides")])
def test_counts_take_the_plural_they_need(count, text):
    with translation.override("fr"):
        assert BatchInvalid([{"field": "row", "message": "x"}] * count).detail.startswith(text)


def test_admin_model_names_are_translated():
    ours = [model for model in admin.site._registry if model.__module__.startswith("microwork.")]
    assert len(ours) >= 20
    for model in ours:
        assert isinstance(model._meta.original_attrs.get("verbose_name"), Promise), model
        assert isinstance(model._meta.original_attrs.get("verbose_name_plural"), Promise), model
    from microwork.billing.models import Invoice

    with translation.override("fr"):
        assert str(Invoice._meta.verbose_name_plural) == "factures"
