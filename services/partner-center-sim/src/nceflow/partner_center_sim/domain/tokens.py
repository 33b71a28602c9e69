"""Access and refresh tokens the simulated Entra ID issues, and what each one stands for.

Tokens are opaque random strings (clients must never parse an Entra access token). They survive
`POST /_sim/reset` so that a client's cached token keeps working across tests.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from enum import StrEnum


class TokenKind(StrEnum):
    """App-only (client credentials) or App+User (a partner user's refresh token)."""

    APP = "app"
    APP_USER = "app_user"


@dataclass(frozen=True, slots=True)
class Grant:
    """What an access token proves: which partner, and whether a user is behind it."""

    partner_key: str
    kind: TokenKind
    expires_at: float


class TokenStore:
    """Issued access and refresh tokens."""

    def __init__(self) -> None:
        self._access: dict[str, Grant] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> partner key
        self._rotated: set[str] = set()  # refresh tokens a newer one replaced

    def issue_access(self, partner_key: str, kind: TokenKind, lifetime_seconds: int) -> str:
        """A new access token valid for `lifetime_seconds`."""
        token = "sim." + secrets.token_urlsafe(32)
        self._access[token] = Grant(partner_key, kind, time.time() + lifetime_seconds)
        return token

    def issue_refresh(self, partner_key: str) -> str:
        """A new refresh token (Entra rotates them; older ones stay valid here)."""
        token = "sim-refresh." + secrets.token_urlsafe(32)
        self._refresh[token] = partner_key
        return token

    def rotate(self, presented: str) -> None:
        """`presented` was exchanged for a newer refresh token."""
        self._rotated.add(presented)

    def was_rotated(self, token: str) -> bool:
        """Whether a newer refresh token replaced `token`."""
        return token in self._rotated

    def refresh_owner(self, token: str) -> str | None:
        """The partner an issued refresh token belongs to."""
        return self._refresh.get(token)

    def grant(self, token: str) -> Grant | None:
        """The grant of a live access token; None when unknown or expired."""
        grant = self._access.get(token)
        if grant is None or grant.expires_at <= time.time():
            return None
        return grant
