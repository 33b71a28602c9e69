"""Who is asking: the marketplace's bearer JWT (`sub` = account id, `reseller` claim).

A platform that binds its accounts to Microsoft tenants itself may add an `ms_tenant_id` claim
(the customer tenant's id): the account then orders into that tenant only, and no Microsoft
sign-in is asked for it.

Production verifies the platform's tokens with keys from its JWKS URL and one pinned asymmetric
algorithm; dev mode (`NCEFLOW_ENV=dev`) signs and verifies HS256 tokens with a local key
(`mint_dev_token`). A token signed with any other algorithm (including `none`) is refused, and
HS256 is never accepted outside dev mode or once a JWKS URL is set, so the dev key cannot open
production.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jwt

from nceflow.checkout.settings import Settings

DEV_ALGORITHM = "HS256"
# Ids end up in Redis keys, Kafka events and logs: keep them to safe, bounded characters.
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$")
# Entra tenant ids are GUIDs.
_TENANT_ID_PATTERN = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
# A verified token is remembered at most this long (and never past its `exp`, nor past the JWK
# set's cache lifetime), so a key removed from the JWKS stops opening the API within that bound.
_REMEMBER_SECONDS = 60.0
_REMEMBERED_TOKENS = 4096


class AuthenticationError(Exception):
    """The request carries no valid bearer token."""


@dataclass(frozen=True)
class Customer:
    """The authenticated marketplace account and the reseller that sells to it."""

    account_id: str
    reseller_id: str
    tenant_id: str | None = None
    """The Microsoft tenant the platform binds this account to (`ms_tenant_id`), if it says."""


class TokenVerifier:
    """Verifies bearer tokens as the settings say (JWKS in production, local key in dev)."""

    def __init__(self, settings: Settings) -> None:
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._leeway = settings.jwt_leeway_seconds
        self._jwks: jwt.PyJWKClient | None = None
        self._key: str | None = None
        self._remember_seconds = min(_REMEMBER_SECONDS, settings.jwt_jwks_cache_seconds)
        if settings.jwt_jwks_url:
            # Keys are looked up in the cached JWK set on every verification, never cached on
            # their own: `cache_keys=True` would keep a key by its `kid` for the life of the
            # process, so the tokens of a key the platform revoked would stay valid.
            self._jwks = jwt.PyJWKClient(
                settings.jwt_jwks_url,
                cache_keys=False,
                cache_jwk_set=True,
                lifespan=settings.jwt_jwks_cache_seconds,
                timeout=5,
            )
            self._algorithm = settings.jwt_algorithm
        elif settings.dev and settings.jwt_dev_secret is not None:
            self._key = settings.jwt_dev_secret.get_secret_value()
            self._algorithm = DEV_ALGORITHM
        else:
            raise ValueError("set NCEFLOW_CHECKOUT_JWT_JWKS_URL (dev tokens need NCEFLOW_ENV=dev)")
        # Every request of a customer carries the same token, and verifying it (base64, JSON,
        # key preparation, HMAC or RSA) is a large share of a request's CPU. Signature, `alg`,
        # `iss` and `aud` depend only on the token's bytes and our fixed settings, so a token
        # verified once is remembered by its exact text until its `exp` (at most
        # `_REMEMBER_SECONDS`); an expired one is verified again, and refused.
        self._verified: OrderedDict[str, tuple[Customer, float]] = OrderedDict()

    async def verify(self, token: str) -> Customer:
        """The customer a token names; raises `AuthenticationError` for anything not valid."""
        now = time.time()
        remembered = self._verified.get(token)
        if remembered is not None:
            customer, valid_until = remembered
            if now < valid_until:
                self._verified.move_to_end(token)
                return customer
            del self._verified[token]
        customer, expires_at = await self._decode(token)
        self._verified[token] = (customer, min(expires_at, now + self._remember_seconds))
        if len(self._verified) > _REMEMBERED_TOKENS:
            self._verified.popitem(last=False)
        return customer

    async def _decode(self, token: str) -> tuple[Customer, float]:
        """Fully verify `token`: the customer it names and its `exp` (seconds since the epoch)."""
        try:
            key: Any
            if self._jwks is not None:
                # PyJWKClient fetches with blocking urllib (then caches): keep it off the loop.
                signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
                key = signing_key.key
            else:
                key = self._key
            claims = jwt.decode(
                token,
                key,
                algorithms=[self._algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise AuthenticationError(str(exc)) from exc
        account, reseller = claims.get("sub"), claims.get("reseller")
        if not isinstance(account, str) or not ID_PATTERN.match(account):
            raise AuthenticationError("the token's sub is not a valid account id")
        if not isinstance(reseller, str) or not ID_PATTERN.match(reseller):
            raise AuthenticationError("the token has no valid reseller claim")
        tenant = claims.get("ms_tenant_id")
        if tenant is not None and (
            not isinstance(tenant, str) or not _TENANT_ID_PATTERN.match(tenant)
        ):
            raise AuthenticationError("the token's ms_tenant_id is not a tenant id (a GUID)")
        customer = Customer(
            account_id=account,
            reseller_id=reseller,
            tenant_id=tenant.lower() if isinstance(tenant, str) else None,
        )
        # PyJWT checked `exp` is a number (it is required); the leeway is not extended here.
        return customer, float(claims["exp"])


def mint_dev_token(
    account: str, reseller: str, settings: Settings, *, tenant_id: str | None = None
) -> str:
    """A dev token for `account` bought through `reseller`, signed with the local dev key
    (with `ms_tenant_id` when `tenant_id` is given)."""
    if not settings.dev or settings.jwt_dev_secret is None:
        raise ValueError("dev tokens are signed in dev mode only (NCEFLOW_ENV=dev)")
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": account,
        "reseller": reseller,
        "iat": now,
        "nbf": now,
        "exp": now + settings.dev_token_lifetime,
        "jti": uuid.uuid4().hex,
    }
    if tenant_id is not None:
        claims["ms_tenant_id"] = tenant_id
    return jwt.encode(claims, settings.jwt_dev_secret.get_secret_value(), algorithm=DEV_ALGORITHM)
