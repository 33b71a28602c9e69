"""Conditional GETs: strong ETags, `If-None-Match` → 304, and `Cache-Control`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from nceflow.catalog.snapshot import Body


def _etag_matches(if_none_match: str, etag: str) -> bool:
    # RFC 9110 §13.1.2: If-None-Match uses weak comparison, so W/"x" matches "x".
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def cached_json(request: Request, body: Body, cache_control: str) -> Response:
    """`body` as JSON, or an empty 304 when the client already holds this version."""
    headers = {"ETag": body.etag, "Cache-Control": cache_control}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _etag_matches(if_none_match, body.etag):
        return Response(status_code=304, headers=headers)
    return Response(body.content, media_type="application/json", headers=headers)
