"""What the app's lifespan builds once and every handler reads: one frozen context on
`app.state`, reached one way (`context_of`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import FastAPI
from redis.asyncio import Redis

from nceflow.checkout.adapters.redis_store import DraftStore
from nceflow.checkout.auth import TokenVerifier
from nceflow.checkout.drafts import DraftService
from nceflow.checkout.metrics import Metrics
from nceflow.checkout.orders import OrderService

if TYPE_CHECKING:
    from nceflow.checkout.relay import RelayThread


@dataclass(frozen=True)
class AppContext:
    """Everything the request handlers use, built once per app."""

    drafts: DraftService
    orders: OrderService
    verifier: TokenVerifier
    store: DraftStore
    redis: Redis
    relay: RelayThread | None
    metrics: Metrics


def context_of(app: FastAPI) -> AppContext:
    """The running app's context (set by its lifespan)."""
    context: AppContext = app.state.context
    return context
