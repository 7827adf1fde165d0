"""Time-based transitions, applied once each time they are due.

Every rule still holds without them (a claim past its deadline is refused a
report before anything marks it lapsed); `tick` only writes down what the
clock already decided. `manage.py tick` and the worker's periodic task both
call `run_due`.
"""


def run_due() -> dict[str, int]:
    """Apply every transition due now; returns how many objects each moved."""
    from microwork.accounts import services as accounts

    return {
        "documents_expired": accounts.documents_expire(),
        "phone_codes_purged": accounts.phone_codes_purge(),
    }
