"""What the storefront keeps between requests: a session in Redis, named by the cookie.

starsessions keeps each session server-side (Redis) and gives the browser only its random id,
HttpOnly and SameSite=Lax: the customer's bearer token never leaves the server, and signing out
deletes the session, so a copied cookie opens nothing afterwards. This module gives the few
things stored in it names and types: who is signed in, the CSRF token, the draft that holds the
cart, and one-shot notices.
"""

from __future__ import annotations

import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from fastapi import Request
from redis.exceptions import RedisError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starsessions.session import get_session_handler

from nceflow.storefront.api.errors import CsrfRejected, SignInRequired

_log = structlog.get_logger("nceflow.storefront")

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class Customer:
    """The signed-in customer: the bearer token checkout trusts, and what it says, for display."""

    token: str
    account_id: str
    reseller_id: str
    reseller_name: str


class Session:
    """Typed access to `request.session` (a dict that the middleware signs into the cookie)."""

    def __init__(self, request: Request) -> None:
        self._data: dict[str, Any] = request.session

    # ------------------------------------------------------------------------------ identity

    @property
    def customer(self) -> Customer | None:
        """The signed-in customer, or None."""
        raw = self._data.get("customer")
        if not isinstance(raw, dict):
            return None
        try:
            return Customer(
                token=str(raw["token"]),
                account_id=str(raw["account_id"]),
                reseller_id=str(raw["reseller_id"]),
                reseller_name=str(raw["reseller_name"]),
            )
        except KeyError:
            return None

    def sign_in(self, customer: Customer) -> None:
        """Put `customer` in a cleared session with a new CSRF token (`start_session` also
        gives it a new id)."""
        self._data.clear()
        self._data["customer"] = {
            "token": customer.token,
            "account_id": customer.account_id,
            "reseller_id": customer.reseller_id,
            "reseller_name": customer.reseller_name,
        }
        self._data[CSRF_FIELD] = secrets.token_urlsafe(32)

    def sign_out(self) -> None:
        """Forget everything: an emptied session is deleted from Redis and its cookie expired."""
        self._data.clear()

    # ---------------------------------------------------------------------------------- cart

    @property
    def draft_id(self) -> str | None:
        """The checkout draft whose `cart` step is the customer's cart."""
        value = self._data.get("draft_id")
        return value if isinstance(value, str) else None

    @draft_id.setter
    def draft_id(self, value: str | None) -> None:
        if value is None:
            self._data.pop("draft_id", None)
        else:
            self._data["draft_id"] = value

    @property
    def cart_count(self) -> int:
        """How many lines the cart had when this session last saw it (for the header badge)."""
        value = self._data.get("cart_count")
        return value if isinstance(value, int) else 0

    @cart_count.setter
    def cart_count(self, value: int) -> None:
        self._data["cart_count"] = value

    # ----------------------------------------------------------------------- Microsoft sign-in

    def expect_microsoft(self, state: str, draft_id: str) -> None:
        """Remember the sign-in sent to Microsoft, to know its answer when it comes back."""
        self._data["microsoft_sign_in"] = {"state": state, "draft_id": draft_id}

    def microsoft_answered(self, state: str) -> str | None:
        """The draft whose sign-in Microsoft answers with `state` (forgotten: answered once)."""
        pending = self._data.pop("microsoft_sign_in", None)
        if not isinstance(pending, dict) or pending.get("state") != state:
            return None
        draft_id = pending.get("draft_id")
        return draft_id if isinstance(draft_id, str) else None

    # ------------------------------------------------------------------------------- notices

    def notify(self, message: str) -> None:
        """Show `message` once, on the next page rendered."""
        self._data.setdefault("notices", []).append(message)

    def pop_notices(self) -> list[str]:
        """The pending notices, removed from the session."""
        notices = self._data.pop("notices", [])
        return [str(n) for n in notices] if isinstance(notices, list) else []

    # ---------------------------------------------------------------------------------- CSRF

    @property
    def csrf_token(self) -> str:
        """This session's CSRF token, created on first use."""
        token = self._data.get(CSRF_FIELD)
        if not isinstance(token, str):
            token = secrets.token_urlsafe(32)
            self._data[CSRF_FIELD] = token
        return token

    def check_csrf(self, submitted: str | None) -> None:
        """Refuse a state-changing request whose token is not this session's."""
        expected = self._data.get(CSRF_FIELD)
        if (
            not isinstance(expected, str)
            or not submitted
            or not hmac.compare_digest(expected.encode(), submitted.encode())
        ):
            raise CsrfRejected()


def signed_in(request: Request) -> Customer:
    """FastAPI dependency: the signed-in customer, or a redirect to the sign-in page."""
    customer = Session(request).customer
    if customer is None:
        raise SignInRequired(next_url=_same_site_path(request))
    return customer


async def verified_form(request: Request) -> dict[str, Any]:
    """FastAPI dependency for every POST: the form, once its CSRF token was checked.

    Starlette caches the parsed form, so route parameters declared with `Form()` still work.
    """
    form = await request.form()
    submitted = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    Session(request).check_csrf(submitted if isinstance(submitted, str) else None)
    return {key: form.getlist(key) for key in form}


def _same_site_path(request: Request) -> str:
    # Only GETs are worth coming back to; a POST would be lost anyway.
    if request.method != "GET":
        return "/"
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{request.url.path}{query}"


async def start_session(request: Request, customer: Customer) -> None:
    """Sign `customer` in under a new session id, counting the lifetime from now; the session
    before sign-in is deleted, so an id planted or seen before cannot follow the customer in
    (session fixation)."""
    handler = get_session_handler(request)
    await handler.destroy()
    handler.regenerate_id()
    if handler.metadata is not None:
        handler.metadata["created"] = time.time()
    Session(request).sign_in(customer)


# Sessions are loaded for every page; static files and health checks go without one.
AUTOLOADED_PATHS: list[str | re.Pattern[str]] = [r"^/(?!static/|healthz$|readyz$|metrics$)"]


class SessionStoreGuard:
    """Goes outside starsessions' middleware: a Redis that does not answer while a session is
    read or saved gets the `unavailable` page (a 503 the customer can retry), not a 500."""

    def __init__(self, app: ASGIApp, unavailable: Callable[[], Response]) -> None:
        self.app = app
        self.unavailable = unavailable

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except RedisError as exc:
            if started:  # too late for another answer
                raise
            _log.warning("sessions unavailable", error=f"{type(exc).__name__}: {exc}")
            await self.unavailable()(scope, receive, send)
