"""Valid example events, one or more per type: for tests, documentation and the AsyncAPI document.

Subscribers can use them as fixtures too. The values are fictitious (Microsoft's sample names).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from nceflow.schemas.base import OrderEvent
from nceflow.schemas.checkout import (
    Address,
    CartStep,
    CompanyProfile,
    Contact,
    ExistingTenant,
    McaAcceptance,
    McaStep,
    NewTenant,
    OrderAbandoned,
    OrderConfirmed,
    OrderDrafted,
    OrderItem,
    PartnerOfRecordAttestation,
    RelationshipConfirmedByCustomer,
    Reseller,
    StepCompleted,
)
from nceflow.schemas.fulfilment import (
    FulfilmentStarted,
    FulfilmentStepCompleted,
    OrderFailed,
    OrderPlaced,
)
from nceflow.schemas.values import (
    AbandonReason,
    AccountChoice,
    BillingCycle,
    ErrorSource,
    FulfilmentStep,
    ProvisioningStatus,
    Qualification,
    SalesModel,
    Term,
    WizardStep,
)

ORDER_ID = "ord_01JDX5Q8Z7K3M9N2P4R6T8V0W2"
CORRELATION_ID = "6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b"
CUSTOMER_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
CART_ID = "f7e6d5c4-b3a2-4190-8f7e-6d5c4b3a2190"
AT = datetime(2026, 11, 25, 10, 30, tzinfo=UTC)

DIRECT_RESELLER = Reseller(
    reseller_id="contoso-direct",
    name="Contoso Direct",
    sales_model=SalesModel.DIRECT,
    partner_id="3c1b7a2e-5d4f-4e6a-9b8c-7d6e5f4a3b2c",
)
INDIRECT_RESELLER = Reseller(
    reseller_id="fabrikam-indirect",
    name="Fabrikam Reseller",
    sales_model=SalesModel.INDIRECT,
    partner_id="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
    mpn_id="6543210",
    indirect_provider_partner_id="1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
)
CONTACT = Contact(
    first_name="Megan", last_name="Bowen", email="megan@contoso.com", phone="+1 425 555 0100"
)
ITEMS = [
    OrderItem(
        plan_id="m365-business-basic-p1y-monthly",
        catalog_item_id="CFQ7TTC0LH18:0001:CFQ7TTC0K5DM",
        product_id="CFQ7TTC0LH18",
        sku_id="0001",
        availability_id="CFQ7TTC0K5DM",
        title="Microsoft 365 Business Basic",
        term=Term.P1Y,
        billing_cycle=BillingCycle.MONTHLY,
        quantity=5,
        unit_price=Decimal("6.00"),
        currency="USD",
    ),
    OrderItem(
        plan_id="m365-e3-p1m-monthly",
        catalog_item_id="CFQ7TTC0LFLX:0001:CFQ7TTC0K5DN",
        product_id="CFQ7TTC0LFLX",
        sku_id="0001",
        availability_id="CFQ7TTC0K5DN",
        title="Microsoft 365 E3",
        term=Term.P1M,
        billing_cycle=BillingCycle.MONTHLY,
        quantity=2,
        unit_price=Decimal("43.20"),
        currency="USD",
    ),
]
TOTALS = {"USD": Decimal("116.40")}
MCA = McaAcceptance(
    accepted_by=CONTACT,
    date_agreed=date(2026, 11, 25),
    agreement_link="https://www.microsoft.com/licensing/docs/customeragreement",
)


def order_confirmed_new_direct() -> OrderConfirmed:
    """A new tenant bought through a direct reseller."""
    return OrderConfirmed(
        order_id=ORDER_ID,
        correlation_id=CORRELATION_ID,
        marketplace_account_id="acme",
        reseller=DIRECT_RESELLER,
        tenant=NewTenant(
            account=AccountChoice.NEW,
            company=CompanyProfile(
                company_name="Acme Corporation",
                address=Address(
                    address_line1="1 Microsoft Way",
                    city="Redmond",
                    state="WA",
                    postal_code="98052",
                    country="US",
                ),
                primary_contact=CONTACT,
                domain="acmecorp.onmicrosoft.com",
            ),
        ),
        mca=MCA,
        qualification=Qualification.NONE,
        terms_of_service_accepted_at=AT,
        items=ITEMS,
        totals=TOTALS,
        idempotency_key="buy-7d2f0c1e",
    )


def order_confirmed_existing_indirect() -> OrderConfirmed:
    """The seed's example: an existing tenant, relationship just accepted, indirect reseller."""
    return OrderConfirmed(
        order_id=ORDER_ID,
        correlation_id=CORRELATION_ID,
        marketplace_account_id="acme",
        reseller=INDIRECT_RESELLER,
        tenant=ExistingTenant(
            account=AccountChoice.EXISTING,
            primary_domain="acme.com",
            relationship=RelationshipConfirmedByCustomer(
                status="confirmed_by_customer", confirmed_at=AT, confirmed_by="user-42"
            ),
        ),
        partner_of_record=PartnerOfRecordAttestation(
            accepted_at=AT, partner_id=INDIRECT_RESELLER.partner_id
        ),
        mca=MCA,
        qualification=Qualification.STATE_OWNED_ENTITY,
        terms_of_service_accepted_at=AT,
        items=ITEMS,
        totals=TOTALS,
        idempotency_key="buy-7d2f0c1e",
    )


def example_events() -> list[OrderEvent]:
    """At least one valid instance of every event type, in the order an order emits them."""
    ids = {"order_id": ORDER_ID, "correlation_id": CORRELATION_ID}
    return [
        OrderDrafted(
            **ids,
            marketplace_account_id="acme",
            reseller_id="contoso-direct",
            expires_at=datetime(2026, 12, 2, 10, 30, tzinfo=UTC),
        ),
        StepCompleted(**ids, step=CartStep(id=WizardStep.CART, items=ITEMS, totals=TOTALS)),
        StepCompleted(**ids, step=McaStep(id=WizardStep.MCA, mca=MCA)),
        order_confirmed_new_direct(),
        order_confirmed_existing_indirect(),
        OrderAbandoned(**ids, reason=AbandonReason.EXPIRED, last_step=WizardStep.MCA),
        FulfilmentStarted(**ids),
        FulfilmentStepCompleted(
            **ids, step=FulfilmentStep.CUSTOMER_CREATED, customer_id=CUSTOMER_ID
        ),
        FulfilmentStepCompleted(**ids, step=FulfilmentStep.MCA_ATTESTED, already_done=True),
        FulfilmentStepCompleted(
            **ids,
            step=FulfilmentStep.CHECKED_OUT,
            customer_id=CUSTOMER_ID,
            cart_id=CART_ID,
            order_ids=["Xz3Q9fLk2"],
        ),
        OrderPlaced(
            **ids,
            customer_id=CUSTOMER_ID,
            cart_id=CART_ID,
            order_ids=["Xz3Q9fLk2"],
            subscription_ids=["a1b2c3d4-0000-4000-8000-000000000001"],
            provisioning=ProvisioningStatus.COMPLETED,
        ),
        OrderFailed(
            **ids,
            code="20002",
            code_source=ErrorSource.PARTNER_CENTER,
            reason=(
                "Your Microsoft account has not accepted the reseller relationship yet. "
                "Accept it with the link, then ask us to retry the order."
            ),
            action_url="https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship",
            retryable=True,
            failed_step=FulfilmentStep.RELATIONSHIP_VERIFIED,
        ),
    ]
