"""The OpenAPI document and the interactive docs (API.md)."""

import pytest

pytestmark = pytest.mark.django_db

ACCOUNTS_PATHS = {
    "/api/v1/tokens": {"post"},
    "/api/v1/tokens/current": {"delete"},
    "/api/v1/accounts": {"post"},
    "/api/v1/me": {"get"},
    "/api/v1/me/phone/code": {"post"},
    "/api/v1/me/phone/verify": {"post"},
    "/api/v1/me/wallet": {"get"},
    "/api/v1/me/ledger": {"get"},
    "/api/v1/me/topups": {"get", "post"},
    "/api/v1/me/documents": {"get", "post"},
    "/api/v1/me/documents/{document_id}": {"get"},
    "/api/v1/me/closure": {"post"},
    "/api/v1/me/export": {"get"},
    "/api/v1/staff/documents/{document_id}/approve": {"post"},
    "/api/v1/staff/documents/{document_id}/refuse": {"post"},
}


def test_openapi_lists_every_accounts_path(anon):
    # when anyone fetches the OpenAPI document
    response = anon.client.get("/api/v1/openapi.json")
    # then it is OpenAPI 3 and lists each Accounts and Staff path with its methods
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path, methods in ACCOUNTS_PATHS.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    # and the catch-all for unknown paths is not advertised
    assert not any("unknown" in path for path in paths)


def test_openapi_declares_bearer_auth_and_public_signup(anon):
    document = anon.client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert any(scheme.get("scheme") == "bearer" for scheme in schemes.values())
    assert not document["paths"]["/api/v1/accounts"]["post"].get("security")
    assert document["paths"]["/api/v1/me"]["get"].get("security")


def test_interactive_docs_answer(anon):
    response = anon.client.get("/api/v1/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
