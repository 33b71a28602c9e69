"""Fixtures of the fulfilment tests: real broker, Redis and simulator (devstack plugin), and the
service running in-process through its own lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from nceflow.devstack.pytest_plugin import KafkaServer, KafkaTopics
from nceflow.devstack.topic_reader import TopicReader
from nceflow.fulfilment.app import AppContext, create_app
from nceflow.fulfilment.settings import Settings
from nceflow.testing.fulfilment import fulfilment_env, fulfilment_settings


@pytest.fixture
async def sim(partner_center_sim: str) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator's control API, reset, with fast order completion and short hangs."""
    async with httpx.AsyncClient(base_url=partner_center_sim, timeout=10) as http:
        (await http.post("/_sim/reset")).raise_for_status()
        patch = {
            "order_completion_seconds": 0.2,
            "rate_limit_per_minute": 0,
            "lost_response_hang_seconds": 3,
        }
        (await http.patch("/_sim/config", json=patch)).raise_for_status()
        yield http


@pytest.fixture
def env_kwargs(
    kafka_server: KafkaServer,
    kafka_topics: KafkaTopics,
    redis_url: str,
    redis_prefix: str,
    partner_center_sim: str,
) -> dict[str, Any]:
    return {
        "kafka_bootstrap": kafka_server.bootstrap_servers,
        "enable_idempotence": kafka_server.supports_idempotence,
        "topic_prefix": kafka_topics.prefix,
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "sim_url": partner_center_sim,
    }


@pytest.fixture
def fulfilment_env_vars(env_kwargs: dict[str, Any]) -> dict[str, str]:
    """Environment of a fulfilment subprocess for this test."""
    return fulfilment_env(**env_kwargs)


@pytest.fixture
def settings(env_kwargs: dict[str, Any]) -> Settings:
    """In-process settings for this test."""
    return fulfilment_settings(**env_kwargs)


@pytest.fixture
def running() -> Callable[[Settings], AbstractAsyncContextManager[AppContext]]:
    """Run the service in-process (its real lifespan: broker, worker, Redis) while in the block."""

    @asynccontextmanager
    async def run(settings: Settings) -> AsyncIterator[AppContext]:
        app: FastAPI = create_app(settings)
        async with app.router.lifespan_context(app):
            yield app.state.context

    return run


@pytest.fixture
async def events(kafka_bootstrap: str, kafka_topics: KafkaTopics) -> AsyncIterator[TopicReader]:
    """Every event published on this test's fulfilment topic."""
    async with TopicReader(kafka_bootstrap, kafka_topics.fulfilment_order_events) as seen:
        yield seen
