from microwork.core.errors import NotFound

MAX_ID = 2**63 - 1


def parse_id(raw: object) -> int | None:
    """An id from a URL, a query or a body, or None when it is not one."""
    text = str(raw)
    # str.isdigit() also holds for superscript and other Unicode digits, which int() refuses or reads as another number.
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_ID:
        return None
    return int(text)


def object_id(raw: object) -> int:
    """An id from a URL or a body; anything that is not one is simply not found."""
    value = parse_id(raw)
    if value is None:
        raise NotFound()
    return value
