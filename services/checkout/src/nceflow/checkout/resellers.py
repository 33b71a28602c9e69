"""The reseller directory: who sells to a marketplace account, and how its orders reach Microsoft.

A settings file (JSON) per deployment. Each reseller names its sales model and Partner Center ids
and the links the wizard shows; each transacting partner tenant (a direct reseller, or an indirect
provider) has the app credentials checkout uses for its read-only Partner Center checks. The file
holds secrets in production: mount it as one. The shipped dev directory matches the simulator's
seed: one direct partner (Adatum) and an indirect provider (Litware) with two resellers.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from nceflow.checkout.domain.draft import ResellerTerms, TenantProof
from nceflow.schemas.values import SalesModel

RESELLER_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
HttpsUrl = Annotated[str, Field(pattern=r"^https://\S+$", max_length=2048)]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Reseller(_Entry):
    """One reseller selling through the marketplace."""

    id: Annotated[str, Field(pattern=RESELLER_ID_PATTERN)]
    name: Annotated[str, Field(min_length=1, max_length=256)]
    sales_model: SalesModel
    partner_id: Annotated[str, Field(min_length=1, max_length=128)]
    mpn_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    indirect_provider_partner_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    relationship_link: HttpsUrl
    mca_link: HttpsUrl
    terms_link: HttpsUrl
    tenant_proof: TenantProof = TenantProof.SIGN_IN
    """How an account shows that an existing tenant is its own: a Microsoft sign-in as a user of
    it (default), or the customer's word (`declared`: the platform binds accounts itself)."""

    @model_validator(mode="after")
    def _ids_match_sales_model(self) -> Self:
        indirect = self.sales_model is SalesModel.INDIRECT
        if indirect and (self.indirect_provider_partner_id is None or self.mpn_id is None):
            raise ValueError("an indirect reseller needs indirect_provider_partner_id and mpn_id")
        if not indirect and self.indirect_provider_partner_id is not None:
            raise ValueError("a direct reseller has no indirect_provider_partner_id")
        return self

    @property
    def transacting_partner_id(self) -> str:
        """The partner tenant whose Partner Center account places this reseller's orders."""
        return self.indirect_provider_partner_id or self.partner_id

    def terms(self) -> ResellerTerms:
        """What a draft copies about this reseller when it starts."""
        return ResellerTerms(
            reseller_id=self.id,
            name=self.name,
            sales_model=self.sales_model,
            partner_id=self.partner_id,
            mpn_id=self.mpn_id,
            indirect_provider_partner_id=self.indirect_provider_partner_id,
            relationship_link=self.relationship_link,
            mca_link=self.mca_link,
            terms_link=self.terms_link,
            tenant_proof=self.tenant_proof,
        )


class PartnerCenterAccount(_Entry):
    """App credentials of one transacting partner tenant (secrets are never dumped)."""

    tenant_id: Annotated[str, Field(min_length=1, max_length=128)]
    name: str = ""
    client_id: Annotated[str, Field(min_length=1, max_length=128)]
    client_secret: SecretStr
    refresh_token: SecretStr | None = None


class ResellerDirectory(_Entry):
    """Every reseller and the Partner Center accounts their orders go through."""

    resellers: tuple[Reseller, ...] = Field(min_length=1)
    partner_center_accounts: tuple[PartnerCenterAccount, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [reseller.id for reseller in self.resellers]
        if len(set(ids)) != len(ids):
            raise ValueError("duplicate reseller ids")
        return self

    def get(self, reseller_id: str) -> Reseller | None:
        """The reseller with that id, if the directory lists it."""
        return next((r for r in self.resellers if r.id == reseller_id), None)

    def account_for(self, reseller: Reseller) -> PartnerCenterAccount | None:
        """Credentials of the tenant that transacts for `reseller`, if configured."""
        wanted = reseller.transacting_partner_id
        return next((a for a in self.partner_center_accounts if a.tenant_id == wanted), None)

    def dump_json(self) -> str:
        """The directory as indented JSON, secrets masked (`nceflow checkout resellers`)."""
        return self.model_dump_json(indent=2)


def load_directory(path: Path | None = None) -> ResellerDirectory:
    """Read the directory from `path`, or the dev directory shipped with the service."""
    if path is None:
        text = (resources.files("nceflow.checkout") / "data" / "resellers.json").read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return ResellerDirectory.model_validate_json(text)
