"""A Microsoft sign-in in progress: what checkout must remember between sending the customer to
Microsoft and redeeming the code Microsoft sends back.

`state` ties the answer to this draft and account (and stops a forged callback), `nonce` ties
the ID token to this sign-in (and stops a replayed token), `code_verifier` is PKCE's secret (a
stolen code is useless without it). All three are fresh random values per sign-in.
"""

from __future__ import annotations

import secrets
from typing import Self

from pydantic import BaseModel, ConfigDict


class SignInRefused(Exception):
    """Microsoft refused the sign-in's code, or its ID token did not verify."""


class PendingSignIn(BaseModel):
    """One sign-in started for a draft; used once, within its lifetime."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    draft_id: str
    account_id: str
    tenant_id: str
    """The tenant the draft names: the user must belong to it."""
    primary_domain: str
    redirect_uri: str
    state: str
    nonce: str
    code_verifier: str

    @classmethod
    def start(
        cls,
        *,
        draft_id: str,
        account_id: str,
        tenant_id: str,
        primary_domain: str,
        redirect_uri: str,
    ) -> Self:
        """A new sign-in with fresh secrets."""
        return cls(
            draft_id=draft_id,
            account_id=account_id,
            tenant_id=tenant_id,
            primary_domain=primary_domain,
            redirect_uri=redirect_uri,
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            # RFC 7636: 43-128 characters of [A-Z a-z 0-9 - . _ ~]; 48 bytes give 64.
            code_verifier=secrets.token_urlsafe(48),
        )
