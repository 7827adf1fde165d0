"""The OpenAPI document declares every error an operation answers, as
problem+json (PL06), and names each schema once."""

import pytest
from ninja.openapi import schema as ninja_schema

from microwork.api.api import api

pytestmark = pytest.mark.django_db

PROBLEM = {"$ref": "#/components/schemas/Problem"}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(anon):
    response = anon.client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method in METHODS:
                yield path, method, operation


def test_pl06_the_problem_schema_is_a_component(document):
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "code", "errors"}
    field_error = document["components"]["schemas"]["ProblemFieldError"]
    assert set(field_error["required"]) == {"field", "message"}


def test_pl06_every_error_status_is_problem_json(document):
    seen = 0
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["content"] == {"application/problem+json": {"schema": PROBLEM}}, (path, method, status)
                seen += 1
    assert seen > 300


def test_pl06_each_operation_declares_the_errors_it_can_answer(document):
    for path, method, operation in operations(document):
        statuses = {int(status) for status in operation["responses"]}
        label = (method, path)
        if operation.get("security"):
            assert {401, 403} <= statuses, label
        if "{" in path:
            assert 404 in statuses, label
        if operation.get("requestBody") or any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert 422 in statuses, label
        if method != "get":
            assert {409, 413, 422, 429} <= statuses, label
        assert not any(status >= 500 for status in statuses), label
    paths = document["paths"]
    assert "401" in paths["/api/v1/tokens"]["post"]["responses"]  # a wrong password
    assert set(paths["/api/v1/me"]["get"]["responses"]) == {"200", "401", "403"}
    assert set(paths["/api/v1/offers"]["get"]["responses"]) == {"200", "422"}  # public, with filters


def test_pl06_each_schema_name_stands_for_one_schema(monkeypatch):
    """ninja names a component after its class: two classes of one name
    would silently share one, and the document would lie about one of them."""
    clashes = {}
    add = ninja_schema.OpenAPISchema.add_schema_definitions

    def add_checked(self, definitions):
        for name, definition in definitions.items():
            if name in self.schemas and self.schemas[name] != definition:
                clashes[name] = (
                    sorted(self.schemas[name].get("properties", {})),
                    sorted(definition.get("properties", {})),
                )
        add(self, definitions)

    monkeypatch.setattr(ninja_schema.OpenAPISchema, "add_schema_definitions", add_checked)
    document = api.build_openapi_schema("/api/v1/")
    assert "Problem" in document["components"]["schemas"]
    assert clashes == {}


def test_pl06_the_document_is_built_once_and_each_reader_gets_its_own_copy(anon, monkeypatch):
    # given the document served once
    first = anon.client.get("/api/v1/openapi.json").json()
    builds = []
    build = api.build_openapi_schema
    monkeypatch.setattr(api, "build_openapi_schema", lambda prefix: builds.append(prefix) or build(prefix))
    # when a reader changes its copy, and the document is asked for again
    api.get_openapi_schema(path_prefix="/api/v1/")["paths"].clear()
    again = anon.client.get("/api/v1/openapi.json").json()
    # then nothing was built again, and the change reached nobody else
    assert builds == []
    assert again == first and again["paths"]
    # and a document under another prefix is built for it
    assert set(api.get_openapi_schema(path_prefix="/elsewhere/")["paths"]) == {
        path.replace("/api/v1/", "/elsewhere/", 1) for path in first["paths"]
    }
    assert builds == ["/elsewhere/"]


def test_pl06_a_new_endpoint_gets_its_errors_without_a_word():
    """What another app adds is documented the same way: a throttled GET
    gets 429, a declared status gets the problem+json content."""
    from ninja import Router
    from ninja.throttling import AnonRateThrottle

    from microwork.api.openapi import ProblemNinjaAPI

    sample = ProblemNinjaAPI(urls_namespace="sample-openapi")
    router = Router()

    @router.get("/things/{thing_id}", throttle=AnonRateThrottle("5/m"), auth=None)
    def thing(request, thing_id: int) -> dict:
        return {}

    @router.get("/reports", openapi_extra={"responses": {410: {"description": "Gone for good."}}}, auth=None)
    def reports(request) -> dict:
        return {}

    sample.add_router("/", router)
    paths = sample.get_openapi_schema(path_prefix="")["paths"]
    assert set(paths["/things/{thing_id}"]["get"]["responses"]) == {"200", "404", "422", "429"}
    gone = paths["/reports"]["get"]["responses"]["410"]
    assert gone["description"] == "Gone for good."
    assert gone["content"] == {"application/problem+json": {"schema": PROBLEM}}
