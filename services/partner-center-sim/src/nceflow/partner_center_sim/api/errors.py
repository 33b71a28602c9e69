"""Partner Center's error responses, and the handlers that make every failure look like them.

Microsoft's shape ("Partner Center REST error codes"):
`{"code": ..., "description": ..., "data": [...], "source": "PartnerFD"}`. Bad input must get a
400 in this shape, never a 500, so FastAPI's own validation and HTTP error handlers are replaced.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from nceflow.partner_center_sim.api.ratelimit import ThrottledError, throttled_body

SOURCE = "PartnerFD"

# Codes from "Partner Center REST error codes" (and the catalog pages for 4000xx).
BAD_REQUEST = 600008
ACCESS_DENIED = 400
TOKEN_MISSING = 800001
FORBIDDEN = 2032
NOT_FOUND = 1000
NO_RELATIONSHIP = 20002
MCA_MISSING = 13605
AGREEMENT_EXISTS = 600061
PRODUCT_NOT_FOUND = 400013
SKU_NOT_FOUND = 400018
AVAILABILITY_NOT_FOUND = 400019
CART_IN_PROGRESS = 800064
CART_ALREADY_ORDERED = 800065
SEAT_LIMIT = 800067
ATTESTATION_MISSING = 900206
PROVIDER_NOT_VALID_AS_POR = 2072
# A cart line's transaction_reseller that is no reseller of this provider (an invalid partner id).
RESELLER_PARTNER_ID_NOT_VALID = 800016
PARTICIPANTS_NOT_SUPPORTED = 10004
UNEXPECTED = 800003
# A checkout of a cart whose lines carry errors (their `error` says which and why).
CART_LINE_ERRORS = 800009
# Cart line `error.errorCode`s ("Cart resources", `CartError`): an offer's attestation not
# accepted on the line.
LINE_ATTESTATION_NOT_ACCEPTED = 10012

_log = logging.getLogger(__name__)


class PartnerCenterError(Exception):
    """A refusal the simulator answers with Microsoft's error body."""

    def __init__(
        self,
        status: int,
        code: int,
        description: str,
        data: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description
        self.data = data or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body Microsoft sends for this error."""
        return error_body(self.code, self.description, self.data)


def error_body(code: int, description: str, data: list[Any] | None = None) -> dict[str, Any]:
    """Partner Center's error body."""
    return {"code": code, "description": description, "data": data or [], "source": SOURCE}


def bad_request(description: str, data: list[Any] | None = None) -> PartnerCenterError:
    """A 400 for input the service cannot accept."""
    return PartnerCenterError(400, BAD_REQUEST, description, data)


def not_found(description: str, code: int = NOT_FOUND) -> PartnerCenterError:
    """A 404 for an unknown resource."""
    return PartnerCenterError(404, code, description)


def _validation_data(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err.get("loc", ())), "reason": str(err.get("msg", ""))}
        for err in exc.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure, including FastAPI's own, with Microsoft's error body."""

    @app.exception_handler(PartnerCenterError)
    async def _partner_center_error(_: Request, exc: PartnerCenterError) -> Response:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(ThrottledError)
    async def _throttled(_: Request, exc: ThrottledError) -> Response:
        return JSONResponse(
            throttled_body(exc.retry_after),
            status_code=429,
            headers={"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
        body = error_body(BAD_REQUEST, "The request is not valid.", _validation_data(exc))
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> Response:
        code = NOT_FOUND if exc.status_code == 404 else exc.status_code
        body = error_body(code, str(exc.detail))
        return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> Response:
        # A bug in the simulator: still answer in Microsoft's shape so clients classify it.
        _log.exception("unexpected simulator error", exc_info=exc)
        return JSONResponse(error_body(UNEXPECTED, "Unexpected service error"), status_code=500)
