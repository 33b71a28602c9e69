"""Partner Center's JSON conventions: collections, links, attributes, case-insensitive bodies.

Partner Center's (.NET) JSON reader ignores the case of property names: its own samples send
`{"CompanyProfile": {"Domain": ...}}` to one call and camelCase to the next. Request models here
therefore validate after lower-casing every key; responses are always camelCase.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import to_json

from nceflow.partner_center_sim.api.errors import bad_request

Model = TypeVar("Model", bound=BaseModel)


def _lower_alias(name: str) -> str:
    return to_camel(name).lower()


class RequestBody(BaseModel):
    """Base of request bodies: matched case-insensitively, unknown fields ignored like Microsoft."""

    model_config = ConfigDict(alias_generator=_lower_alias, populate_by_name=True, extra="ignore")


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def parse_json(raw: bytes, model: type[Model]) -> Model:
    """Validate a JSON body against `model`, raising Microsoft's 400 on any problem."""
    if not raw.strip():
        raise bad_request("The request body is required.")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}") from exc
    try:
        return model.model_validate(_lower_keys(document))
    except ValidationError as exc:
        data = [
            {"field": ".".join(str(p) for p in err["loc"]), "reason": err["msg"]}
            for err in exc.errors(include_url=False, include_input=False)
        ]
        raise bad_request("The request body is not valid.", data) from exc


async def read_body(request: Request, model: type[Model]) -> Model:
    """Read and validate the request's JSON body."""
    return parse_json(await request.body(), model)


def attributes(object_type: str, etag: str | None = None) -> dict[str, str]:
    """The `attributes` member every Partner Center resource carries."""
    result = {"objectType": object_type}
    if etag is not None:
        result["etag"] = etag
    return result


def link(
    uri: str, method: str = "GET", headers: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """A Partner Center link (`uri`, `method`, `headers`)."""
    return {"uri": uri, "method": method, "headers": headers or []}


def collection(
    items: list[dict[str, Any]],
    *,
    total_count: int | None = None,
    links: dict[str, Any] | None = None,
    continuation_token: str | None = None,
) -> dict[str, Any]:
    """A `Collection` resource (`totalCount`, `items`, `links`, `attributes`)."""
    body: dict[str, Any] = {
        "totalCount": len(items) if total_count is None else total_count,
        "items": items,
    }
    if continuation_token is not None:
        body["continuationToken"] = continuation_token
    if links:
        body["links"] = links
    body["attributes"] = attributes("Collection")
    return body


def json_response(body: Any, status_code: int = 200) -> Response:
    """A JSON answer serialised once by pydantic-core: the same compact UTF-8 JSON as
    Starlette's `JSONResponse`, for a fraction of `json.dumps`'s CPU."""
    return Response(to_json(body), status_code=status_code, media_type="application/json")
