"""Conditional GETs: strong ETags, `If-None-Match` → 304, and `Cache-Control`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from nceflow.catalog.domain.snapshot import Body

_JSON = b"application/json"


class PreparedResponse(Response):
    """A response whose header bytes are assembled directly from the ready `Body`.

    Starlette's generic header handling is measurable on the hot plan-list route (see
    `bench/catalog.py`); these headers are always the same four.
    """

    def __init__(self, status_code: int, content: bytes, headers: list[tuple[bytes, bytes]]):
        self.status_code = status_code
        self.body = content
        self.background = None
        self.raw_headers = headers


def _etag_matches(if_none_match: bytes, etag: bytes) -> bool:
    # RFC 9110 §13.1.2: If-None-Match uses weak comparison, so W/"x" matches "x".
    if if_none_match.strip() == b"*":
        return True
    return any(tag.strip().removeprefix(b"W/") == etag for tag in if_none_match.split(b","))


def cached_json(request: Request, body: Body, cache_control: bytes) -> Response:
    """`body` as JSON, or an empty 304 when the client already holds this version."""
    etag = body.etag.encode()
    for name, value in request.scope["headers"]:
        if name == b"if-none-match" and _etag_matches(value, etag):
            return PreparedResponse(304, b"", [(b"etag", etag), (b"cache-control", cache_control)])
    return PreparedResponse(
        200,
        body.content,
        [
            (b"content-length", str(len(body.content)).encode()),
            (b"content-type", _JSON),
            (b"etag", etag),
            (b"cache-control", cache_control),
        ],
    )
