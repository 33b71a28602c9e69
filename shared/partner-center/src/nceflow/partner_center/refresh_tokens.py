"""Where the partner user's refresh token lives between restarts.

Entra ID rotates the refresh token: each App+User token request may answer with a new one, and
the one in the settings then ages out. A process that kept the newest only in memory would, on
its next start, go back to the settings' token, which may have expired: every App+User call
(creating an indirect reseller's customer, provisioning status) would then fail. The provider
saves each rotated token to a `RefreshTokenStore` and starts from the saved one.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from pydantic import SecretStr


class RefreshTokenStore(Protocol):
    """A secret store for one partner tenant's refresh token (a vault in production)."""

    def load(self) -> SecretStr | None:
        """The newest saved token, or None when none was saved yet."""
        ...

    def save(self, token: SecretStr) -> None:
        """Keep `token` as the newest, durably, before the caller uses it."""
        ...


class FileRefreshTokenStore:
    """A file readable by its owner only (0600), replaced atomically on every save."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"FileRefreshTokenStore({str(self.path)!r})"

    def load(self) -> SecretStr | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return SecretStr(text) if text else None

    def save(self, token: SecretStr) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        # Created 0600 from the start: the secret is never readable by others, not even briefly.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(token.get_secret_value())
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)


def refresh_token_store(directory: Path | None, tenant_id: str) -> RefreshTokenStore | None:
    """The file store of `tenant_id` under `directory` (`NCEFLOW_PARTNER_CENTER_REFRESH_TOKEN_DIR`),
    or None when no directory is configured."""
    if directory is None:
        return None
    return FileRefreshTokenStore(directory / f"{tenant_id}.refresh-token")
