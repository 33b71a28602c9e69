"""Seed step 1, "Log in to the Marketplace": dev sign-in, or the platform's token in production."""

from __future__ import annotations

from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from nceflow.storefront.adapters.checkout_client import CheckoutClient
from nceflow.storefront.api.errors import UpstreamProblem
from nceflow.storefront.api.pages import Pages
from nceflow.storefront.api.session import Customer, Session, start_session, verified_form
from nceflow.storefront.dev_sign_in import ACCOUNT_ID_PATTERN, SUGGESTED_ACCOUNTS, DevSignIn
from nceflow.storefront.settings import SignInMode

Verified = Annotated[dict[str, Any], Depends(verified_form)]


def local_path(candidate: str | None) -> str:
    """`candidate` when it is a path on this site, else `/` (no open redirects)."""
    if candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\")):
        return candidate
    return "/"


def sign_in_router(
    pages: Pages, checkout: CheckoutClient, mode: SignInMode, dev: DevSignIn
) -> APIRouter:
    """`GET/POST /sign-in` and `POST /sign-out`."""
    router = APIRouter()

    async def form_page(
        request: Request, next_url: str, *, error: str = "", status_code: int = 200, **values: str
    ) -> HTMLResponse:
        context: dict[str, Any] = {
            "title": "Log in",
            "mode": mode.value,
            "next_url": local_path(next_url),
            "error": error,
            "account_id": values.get("account_id", ""),
            "reseller_id": values.get("reseller_id", ""),
        }
        if mode is SignInMode.DEV:
            context["resellers"] = await dev.resellers()
            context["accounts"] = SUGGESTED_ACCOUNTS
        return pages.render(request, "sign_in.html", context, status_code=status_code)

    @router.get("/sign-in", response_class=HTMLResponse)
    async def sign_in_page(
        request: Request, next_url: Annotated[str, Query(alias="next", max_length=2048)] = "/"
    ) -> HTMLResponse:
        """The sign-in form."""
        return await form_page(request, next_url)

    @router.post("/sign-in", response_model=None)
    async def sign_in(
        request: Request,
        _: Verified,
        next_url: Annotated[str, Form(alias="next", max_length=2048)] = "/",
        account_id: Annotated[str, Form(max_length=256)] = "",
        reseller_id: Annotated[str, Form(max_length=256)] = "",
        token: Annotated[str, Form(max_length=8192)] = "",
    ) -> Response:
        """Sign in and go where the customer was going."""
        if mode is SignInMode.DEV:
            account_id = account_id.strip()
            dev_token = (
                await dev.token_for(account_id, reseller_id)
                if ACCOUNT_ID_PATTERN.match(account_id)
                else None
            )
            if dev_token is None:
                return await form_page(
                    request,
                    next_url,
                    error="Enter an account name (letters, digits, . _ @ -) and pick a reseller.",
                    status_code=422,
                    account_id=account_id,
                    reseller_id=reseller_id,
                )
            customer = Customer(
                token=dev_token.access_token,
                account_id=account_id,
                reseller_id=reseller_id,
                reseller_name=dev_token.reseller_name,
            )
        else:
            found = await _customer_of_token(checkout, token.strip())
            if found is None:
                return await form_page(
                    request,
                    next_url,
                    error="The marketplace did not accept this token. Sign in again there.",
                    status_code=401,
                )
            customer = found
        await start_session(request, customer)
        return RedirectResponse(local_path(next_url), status_code=303)

    @router.post("/sign-out")
    async def sign_out(request: Request, _: Verified) -> RedirectResponse:
        """Forget the session (the draft stays in checkout and can be resumed later)."""
        Session(request).sign_out()
        return RedirectResponse("/sign-in", status_code=303)

    return router


async def _customer_of_token(checkout: CheckoutClient, token: str) -> Customer | None:
    # Checkout verifies the token; the storefront only reads its claims for display.
    if not token:
        return None
    try:
        await checkout.list_orders(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except (UpstreamProblem, jwt.PyJWTError):
        return None
    account, reseller = claims.get("sub"), claims.get("reseller")
    if not isinstance(account, str) or not isinstance(reseller, str):
        return None
    return Customer(token=token, account_id=account, reseller_id=reseller, reseller_name=reseller)
