"""Cursor pagination of lists: GET /me/ledger and /me/topups (API.md, Conventions)."""

import base64
from collections.abc import Iterator
from typing import Any

import pytest

from microwork.accounts.models import User
from microwork.api.tests.helpers import assert_problem, error_fields
from microwork.ledger.payments import topup_create
from microwork.testing import api_as, make_company, module_rows

pytestmark = pytest.mark.django_db

COUNT = 23


def company_with_topups() -> User:
    """A company with COUNT top-ups of 1, 2, ... COUNT euros, oldest first."""
    company = make_company("pages@example.fr")
    for euros in range(1, COUNT + 1):
        topup_create(user=company, amount_cents=euros * 100)
    return company


@pytest.fixture(scope="module")
def company(django_db_setup: None, django_db_blocker: Any) -> Iterator[User]:
    """Built once for the module's tests, which only read it."""
    yield from module_rows(django_db_blocker, company_with_topups)


def walk(api, path: str, limit: int) -> tuple[list[dict], int]:
    items: list[dict] = []
    pages = 0
    cursor = None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = api.get(path, **params)
        assert response.status_code == 200, response.content
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        assert len(page["items"]) <= limit
        items += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages
        assert pages <= COUNT + 1, "the cursor never ends"


@pytest.mark.parametrize("path", ["/me/ledger", "/me/topups"])
@pytest.mark.parametrize("limit", [1, 5, 7, 23, 100])
def test_cursor_walks_every_item_once_newest_first(company, path, limit):
    # given a company with 23 top-ups
    api = api_as(company)
    # when it walks the list page by page
    items, pages = walk(api, path, limit)
    # then it sees each item once, newest first, in the expected number of pages
    assert len(items) == COUNT
    assert len({item["id"] for item in items}) == COUNT
    assert [item["amount_cents"] for item in items] == [euros * 100 for euros in range(COUNT, 0, -1)]
    ids = [int(item["id"]) for item in items]
    assert ids == sorted(ids, reverse=True)
    assert pages == -(-COUNT // limit)


def test_default_page_is_20_items(company):
    page = api_as(company).get("/me/topups").json()
    assert len(page["items"]) == 20
    assert page["next_cursor"]


def test_ledger_lines_carry_their_entry(company):
    line = api_as(company).get("/me/ledger", limit=1).json()["items"][0]
    assert line["kind"] == "topup"
    # money put in lands in the company's funds (SPEC PL01)
    assert line["account"] == "funds"
    assert line["amount_cents"] == COUNT * 100
    assert line["entry_id"] and line["created_at"]


def test_empty_list_has_no_cursor(alice):
    assert api_as(alice).get("/me/ledger").json() == {"items": [], "next_cursor": None}
    assert api_as(alice).get("/me/topups").json() == {"items": [], "next_cursor": None}


def test_lists_show_only_the_users_own_items(company, acme):
    acme_ids = {item["id"] for item in api_as(acme).get("/me/topups", limit=100).json()["items"]}
    company_ids = {item["id"] for item in api_as(company).get("/me/topups", limit=100).json()["items"]}
    assert len(acme_ids) == 1 and len(company_ids) == COUNT
    assert not acme_ids & company_ids


@pytest.mark.parametrize("path", ["/me/ledger", "/me/topups"])
@pytest.mark.parametrize("limit", [0, -1, 101, 10**30, "ten", ""])
def test_limit_out_of_range_is_422(company, path, limit):
    problem = assert_problem(api_as(company).get(path, limit=limit), 422, "invalid")
    assert "limit" in error_fields(problem)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/me/ledger", "/me/topups"])
@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "%%%",
        "é",
        "!!!!",
        _b64("abc"),
        _b64("0"),
        _b64("-5"),
        _b64("9" * 30),  # larger than any 64-bit key
        _b64(str(2**63)),
        "\x00",
    ],
)
def test_garbage_cursor_is_422(company, path, cursor):
    problem = assert_problem(api_as(company).get(path, cursor=cursor), 422, "invalid")
    assert "cursor" in error_fields(problem)


def test_the_largest_key_cursor_is_accepted(company):
    page = api_as(company).get("/me/topups", cursor=_b64(str(2**63 - 1)), limit=100).json()
    assert len(page["items"]) == COUNT
