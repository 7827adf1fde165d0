"""The one money field of the page forms: euros in, cents out."""

from decimal import Decimal

import pytest
from django import forms
from django.utils import translation

from microwork.core.forms import EurosField, OnceForm


class AmountForm(forms.Form):
    amount = EurosField(label="Amount", min_value=Decimal("0.01"))


@pytest.mark.parametrize(("typed", "cents"), [("12,50", 1250), ("12.5", 1250), ("0,01", 1), ("1000000", 100_000_000)])
def test_euros_typed_on_a_french_keyboard_come_out_as_cents(typed, cents):
    with translation.override("fr"):
        form = AmountForm({"amount": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == cents


@pytest.mark.parametrize("typed", ["1e9", "1E9", "2e-2", "nan", "inf", "12,505", "0", "-5", "", "douze"])
def test_anything_but_a_plain_amount_is_refused(typed):
    form = AmountForm({"amount": typed})
    assert not form.is_valid()
    assert "amount" in form.errors


@pytest.mark.parametrize(("language", "shown"), [("fr", "50,00"), ("en", "50.00")])
def test_the_example_amount_is_written_as_the_reader_types_it(language, shown):
    form = forms.Form()
    form.fields["amount"] = EurosField(label="Amount", placeholder="50,00")
    with translation.override(language):
        assert f'placeholder="{shown}"' in str(form["amount"])


class _PlainOnceForm(OnceForm):
    amount = EurosField(label="Amount")


def test_pl01_a_once_form_carries_a_fresh_token_each_time_it_is_drawn():
    first, second = _PlainOnceForm(), _PlainOnceForm()
    assert first.initial["request_key"] != second.initial["request_key"]
    assert len(first.initial["request_key"]) == 32
    assert 'type="hidden" name="request_key"' in str(first)


def test_pl01_a_once_form_gives_the_posted_token_or_none():
    posted = _PlainOnceForm({"amount": "5", "request_key": "k1"})
    assert posted.is_valid(), posted.errors
    assert posted.once_key() == "k1"
    bare = _PlainOnceForm({"amount": "5"})
    assert bare.is_valid(), bare.errors
    assert bare.once_key() == ""
    assert not _PlainOnceForm({"amount": "5", "request_key": "k" * 65}).is_valid()
