"""Development sign-in: pick an account and a reseller; the storefront signs a dev token.

In production the platform signs its customers in and hands the storefront their token. In dev
there is no platform, so this module borrows checkout's reseller directory and dev signing key
(the same `NCEFLOW_CHECKOUT_*` variables the checkout process reads), and nothing else of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from nceflow.checkout.auth import mint_dev_token
from nceflow.checkout.resellers import ResellerDirectory, load_directory
from nceflow.checkout.settings import Settings as CheckoutSettings

# What checkout accepts as an account id (it refuses anything else in a token).
ACCOUNT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
# Names that make the dev sign-in page useful at once; any other name is a new customer.
SUGGESTED_ACCOUNTS = ("fabrikam", "northwind", "contoso", "new-customer")


@dataclass(frozen=True)
class ResellerChoice:
    """A reseller the dev sign-in page offers."""

    id: str
    name: str
    sales_model: str


class DevSignIn:
    """The directory to choose from, and dev tokens for the choice."""

    @cached_property
    def _checkout_settings(self) -> CheckoutSettings:
        return CheckoutSettings()

    @cached_property
    def _directory(self) -> ResellerDirectory:
        return load_directory(self._checkout_settings.resellers_file)

    def resellers(self) -> list[ResellerChoice]:
        """Every reseller of the directory, in its order."""
        return [
            ResellerChoice(id=r.id, name=r.name, sales_model=r.sales_model.value)
            for r in self._directory.resellers
        ]

    def reseller_name(self, reseller_id: str) -> str | None:
        """The reseller's display name, or None when the directory does not list it."""
        found = self._directory.get(reseller_id)
        return found.name if found else None

    def token_for(self, account_id: str, reseller_id: str) -> str:
        """A bearer token checkout accepts for `account_id` buying through `reseller_id`."""
        return mint_dev_token(account_id, reseller_id, self._checkout_settings)
