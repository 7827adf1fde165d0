"""The OpenAPI document lists every error an operation can answer (PL06).

Every error of the API is problem+json (RFC 9457) with one shape, the
`Problem` component. The statuses are derived in one place from what an
operation is, so an operation added anywhere gets its own:

* signed in (a bearer token): 401 without a valid token, 403 when the account
  may not do this (its role, the object's owner, a suspension); signing in
  for a token: 401 on wrong credentials;
* a path parameter or a body (which names other objects): 404;
* a body, query parameters, a path parameter that is not a string (an int
  that is not one), or any POST (Idempotency-Key is checked): 422;
* a state change (POST, PUT, PATCH, DELETE): 409 (the object's state, a
  request with the same Idempotency-Key still running), 413 (a body over the
  size cap) and 429 (rate limits);
* a multipart upload: 413 as well;
* under a ninja throttle (`throttle=`), whatever its method: 429.

What an operation declares itself stays as it is (`response={...}`, or
`openapi_extra={"responses": {429: {"description": "..."}}}` for a limit kept
by hand on a GET); the problem+json content is added to an error status it
declares without it.
"""

import copy
from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMAS: dict[str, Any] = {
    "ProblemFieldError": {
        "title": "ProblemFieldError",
        "type": "object",
        "properties": {
            "field": {"type": "string", "description": "The input field, dotted for nested ones; `body` for all."},
            "message": {"type": "string"},
        },
        "required": ["field", "message"],
    },
    "Problem": {
        "title": "Problem",
        "description": "An error, as RFC 9457 problem details; `code` is the stable machine-readable reason.",
        "type": "object",
        "properties": {
            "type": {"type": "string", "description": "https://microwork.fr/problems/<code>"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "code": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemFieldError"}},
        },
        "required": ["type", "title", "status", "detail", "code"],
        "additionalProperties": True,
    },
}

DESCRIPTIONS = {
    401: "Authentication is required: no bearer token, or one that is unknown, revoked or expired.",
    403: "Signed in, but this account may not do this.",
    404: "Not found, or not visible to this account.",
    409: "Refused because of the current state of things.",
    413: "The request body is too large.",
    422: "The input is not valid; `errors` names each field.",
    429: "Too many requests; try again later.",
}
STATE_CHANGES = {"post", "put", "patch", "delete"}
# Where credentials are checked without a bearer token (signing in for one).
CREDENTIALS_PATHS = ("/api/v1/tokens",)


def error_statuses(path: str, method: str, operation: dict[str, Any], *, throttled: bool = False) -> set[int]:
    """The error statuses an operation can answer, from what it is."""
    statuses: set[int] = {429} if throttled else set()
    params = {param.get("in") for param in operation.get("parameters", [])}
    content = operation.get("requestBody", {}).get("content", {})
    if operation.get("security"):
        statuses |= {401, 403}
    if path.startswith(CREDENTIALS_PATHS):
        statuses.add(401)  # a wrong email or password
    if "path" in params or content:
        statuses.add(404)
    typed_path = any(
        param.get("in") == "path" and param.get("schema", {}).get("type", "string") != "string"
        for param in operation.get("parameters", [])
    )
    if content or "query" in params or typed_path or method == "post":
        statuses.add(422)
    if method in STATE_CHANGES:
        statuses |= {409, 413, 422, 429}
    if "multipart/form-data" in content:
        statuses.add(413)
    return statuses


def document_errors(schema: dict[str, Any], *, throttled: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Add the error statuses to every operation of `schema`; `throttled` names
    (by operationId) the operations under a ninja throttle, which answer 429
    whatever their method."""
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {}).update(PROBLEM_SCHEMAS)
    problem = {PROBLEM_CONTENT_TYPE: {"schema": PROBLEM_REF}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            # ninja keys the responses by int, a JSON document by str: one kind here.
            responses = {str(status): response for status, response in operation.get("responses", {}).items()}
            for error in error_statuses(path, method, operation, throttled=operation.get("operationId") in throttled):
                responses.setdefault(str(error), {"description": DESCRIPTIONS[error]})
            for key, response in responses.items():
                if key.isdigit() and int(key) >= 400:
                    response.setdefault("content", {}).setdefault(PROBLEM_CONTENT_TYPE, problem[PROBLEM_CONTENT_TYPE])
            operation["responses"] = dict(sorted(responses.items()))
    return schema


class ProblemNinjaAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document declares each operation's errors.

    The document is built once for each path prefix it is served under: the
    operations are all known once the URLconf is loaded, and building it takes
    about a third of a second, which `/openapi.json` and every opening of the
    docs page would otherwise pay. Each caller gets its own copy."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._documents: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        if path_prefix not in self._documents:
            self._documents[path_prefix] = self.build_openapi_schema(path_prefix)
        return copy.deepcopy(self._documents[path_prefix])

    def build_openapi_schema(self, path_prefix: str) -> OpenAPISchema:
        """The document as the operations make it now, errors declared."""
        schema = super().get_openapi_schema(path_prefix=path_prefix)
        document_errors(schema, throttled=self._throttled_operation_ids())
        return schema

    def _throttled_operation_ids(self) -> frozenset[str]:
        return frozenset(
            operation.operation_id or self.get_openapi_operation_id(operation)
            for router in self._get_bound_routers()
            for path_view in router.path_operations.values()
            for operation in path_view.operations
            if operation.throttle_objects
        )
