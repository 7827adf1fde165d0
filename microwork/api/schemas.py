"""Kept for the missions app until it imports `microwork.core.schemas`."""

from microwork.core.schemas import Text, TextIn

__all__ = ["Text", "TextIn"]
