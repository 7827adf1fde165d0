"""Kept for the missions app until it imports `microwork.accounts.roles`."""

from microwork.accounts.roles import page_user

__all__ = ["page_user"]
