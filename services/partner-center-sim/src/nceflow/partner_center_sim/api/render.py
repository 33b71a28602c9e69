"""Records rendered as Partner Center's JSON resources (camelCase, `attributes.objectType`)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from nceflow.partner_center_sim.api.wire import attributes, link
from nceflow.partner_center_sim.domain.catalog import CatalogItem
from nceflow.partner_center_sim.domain.records import (
    AgreementRecord,
    CartRecord,
    CustomerRecord,
    OrderRecord,
    QualificationRecord,
)
from nceflow.partner_center_sim.domain.seed import (
    Availability,
    Catalog,
    IndirectReseller,
    Product,
    Sku,
)
from nceflow.partner_center_sim.domain.state import iso

_TERM_DESCRIPTIONS = {
    ("P1M", "monthly"): "One-Month commitment for monthly billing",
    ("P1Y", "monthly"): "One-Year commitment for monthly/yearly billing",
    ("P1Y", "annual"): "One-Year commitment for monthly/yearly billing",
    ("P3Y", "annual"): "Three-Year commitment for yearly/triennial billing",
    ("P3Y", "triennial"): "Three-Year commitment for yearly/triennial billing",
}


def company_profile(customer: CustomerRecord) -> dict[str, Any]:
    """A CustomerCompanyProfile."""
    return {
        "tenantId": customer.id,
        "domain": customer.domain,
        "companyName": customer.company_name,
        **(
            {"organizationRegistrationNumber": customer.organization_registration_number}
            if customer.organization_registration_number
            else {}
        ),
        "links": {"self": link(f"/customers/{customer.id}/profiles/company")},
        "attributes": attributes("CustomerCompanyProfile"),
    }


def billing_profile(customer: CustomerRecord) -> dict[str, Any]:
    """A CustomerBillingProfile."""
    return {
        "id": customer.billing_profile_id,
        "email": customer.email,
        "culture": customer.culture,
        "language": customer.language,
        "companyName": customer.company_name,
        "defaultAddress": dict(customer.address),
        "attributes": attributes("CustomerBillingProfile", _etag(customer.billing_profile_id)),
    }


def customer(
    record: CustomerRecord,
    partner_key: str,
    *,
    with_billing: bool = False,
    relationship: str | None = None,
) -> dict[str, Any]:
    """A Customer as seen by one partner."""
    link_ = record.partners.get(partner_key)
    body: dict[str, Any] = {"id": record.id, "commerceId": record.commerce_id}
    body["companyProfile"] = company_profile(record)
    if with_billing:
        body["billingProfile"] = billing_profile(record)
    body["relationshipToPartner"] = relationship or (link_.relationship if link_ else "none")
    if with_billing:
        # "Get a customer by ID": whether the partner holds delegated admin privileges.
        body["allowDelegatedAccess"] = bool(
            link_ is not None and link_.relationship == "reseller" and link_.delegated_access
        )
    if link_ is not None and link_.associated_partner_id:
        body["associatedPartnerId"] = link_.associated_partner_id
    body["links"] = {"self": link(f"/customers/{record.id}")}
    body["attributes"] = attributes("Customer")
    return body


def agreement(record: AgreementRecord) -> dict[str, Any]:
    """An Agreement (a confirmation of customer acceptance)."""
    return {
        "userId": record.user_id,
        "primaryContact": dict(record.primary_contact),
        "templateId": record.template_id,
        "dateAgreed": record.date_agreed,
        "type": record.type,
        "agreementLink": record.agreement_link,
        "attributes": attributes("Agreement"),
    }


def qualification(record: QualificationRecord) -> dict[str, Any]:
    """A customer qualification."""
    return {
        "qualification": record.qualification,
        "vettingStatus": record.vetting_status,
        "vettingCreateDate": record.vetting_create_date,
        **record.extra,
    }


def indirect_reseller(
    reseller: IndirectReseller, relationship_type: str = "is_indirect_cloud_solution_provider_of"
) -> dict[str, Any]:
    """A PartnerRelationship of an indirect provider with one of its resellers (or, with
    `is_indirect_reseller_of`, of a customer with a reseller)."""
    return {
        "id": reseller.partner_id,
        "name": reseller.name,
        "relationshipType": relationship_type,
        "state": "Active",
        "mpnId": reseller.mpn_id,
        "location": reseller.location,
        "attributes": attributes("PartnerRelationship"),
    }


def product(item: Product, country: str) -> dict[str, Any]:
    """A Product."""
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description,
        "productType": {"id": "OnlineServices", "displayName": "OnlineServices"},
        "isMicrosoftProduct": True,
        "publisherName": "Microsoft Corporation",
        "links": {
            "skus": link(f"/products/{item.id}/skus?country={country}"),
            "self": link(f"/products/{item.id}?country={country}"),
        },
        "attributes": attributes("Product"),
    }


def sku(
    item: Product, entry: Sku, country: str, attestation_text: str | None = None
) -> dict[str, Any]:
    """A SKU; `attestationProperties` when its offer enforces an attestation on cart lines."""
    cycles: list[str] = []
    for availability in entry.availabilities:
        for term in availability.terms:
            cycles.extend(c for c in term.billing_cycles if c not in cycles)
    return {
        "id": entry.id,
        "productId": item.id,
        "title": entry.title,
        "description": entry.description,
        "minimumQuantity": entry.minimum_quantity,
        "maximumQuantity": entry.maximum_quantity,
        "isTrial": False,
        "supportedBillingCycles": cycles,
        "purchasePrerequisites": [],
        "inventoryVariables": [],
        "provisioningVariables": [],
        "dynamicAttributes": {"isAddon": False, "prerequisiteSkus": []},
        "links": {
            "availabilities": link(
                f"/products/{item.id}/skus/{entry.id}/availabilities?country={country}"
            ),
            "self": link(f"/products/{item.id}/skus/{entry.id}?country={country}"),
        },
        "attributes": attributes("Sku"),
    } | (
        {
            "attestationProperties": {
                "attestationType": "OfferAttestation",
                "attestationText": attestation_text,
                "enforceAttestation": True,
            }
        }
        if attestation_text
        else {}
    )


def _term_id(availability_id: str, duration: str, cycle: str) -> str:
    digest = hashlib.sha256(f"{availability_id}:{duration}:{cycle}".encode()).hexdigest()
    return digest[:12]


def availability(item: CatalogItem, catalog: Catalog) -> dict[str, Any]:
    """An Availability; NCE lists one term per duration and billing cycle."""
    entry: Availability = item.availability
    terms: list[dict[str, Any]] = []
    for term in entry.terms:
        for cycle in term.billing_cycles:
            terms.append(
                {
                    "id": _term_id(entry.id, term.duration, cycle),
                    "duration": term.duration,
                    "description": _TERM_DESCRIPTIONS.get(
                        (term.duration, cycle), f"{term.duration} {cycle}"
                    ),
                    "billingCycle": cycle.capitalize(),
                    "cancellationPolicies": [
                        {
                            "refundOptions": [
                                {"sequenceId": 0, "type": "Full", "expiresAfter": "P7D"}
                            ]
                        }
                    ],
                }
            )
    country = catalog.country
    return {
        "id": entry.id,
        "productId": item.product.id,
        "skuId": item.sku.id,
        "catalogItemId": item.catalog_item_id,
        "defaultCurrency": {"code": catalog.currency.code, "symbol": catalog.currency.symbol},
        "segment": "commercial",
        "country": country,
        "isPurchasable": True,
        "isRenewable": True,
        "renewalInstructions": [
            {
                "applicableTermIds": [t["id"] for t in terms],
                "renewalOptions": [
                    {"renewToId": f"{item.product.id}:{item.sku.id}", "isAutoRenewable": True}
                ],
            }
        ],
        "terms": terms,
        "product": product(item.product, country),
        "sku": sku(item.product, item.sku, country),
        "links": {
            "self": link(
                f"/products/{item.product.id}/skus/{item.sku.id}/availabilities/{entry.id}"
                f"?country={country}"
            )
        },
        "attributes": attributes("Availability"),
    }


def cart(record: CartRecord, currency_code: str) -> dict[str, Any]:
    """A Cart."""
    lines: list[dict[str, Any]] = []
    for line in record.lines:
        body: dict[str, Any] = {
            "id": line.id,
            "catalogItemId": line.catalog_item_id,
            "quantity": line.quantity,
            "currencyCode": currency_code,
            "billingCycle": line.billing_cycle,
            "termDuration": line.term_duration,
        }
        if line.friendly_name:
            body["friendlyName"] = line.friendly_name
        if line.participants:
            body["participants"] = [dict(p) for p in line.participants]
        body["provisioningContext"] = dict(line.provisioning_context)
        body["orderGroup"] = line.order_group
        if line.attestation_accepted is not None:
            body["attestationAccepted"] = line.attestation_accepted
        if line.error is not None:
            body["error"] = {"errorCode": line.error[0], "errorDescription": line.error[1]}
        lines.append(body)
    return {
        "id": record.id,
        "creationTimestamp": iso(record.creation),
        "lastModifiedTimestamp": iso(record.last_modified),
        "expirationTimestamp": iso(record.expiration),
        "lastModifiedUser": record.last_modified_user,
        "status": record.status,
        "lineItems": lines,
        "links": {"self": link(f"/customers/{record.customer_id}/carts/{record.id}")},
        "attributes": attributes("Cart"),
    }


def order(record: OrderRecord, now: datetime) -> dict[str, Any]:
    """An Order; line items carry their subscription id once the order is completed."""
    status = record.status(now)
    base = f"/customers/{record.customer_id}/orders/{record.id}"
    lines: list[dict[str, Any]] = []
    for line in record.lines:
        product_id, sku_id, availability_id = line.offer_id.split(":")
        body: dict[str, Any] = {
            "lineItemNumber": line.line_item_number,
            "offerId": line.offer_id,
        }
        if record.provisioned(line.line_item_number, now):
            body["subscriptionId"] = line.subscription_id
        body.update(
            {
                "termDuration": line.term_duration,
                "transactionType": "New",
                "friendlyName": line.friendly_name,
                "quantity": line.quantity,
            }
        )
        if line.partner_id_on_record:
            body["partnerIdOnRecord"] = line.partner_id_on_record
        if line.additional_partner_ids:
            body["additionalPartnerIdsOnRecord"] = list(line.additional_partner_ids)
        body["links"] = {
            "product": link(f"/products/{product_id}?country=US"),
            "sku": link(f"/products/{product_id}/skus/{sku_id}?country=US"),
            "availability": link(
                f"/products/{product_id}/skus/{sku_id}/availabilities/{availability_id}?country=US"
            ),
        }
        lines.append(body)
    return {
        "id": record.id,
        "alternateId": record.id,
        "referenceCustomerId": record.customer_id,
        "billingCycle": record.billing_cycle,
        "currencyCode": record.currency_code,
        "currencySymbol": record.currency_symbol,
        "lineItems": lines,
        "creationDate": iso(record.creation),
        "status": status,
        "transactionType": "UserPurchase",
        "links": {
            "self": link(base),
            "provisioningStatus": link(f"{base}/provisioningstatus"),
            "patchOperation": link(base, "PATCH"),
        },
        "client": {},
        "attributes": attributes("Order"),
    }


def provisioning_status(record: OrderRecord, now: datetime) -> list[dict[str, Any]]:
    """The OrderLineItemProvisioningStatus of each line."""
    items: list[dict[str, Any]] = []
    for line in record.lines:
        done = record.provisioned(line.line_item_number, now)
        body: dict[str, Any] = {
            "lineItemNumber": line.line_item_number,
            "status": "fulfilled" if done else "pending",
            "quantityProvisioningInformation": [],
        }
        if done:
            body["subscriptionId"] = line.subscription_id
        body["attributes"] = attributes("OrderLineItemProvisioningStatus")
        items.append(body)
    return items


def _etag(seed: str) -> str:
    return str(int(hashlib.sha256(seed.encode()).hexdigest()[:15], 16))
