"""Partner Center's response headers: the caller's MS-RequestId and MS-CorrelationId echoed."""

from __future__ import annotations

import secrets

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ECHOED = (b"ms-requestid", b"ms-correlationid")


class PartnerCenterHeadersMiddleware:
    """Adds MS-RequestId, MS-CorrelationId, MS-CV and MS-ServerId to `/v1/` responses."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        echoed = [(k.lower(), v) for k, v in scope["headers"] if k.lower() in _ECHOED]
        cv = secrets.token_urlsafe(12) + ".0"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for key, value in echoed:
                    headers.append(key.decode("latin-1"), value.decode("latin-1"))
                headers.append("MS-CV", cv)
                headers.append("MS-ServerId", "nceflow-sim")
            await send(message)

        await self.app(scope, receive, send_with_headers)
