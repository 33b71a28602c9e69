"""Development sign-in, served by checkout in dev mode only (`NCEFLOW_ENV=dev`).

In production the marketplace platform signs its customers in and issues their tokens. In dev
there is no platform: these routes list the reseller directory and sign dev tokens with the dev
key, so the storefront (or curl) can sign in as any account without knowing checkout's key or
reading its directory. They are not mounted outside dev mode, and not in the OpenAPI document.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from nceflow.checkout.auth import ID_PATTERN, mint_dev_token
from nceflow.checkout.domain.errors import FieldProblem
from nceflow.checkout.resellers import RESELLER_ID_PATTERN, ResellerDirectory
from nceflow.checkout.settings import Settings
from nceflow.runtime.problems import RequestProblemError


class DevReseller(BaseModel):
    """A reseller of the directory, as a sign-in page offers it."""

    id: str
    name: str
    sales_model: str


class DevTokenRequest(BaseModel):
    """Whom to sign in: a marketplace account buying through one of the directory's resellers."""

    model_config = ConfigDict(extra="forbid")

    account_id: Annotated[str, Field(pattern=ID_PATTERN.pattern)]
    reseller_id: Annotated[str, Field(pattern=RESELLER_ID_PATTERN)]


class DevToken(BaseModel):
    """A bearer token checkout accepts for the account (OAuth 2.0 token response fields)."""

    access_token: str
    token_type: str = "Bearer"  # noqa: S105 (the OAuth 2.0 token type, not a secret)
    expires_in: int
    reseller_name: str


def dev_router(settings: Settings, directory: ResellerDirectory) -> APIRouter:
    """`GET /v1/dev/resellers` and `POST /v1/dev/tokens`."""
    router = APIRouter(prefix="/v1/dev", tags=["dev"], include_in_schema=False)

    @router.get("/resellers")
    async def resellers() -> list[DevReseller]:
        """Every reseller of the directory, in its order."""
        return [
            DevReseller(id=r.id, name=r.name, sales_model=r.sales_model.value)
            for r in directory.resellers
        ]

    @router.post("/tokens", status_code=status.HTTP_201_CREATED)
    async def token(request: DevTokenRequest) -> DevToken:
        """A dev token for the account, signed with the dev key."""
        reseller = directory.get(request.reseller_id)
        if reseller is None:
            raise RequestProblemError(
                422,
                "invalid-request",
                "The directory lists no such reseller.",
                [FieldProblem("reseller_id", "not a reseller of the directory", "unknown")],
            )
        return DevToken(
            access_token=mint_dev_token(request.account_id, reseller.id, settings),
            expires_in=int(settings.dev_token_lifetime.total_seconds()),
            reseller_name=reseller.name,
        )

    return router
