"""Checkout's errors that are not the wizard's rules (those are `domain.errors`): what a use
case, a store or a client raises. `api.errors` maps each of them, and the domain's, to its
problem+json answer once.
"""

from __future__ import annotations

from nceflow.checkout.domain.order import AdminCredentialsState


class ConcurrentUpdate(Exception):
    """The draft kept changing under us; the caller may try again."""


class DependencyUnavailable(Exception):
    """A service checkout depends on did not answer usably; the request may be retried."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency}: {detail}")
        self.dependency = dependency
        self.detail = detail


class NotFound(Exception):
    """No such draft or order for this account (another account's ids are not found either)."""


class UnknownReseller(Exception):
    """The token names a reseller the directory does not list."""


class TooManyLookups(Exception):
    """The account looked domains and tenants up in Partner Center too often: wait."""

    def __init__(self, limit: int, retry_after: float) -> None:
        super().__init__(f"at most {limit} domain lookups a minute")
        self.limit = limit
        self.retry_after = retry_after


class AdminCredentialsUnavailable(Exception):
    """No admin password to show for this order now; `state` says why (None: the order uses
    an existing tenant, for which Partner Center creates no admin)."""

    def __init__(self, order_id: str, state: AdminCredentialsState | None) -> None:
        super().__init__(order_id)
        self.order_id = order_id
        self.state = state


class PreconditionFailed(Exception):
    """`If-Match` named another version than the draft's current one."""

    def __init__(self, current_version: int) -> None:
        super().__init__(f"the draft is at version {current_version}")
        self.current_version = current_version
