"""Helpers shared by the Partner Center routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import Response

from nceflow.partner_center_sim.api.wire import json_response
from nceflow.partner_center_sim.context import SimContext


async def create_under_lock(
    ctx: SimContext, create: Callable[[], tuple[int, dict[str, Any]]]
) -> Response:
    """Run a creating POST atomically. A retry with the same MS-RequestId never reaches it: the
    replay layer (`replays`) answers it with the first answer."""
    async with ctx.state.lock:
        status, body = create()
    return json_response(body, status)
