"""A new tenant's one-time admin password, handed from fulfilment to the customer exactly once.

Partner Center returns the password of a tenant it creates once, in the answer to "Create a
customer", and never again. It must reach the customer but nothing else: not an event (topics
are read by many and kept), not a log line, not the saga. Fulfilment gives it here, encrypted
(Fernet, a key fulfilment and checkout share) under a key that expires; checkout takes it when
the customer asks, and taking erases it (`GETDEL`), so a second look finds nothing.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import BaseModel, ConfigDict, SecretStr
from redis.asyncio import Redis

from nceflow.runtime.settings import HandoffSettings

__all__ = ["AdminCredentials", "CredentialsHandoff"]


class AdminCredentials(BaseModel):
    """The first administrator of a new tenant: its sign-in name and temporary password."""

    model_config = ConfigDict(frozen=True)

    user_name: str
    password: SecretStr


class CredentialsHandoff:
    """Admin credentials by order id, in Redis, encrypted, taken once."""

    def __init__(self, redis: Redis, key_prefix: str, settings: HandoffSettings) -> None:
        self._redis = redis
        self._base = f"{key_prefix}:handoff:admin-credentials"
        self._fernet = MultiFernet([Fernet(key) for key in settings.key_list()])
        self._ttl_seconds = max(1, int(settings.ttl.total_seconds()))

    def _key(self, order_id: str) -> str:
        return f"{self._base}:{order_id}"

    async def give(self, order_id: str, credentials: AdminCredentials) -> None:
        """Keep the credentials for the order's customer (replacing any earlier ones)."""
        plain = {
            "user_name": credentials.user_name,
            "password": credentials.password.get_secret_value(),
        }
        token = self._fernet.encrypt(json.dumps(plain).encode())
        await self._redis.set(self._key(order_id), token, ex=self._ttl_seconds)

    async def waiting(self, order_id: str) -> bool:
        """Whether credentials wait for the order's customer."""
        return bool(await self._redis.exists(self._key(order_id)))

    async def take(self, order_id: str) -> AdminCredentials | None:
        """The credentials, erased as they are read; None if there are none (any more).

        Credentials sealed with a key neither of ours opens are erased too: nobody can read them.
        """
        raw = await self._redis.getdel(self._key(order_id))
        if raw is None:
            return None
        token = raw if isinstance(raw, bytes) else str(raw).encode()
        try:
            return AdminCredentials.model_validate_json(self._fernet.decrypt(token))
        except InvalidToken:
            return None
