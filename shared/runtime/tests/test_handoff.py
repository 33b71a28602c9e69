"""The admin-credentials handoff against a real Redis: encrypted at rest, taken once, expiring."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError
from redis.asyncio import Redis

from nceflow.runtime.environment import handoff_problems
from nceflow.runtime.handoff import AdminCredentials, CredentialsHandoff
from nceflow.runtime.settings import HandoffSettings

ADMIN = AdminCredentials(
    user_name="admin@globex.onmicrosoft.com", password=SecretStr("Tr0ub4dor&3")
)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


def _settings(*keys: bytes, ttl: timedelta = timedelta(hours=72)) -> HandoffSettings:
    return HandoffSettings(keys=SecretStr(",".join(k.decode() for k in keys)), ttl=ttl)


async def test_the_password_is_encrypted_at_rest_and_taken_once(
    redis: Redis, redis_prefix: str
) -> None:
    handoff = CredentialsHandoff(redis, redis_prefix, _settings(Fernet.generate_key()))
    await handoff.give("order-1", ADMIN)
    stored = [await redis.get(key) async for key in redis.scan_iter(match=f"{redis_prefix}*")]
    assert len(stored) == 1
    assert stored[0] is not None
    assert b"Tr0ub4dor" not in stored[0]
    assert b"globex" not in stored[0]
    assert 0 < await redis.ttl(f"{redis_prefix}:handoff:admin-credentials:order-1") <= 72 * 3600
    assert await handoff.waiting("order-1")

    taken = await handoff.take("order-1")
    assert taken is not None
    assert taken.user_name == ADMIN.user_name
    assert taken.password.get_secret_value() == "Tr0ub4dor&3"
    assert not await handoff.waiting("order-1")
    assert await handoff.take("order-1") is None
    assert "Tr0ub4dor" not in repr(taken)


async def test_a_rotated_key_still_opens_what_the_old_one_sealed(
    redis: Redis, redis_prefix: str
) -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    await CredentialsHandoff(redis, redis_prefix, _settings(old)).give("order-2", ADMIN)
    rotated = CredentialsHandoff(redis, redis_prefix, _settings(new, old))
    taken = await rotated.take("order-2")
    assert taken is not None
    assert taken.password.get_secret_value() == "Tr0ub4dor&3"


async def test_credentials_no_key_of_ours_opens_are_erased_not_shown(
    redis: Redis, redis_prefix: str
) -> None:
    await CredentialsHandoff(redis, redis_prefix, _settings(Fernet.generate_key())).give(
        "order-3", ADMIN
    )
    stranger = CredentialsHandoff(redis, redis_prefix, _settings(Fernet.generate_key()))
    assert await stranger.take("order-3") is None
    assert not await stranger.waiting("order-3")


def test_keys_must_be_fernet_keys_and_the_dev_key_is_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key"):
        HandoffSettings(keys=SecretStr(f"{Fernet.generate_key().decode()},not-a-key"))
    assert handoff_problems(HandoffSettings()) != []
    assert handoff_problems(_settings(Fernet.generate_key())) == []
    assert "Tr0ub4dor" not in repr(_settings(Fernet.generate_key()))
