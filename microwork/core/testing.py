"""The test builders live in `microwork.testing`; this name stays only while
the ledger's property tests still import it from here."""

from microwork.testing import make_company, make_user

__all__ = ["make_company", "make_user"]
