"""The one network call of webhooks: a POST with a timeout, redirects not
followed, the answer's body not read. Called by the worker only, outside any
transaction."""

import requests
from django.conf import settings

USER_AGENT = "Microwork-Webhooks/1"


def post(url: str, *, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """(status code, "") once answered, or (None, what went wrong)."""
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    try:
        with requests.post(
            url,
            data=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
            timeout=(min(timeout, 5), timeout),
            allow_redirects=False,
            stream=True,
        ) as response:
            return response.status_code, ""
    except requests.Timeout:
        return None, "timeout"
    except requests.RequestException as exc:
        return None, type(exc).__name__
