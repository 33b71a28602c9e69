"""Helpers shared by the Partner Center routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from nceflow.partner_center_sim.auth import Caller
from nceflow.partner_center_sim.context import SimContext
from nceflow.partner_center_sim.state import Replay
from nceflow.partner_center_sim.wire import json_response


async def idempotent_post(
    request: Request,
    ctx: SimContext,
    caller: Caller,
    create: Callable[[], tuple[int, dict[str, Any]]],
) -> Response:
    """Run a creating POST once per MS-RequestId; a retry gets the first answer again.

    Partner Center treats MS-RequestId as the idempotency key of a call, which is what makes a
    retry after a lost response safe. Refusals are not stored, so a retry after fixing the cause
    (e.g. attesting the MCA) is evaluated afresh.
    """
    path = request.url.path
    async with ctx.state.lock:
        stored = ctx.state.replay(caller.partner, caller.request_id, "POST", path)
        if stored is None:
            status, body = create()
            stored = Replay(status, body)
            ctx.state.remember(caller.partner, caller.request_id, "POST", path, stored)
    return json_response(stored.body, stored.status)
