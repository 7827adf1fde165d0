"""Kept for the missions app until it imports `microwork.core.pagination`."""

from microwork.core.pagination import PageParams, keyset_page, keyset_page_ascending

__all__ = ["PageParams", "keyset_page", "keyset_page_ascending"]
