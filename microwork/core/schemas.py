"""Input types shared by the apps' API schemas."""

from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, model_validator

NUL_MESSAGE = "Text may not contain NUL characters."


def has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_nul(v) for v in value)
    return False


def _refuse_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(NUL_MESSAGE)
    return value


# Text that may be stored or looked up: PostgreSQL refuses NUL characters, so
# they are refused here with a 422 naming the field, not a 500 from the database.
Text = Annotated[str, AfterValidator(_refuse_nul)]


def one_of(choices: Any) -> Any:
    """A schema type taking exactly the values of a model's `TextChoices`, or
    of some of its members (a tuple of them): the enum stays the one list of
    them, in its order."""
    values = choices.values if hasattr(choices, "values") else [choice.value for choice in choices]
    return Literal[tuple(values)]


class TextIn(Schema):
    """A body whose text, nested in lists and objects too, may be stored: NUL characters are refused."""

    @model_validator(mode="after")
    def _refuse_nul(self) -> "TextIn":
        if has_nul(self.model_dump()):
            raise ValueError(NUL_MESSAGE)
        return self
