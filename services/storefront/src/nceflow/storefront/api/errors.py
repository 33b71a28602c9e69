"""Why a page cannot be shown, and the one place that turns each reason into an HTML answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

if TYPE_CHECKING:
    from nceflow.storefront.api.pages import Pages

_log = structlog.get_logger("nceflow.storefront")


class SignInRequired(Exception):
    """The page needs a signed-in customer (or the token expired)."""

    def __init__(self, next_url: str = "/") -> None:
        super().__init__("sign-in required")
        self.next_url = next_url


class CsrfRejected(Exception):
    """A state-changing request without this session's CSRF token."""


class UpstreamUnavailable(Exception):
    """Catalog or checkout did not answer, or answered with a server error."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service}: {reason}")
        self.service = service
        self.reason = reason


@dataclass(frozen=True)
class FieldError:
    """One field of a problem+json `errors` list."""

    field: str
    reason: str
    code: str = "invalid"


@dataclass
class UpstreamProblem(Exception):
    """A 4xx problem+json answer from catalog or checkout."""

    status: int
    title: str
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    body: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail}"


def install_error_pages(app: FastAPI, pages: Pages) -> None:
    """Render every failure as a page of the site, never as a stack trace or raw JSON."""

    def page(request: Request, status: int, title: str, detail: str) -> Response:
        return pages.render(
            request,
            "error.html",
            {"title": title, "detail": detail, "status": status},
            status_code=status,
        )

    @app.exception_handler(SignInRequired)
    async def sign_in_required(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(f"/sign-in?{urlencode({'next': exc.next_url})}", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def csrf_rejected(request: Request, exc: CsrfRejected) -> Response:
        return page(
            request,
            403,
            "This form has expired",
            "The page was open too long or in another session. Go back, reload it and try again.",
        )

    @app.exception_handler(UpstreamUnavailable)
    async def upstream_unavailable(request: Request, exc: UpstreamUnavailable) -> Response:
        _log.warning("upstream unavailable", service=exc.service, reason=exc.reason)
        response = page(
            request,
            503,
            "We cannot reach the shop right now",
            "Please try again in a moment. Nothing you entered was lost.",
        )
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(UpstreamProblem)
    async def upstream_problem(request: Request, exc: UpstreamProblem) -> Response:
        if exc.status == 401:
            # The token expired or was revoked: sign in again, then come back here.
            request.session.clear()
            next_url = request.url.path if request.method == "GET" else "/"
            return RedirectResponse(f"/sign-in?{urlencode({'next': next_url})}", status_code=303)
        status = exc.status if exc.status in (400, 403, 404, 409, 410, 422) else 400
        # One title for every missing page, whoever found it missing.
        title = "Page not found" if status == 404 else exc.title
        return page(request, status, title, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        return page(request, 400, "Bad request", "The page was asked for with invalid values.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = "Page not found" if exc.status_code == 404 else "Request refused"
        return page(request, exc.status_code, title, str(exc.detail))
