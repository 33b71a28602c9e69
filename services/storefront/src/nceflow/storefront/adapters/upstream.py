"""Calling catalog and checkout over HTTP: one request, its answer classified once."""

from __future__ import annotations

from typing import Any

import httpx

from nceflow.storefront.api.errors import FieldError, UpstreamProblem, UpstreamUnavailable


async def send(
    client: httpx.AsyncClient,
    service: str,
    method: str,
    url: str,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one request; a 2xx is returned, a 4xx raises `UpstreamProblem`, anything else
    (no answer, 5xx) raises `UpstreamUnavailable`.
    """
    try:
        response = await client.request(method, url, json=json, params=params, headers=headers)
    except httpx.HTTPError as exc:
        raise UpstreamUnavailable(service, f"{type(exc).__name__}: {exc}") from exc
    if response.is_success:
        return response
    if 400 <= response.status_code < 500:
        raise problem_of(response)
    raise UpstreamUnavailable(service, f"HTTP {response.status_code} from {method} {url}")


def problem_of(response: httpx.Response) -> UpstreamProblem:
    """The problem+json body of a 4xx answer (tolerating a body that is not one)."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    errors = [
        FieldError(
            field=str(item.get("field", "")),
            reason=str(item.get("reason", "")),
            code=str(item.get("code") or "invalid"),
        )
        for item in body.get("errors") or []
        if isinstance(item, dict)
    ]
    return UpstreamProblem(
        status=response.status_code,
        title=str(body.get("title") or response.reason_phrase or "Request refused"),
        detail=str(body.get("detail") or ""),
        errors=errors,
        body=body,
    )
