import pytest

from microwork.core.errors import NotFound
from microwork.core.ids import MAX_ID, object_id, parse_id


@pytest.mark.parametrize("raw", ["1", "42", str(MAX_ID)])
def test_an_id_of_ascii_digits_is_read(raw):
    assert object_id(raw) == int(raw)


@pytest.mark.parametrize(
    "raw",
    ["", "-1", "1.0", " 1", "abc", "\u00b2", "1\u00b2", "\u0661\u0662", "\uff11\uff12", "9" * 25, str(MAX_ID + 1)],
)
def test_anything_else_is_not_found(raw):
    with pytest.raises(NotFound):
        object_id(raw)


@pytest.mark.parametrize("raw", ["", "\u00b2", "\u0661\u0662", "9" * 25, str(MAX_ID + 1)])
def test_parse_id_gives_none_for_anything_else(raw):
    assert parse_id(raw) is None
