from typing import get_args

from microwork.missions.models import Category, ClaimState
from microwork.missions.schemas import CategorySlug, ClaimStateName


def test_hm17_api_category_slugs_match_the_model():
    assert set(get_args(CategorySlug)) == set(Category.values)
    assert len(Category.values) >= 12


def test_api_claim_states_match_the_model():
    assert set(get_args(ClaimStateName)) == set(ClaimState.values)
