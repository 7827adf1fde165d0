from microwork.core.errors import NotFound

MAX_ID = 2**63 - 1


def object_id(raw: object) -> int:
    """An id from a URL or a body; anything that is not one is simply not found."""
    text = str(raw)
    # str.isdigit() also holds for superscript and other Unicode digits, which int() refuses or reads as another number.
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_ID:
        raise NotFound()
    return int(text)
