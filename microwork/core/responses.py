"""A lighter answer for the busiest reads of the API.

django-ninja validates a handler's result against its response schema with
pydantic, then encodes it with `NinjaJSONEncoder`. For a page of twenty
missions the validation costs as much as the database. A handler whose
result is already shaped by a tested `*_out` function may answer with
`schema_json`: the same encoder, the same bytes, without validating again
(the schema stays in the OpenAPI document; tests compare both paths).
"""

import json
from typing import Any

from django.http import HttpResponse
from ninja.responses import NinjaJSONEncoder


def schema_json(data: Any, *, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder), status=status, content_type="application/json; charset=utf-8"
    )
