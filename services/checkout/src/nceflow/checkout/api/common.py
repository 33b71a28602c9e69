"""What the API's routers share: path and header types, the bearer customer, the use cases as
dependencies, and the documented problem answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from nceflow.checkout.api.errors import PROBLEM_JSON
from nceflow.checkout.api.schemas import (
    Problem,
)
from nceflow.checkout.auth import AuthenticationError, Customer
from nceflow.checkout.context import context_of
from nceflow.checkout.drafts import DraftService
from nceflow.checkout.orders import OrderService

# Ids we issue are UUIDs; anything else cannot name a draft, so it is refused before Redis.
DraftId = Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$")]
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Any unique value per Buy; a retry with the same key gets the same answer",
    ),
]
IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", max_length=200, description="The draft's ETag, to refuse stale edits"),
]

_bearer = HTTPBearer(auto_error=False, description="The marketplace's JWT")

PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": text}
    for code, text in {
        401: "No valid bearer token",
        403: "Unknown reseller",
        404: "No such draft or order for this account",
        409: "Conflict with the draft's state (names the current step)",
        412: "If-Match is stale",
        413: "Body too large",
        422: "Invalid data",
        503: "A dependency is unavailable; retry after Retry-After",
    }.items()
}


# The dependencies are async on purpose: FastAPI runs a plain `def` dependency in a worker
# thread, a thread hop (and two loop wake-ups) on every request for one attribute read.


async def _drafts(request: Request) -> DraftService:
    return context_of(request.app).drafts


async def _orders(request: Request) -> OrderService:
    return context_of(request.app).orders


async def _customer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Customer:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("no bearer token")
    return await context_of(request.app).verifier.verify(credentials.credentials)


Drafts = Annotated[DraftService, Depends(_drafts)]
Orders = Annotated[OrderService, Depends(_orders)]
CurrentCustomer = Annotated[Customer, Depends(_customer)]
