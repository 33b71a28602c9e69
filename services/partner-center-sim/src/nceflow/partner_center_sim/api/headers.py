"""Partner Center's response headers: the caller's MS-RequestId and MS-CorrelationId echoed."""

from __future__ import annotations

import base64
import random

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
        # Header names arrive lower-cased from the ASGI server.
        extra = [(k, v) for k, v in scope["headers"] if k in _ECHOED]
        # A correlation vector, not a secret: the non-cryptographic generator is enough.
        extra.append((b"ms-cv", base64.urlsafe_b64encode(random.randbytes(12)) + b".0"))
        extra.append((b"ms-serverid", b"nceflow-sim"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)
