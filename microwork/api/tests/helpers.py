"""Assertions shared by the API tests."""

import re
from typing import Any

from microwork.notifications import sms

PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with that status and code; returns its body."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"].endswith(f"/{code}")
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if status == 422:
        assert isinstance(body.get("errors"), list) and body["errors"], body
        for error in body["errors"]:
            assert set(error) == {"field", "message"}, error
            assert isinstance(error["field"], str) and error["field"]
            assert isinstance(error["message"], str) and error["message"]
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {error["field"] for error in body.get("errors", [])}


def last_sms_code(to: str | None = None) -> str:
    """The code in the latest SMS (to that number): the one run of 6 digits."""
    messages = [m for m in sms.outbox if to is None or m.to == to]
    assert messages, "no SMS was sent"
    return sms_code(messages[-1].body)


def sms_code(text: str) -> str:
    """The verification code in an SMS text: its one and only run of 6 digits."""
    codes = [run for run in re.findall(r"\d+", text) if len(run) == 6]
    assert len(codes) == 1, text
    return codes[0]
