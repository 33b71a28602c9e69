"""Development sign-in: pick an account and a reseller; checkout signs a dev token.

In production the platform signs its customers in and hands the storefront their token. In dev
there is no platform, so the storefront asks checkout's dev-only routes (`/v1/dev/…`, mounted in
dev mode alone) for the reseller directory and a token: it needs neither checkout's signing key
nor its directory file, and imports nothing of the checkout package.
"""

from __future__ import annotations

import re

from nceflow.storefront.adapters.checkout_client import CheckoutClient, DevReseller, DevToken
from nceflow.storefront.api.errors import UpstreamProblem

# What checkout accepts as an account id (it refuses anything else in a token).
ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# Names that make the dev sign-in page useful at once; any other name is a new customer.
SUGGESTED_ACCOUNTS = ("fabrikam", "northwind", "contoso", "new-customer")


class DevSignIn:
    """The directory to choose from, and dev tokens for the choice, from checkout."""

    def __init__(self, checkout: CheckoutClient) -> None:
        self._checkout = checkout

    async def resellers(self) -> list[DevReseller]:
        """Every reseller of checkout's directory, in its order."""
        return await self._checkout.dev_resellers()

    async def token_for(self, account_id: str, reseller_id: str) -> DevToken | None:
        """A token checkout accepts for `account_id` buying through `reseller_id`; None when
        checkout refuses the choice (no such reseller, an account id it does not take)."""
        try:
            return await self._checkout.dev_token(account_id, reseller_id)
        except UpstreamProblem as exc:
            if exc.status == 422:
                return None
            raise
