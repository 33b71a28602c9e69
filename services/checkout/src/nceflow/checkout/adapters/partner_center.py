"""The wizard's read-only Partner Center checks, through each transacting partner's own account.

A direct reseller transacts on its own Partner Center account; an indirect reseller's customers
are the indirect provider's customers. Checkout keeps one client per transacting tenant.
"""

from __future__ import annotations

from pydantic import SecretStr

from nceflow.checkout.domain.draft import TenantLookup
from nceflow.checkout.errors import DependencyUnavailable
from nceflow.checkout.resellers import Reseller, ResellerDirectory
from nceflow.partner_center import PartnerCenterClient, PartnerCenterError
from nceflow.partner_center.settings import PartnerCenterSettings
from nceflow.partner_center.shared_rate_limit import budget_for
from nceflow.schemas.values import SalesModel


class PartnerCenterChecks:
    """Is a domain free? Does the partner have a customer with this domain?"""

    def __init__(
        self,
        directory: ResellerDirectory,
        *,
        base_url: str,
        authority_url: str,
        timeout_seconds: float = 5.0,
        rate_limit_per_minute: int = 500,
        budget_redis_url: str | None = None,
        budget_key_prefix: str = "nceflow:checkout:pc-budget",
    ) -> None:
        """`budget_redis_url`: the budget is shared by every checkout process (see
        `SharedRateLimit`); without it each process keeps its own."""
        self._directory = directory
        self._base_url = base_url
        self._authority_url = authority_url
        self._timeout = timeout_seconds
        self._rate_limit = rate_limit_per_minute
        self._budget_redis_url = budget_redis_url
        self._budget_key_prefix = budget_key_prefix
        self._clients: dict[str, PartnerCenterClient] = {}

    def _client(self, reseller: Reseller) -> PartnerCenterClient:
        tenant = reseller.transacting_partner_id
        client = self._clients.get(tenant)
        if client is None:
            account = self._directory.account_for(reseller)
            if account is None:
                raise DependencyUnavailable(
                    "partner_center", f"no Partner Center account configured for tenant {tenant}"
                )
            settings = PartnerCenterSettings(
                base_url=self._base_url,
                authority_url=self._authority_url,
                tenant_id=account.tenant_id,
                client_id=account.client_id,
                client_secret=SecretStr(account.client_secret.get_secret_value()),
                refresh_token=account.refresh_token,
                connect_timeout_seconds=self._timeout,
                read_timeout_seconds=self._timeout,
                # A customer is waiting on the answer: fail fast rather than retry for a minute.
                retry_budget_seconds=self._timeout,
                max_attempts=2,
                rate_limit_per_minute=self._rate_limit,
            )
            budget = budget_for(
                settings, redis_url=self._budget_redis_url, key_prefix=self._budget_key_prefix
            )
            client = self._clients[tenant] = PartnerCenterClient(settings, rate_limiter=budget)
        return client

    async def domain_available(self, reseller: Reseller, domain: str, correlation_id: str) -> bool:
        """Whether no tenant uses `domain` yet (`HEAD /v1/domains/{domain}`)."""
        try:
            taken = await self._client(reseller).domain_exists(
                domain, correlation_id=correlation_id
            )
        except PartnerCenterError as exc:
            raise DependencyUnavailable("partner_center", str(exc)) from exc
        return not taken

    async def find_tenant(
        self, reseller: Reseller, domain: str, correlation_id: str
    ) -> TenantLookup:
        """The partner's customer with exactly this domain and a reseller relationship, if any."""
        try:
            customers = await self._client(reseller).find_customers_by_domain(
                domain, correlation_id=correlation_id
            )
            match = next((c for c in customers if c.has_reseller_relationship and c.id), None)
            if match is None or match.id is None:
                return TenantLookup(None)
            if reseller.sales_model is not SalesModel.INDIRECT:
                return TenantLookup(match.id)
            # The provider's customer may belong to another of its resellers: this one must be
            # linked too ("Get indirect resellers of a customer").
            linked = await self._client(reseller).list_customer_resellers(
                match.id, correlation_id=correlation_id
            )
        except PartnerCenterError as exc:
            raise DependencyUnavailable("partner_center", str(exc)) from exc
        mine = any(r.id.lower() == reseller.partner_id.lower() for r in linked)
        return TenantLookup(match.id, reseller_linked=mine)

    async def aclose(self) -> None:
        """Close every client's connections."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
