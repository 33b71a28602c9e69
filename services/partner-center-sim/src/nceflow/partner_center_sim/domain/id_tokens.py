"""The simulated Entra ID's sign-in codes and the key its ID tokens are signed with."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from nceflow.partner_center_sim.domain.records import UserRecord

CODE_LIFETIME_SECONDS = 600  # Entra's authorization codes live about 10 minutes
ID_TOKEN_LIFETIME_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """What a code stands for, to be checked again when it is redeemed."""

    client_id: str
    redirect_uri: str
    user: UserRecord
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str
    scope: str
    expires_at: float
    redeemed: bool = False


@dataclass
class SignInAuthority:
    """The ID-token signing key and the codes issued and not yet forgotten."""

    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)

    @property
    def kid(self) -> str:
        """The key id (like Entra's, the same value as `x5t`)."""
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()  # noqa: S324

    def jwks(self) -> dict[str, Any]:
        """The public signing key as Entra's JWKS shows it."""
        jwk: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "x5t": self.kid,
                    "n": jwk["n"],
                    "e": jwk["e"],
                }
            ]
        }

    def issue(self, grant: AuthorizationCode) -> str:
        """A new single-use code for `grant` (expired codes are dropped on the way)."""
        now = time.time()
        self.codes = {c: g for c, g in self.codes.items() if g.expires_at > now - 3600}
        code = "sim-code." + secrets.token_urlsafe(32)
        self.codes[code] = grant
        return code

    def redeem(self, code: str) -> AuthorizationCode | None:
        """The grant of `code`, marked redeemed (None when it was never issued)."""
        grant = self.codes.get(code)
        if grant is not None:
            self.codes[code] = replace(grant, redeemed=True)
        return grant

    def id_token(self, issuer_base: str, grant: AuthorizationCode) -> str:
        """The ID token for a redeemed code (RS256, v2.0 claims)."""
        now = int(time.time())
        user = grant.user
        claims: dict[str, Any] = {
            "aud": grant.client_id,
            "iss": f"{issuer_base}/{user.tenant_id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + ID_TOKEN_LIFETIME_SECONDS,
            "name": user.display_name,
            "oid": user.object_id,
            "preferred_username": user.user_principal_name,
            # Pairwise: stable per user and app, different across apps.
            "sub": base64.urlsafe_b64encode(
                hashlib.sha256(f"{user.object_id}:{grant.client_id}".encode()).digest()
            )
            .rstrip(b"=")
            .decode(),
            "tid": user.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "2.0",
        }
        if grant.nonce:
            claims["nonce"] = grant.nonce
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})
