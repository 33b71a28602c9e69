"""Everything a running simulator holds, built once per app by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from nceflow.partner_center_sim.api.faults import FaultRegistry
from nceflow.partner_center_sim.api.ratelimit import PartnerRateLimiter
from nceflow.partner_center_sim.api.replays import RequestReplays
from nceflow.partner_center_sim.api.requestlog import RequestLog
from nceflow.partner_center_sim.domain.id_tokens import SignInAuthority
from nceflow.partner_center_sim.domain.runtime_config import RuntimeConfig
from nceflow.partner_center_sim.domain.seed import Seed
from nceflow.partner_center_sim.domain.state import SimState
from nceflow.partner_center_sim.domain.tokens import TokenStore
from nceflow.partner_center_sim.settings import Settings


@dataclass(frozen=True, slots=True)
class SimContext:
    """The simulator's state and machinery (one per app instance)."""

    settings: Settings
    seed: Seed
    config: RuntimeConfig
    state: SimState
    tokens: TokenStore
    faults: FaultRegistry
    requests: RequestLog
    limiter: PartnerRateLimiter
    replays: RequestReplays
    """The answers replayed to a write that repeats an `MS-RequestId`."""
    sign_in: SignInAuthority
    """The ID-token signing key and sign-in codes (the key survives a reset)."""

    def reset(self) -> None:
        """Back to the seed: data, faults, request log, throttling and runtime configuration.

        Issued tokens stay valid so that clients with a cached token keep working.
        """
        self.state.reset()
        self.faults.reset()
        self.requests.clear()
        self.limiter.reset()
        self.replays.reset()
        defaults = RuntimeConfig.from_settings(self.settings)
        for name in RuntimeConfig.model_fields:
            setattr(self.config, name, getattr(defaults, name))


def build_context(settings: Settings, seed: Seed) -> SimContext:
    """A fresh simulator from `seed`."""
    tokens = TokenStore()
    return SimContext(
        settings=settings,
        seed=seed,
        config=RuntimeConfig.from_settings(settings),
        state=SimState(seed),
        tokens=tokens,
        faults=FaultRegistry(settings.random_seed),
        requests=RequestLog(settings.request_log_size),
        limiter=PartnerRateLimiter(),
        replays=RequestReplays(tokens, max_entries=settings.request_id_memory_entries),
        sign_in=SignInAuthority(),
    )


async def get_context(request: Request) -> SimContext:
    """FastAPI dependency: the app's simulator context (async: FastAPI runs a plain `def`
    dependency in its thread pool, a hop that cost about a tenth of the CPU per call)."""
    context: SimContext = request.app.state.sim
    return context
