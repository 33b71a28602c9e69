"""Why an order could not be placed, in words the customer can act on.

Each function builds the `Failure` of one documented cause. The codes are Partner Center's when
Microsoft gave one (so support can look them up) and nceflow's otherwise. `retryable` tells the
customer and the operator whether re-driving the same order can succeed once the cause is fixed
(a relationship accepted) or whether the order itself must change (another domain).
"""

from __future__ import annotations

from dataclasses import dataclass

from nceflow.schemas import ErrorSource, FulfilmentStep

MCA_LINK = "https://www.microsoft.com/licensing/docs/customeragreement"


@dataclass(frozen=True, slots=True)
class Failure:
    """A permanent failure of one saga step."""

    code: str
    code_source: ErrorSource
    reason: str
    retryable: bool
    action_url: str | None = None
    step: FulfilmentStep | None = None


def _pc(code: int | str | None, fallback: str) -> tuple[str, ErrorSource]:
    if code is None or str(code).strip() == "":
        return fallback, ErrorSource.NCEFLOW
    return str(code), ErrorSource.PARTNER_CENTER


def relationship_not_accepted(link: str | None, code: int | str | None = 20002) -> Failure:
    """The customer has not (visibly) accepted the reseller relationship."""
    code_text, source = _pc(code, "relationship_not_accepted")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            "Your Microsoft account has not accepted our reseller relationship yet, so Microsoft "
            "does not let us order for it. Ask your global administrator to open the link and "
            "accept the relationship, then ask us to retry the order."
        ),
        retryable=True,
        action_url=link,
        step=FulfilmentStep.RELATIONSHIP_VERIFIED,
    )


def customer_not_found(domain: str, link: str | None) -> Failure:
    """No customer of the partner has this primary domain (wrong domain or no relationship)."""
    return Failure(
        code="customer_not_found",
        code_source=ErrorSource.NCEFLOW,
        reason=(
            f"We could not find a Microsoft account with the primary domain {domain} among our "
            "customers. Check the domain you entered; if it is right, accept our reseller "
            "relationship with the link and ask us to retry the order."
        ),
        retryable=True,
        action_url=link,
        step=FulfilmentStep.CUSTOMER_RESOLVED,
    )


def domain_taken(domain: str) -> Failure:
    """The `.onmicrosoft.com` domain chosen for a new tenant belongs to someone else now."""
    return Failure(
        code="domain_taken",
        code_source=ErrorSource.NCEFLOW,
        reason=(
            f"The domain {domain} was taken before we could create your Microsoft account. "
            "Start a new order and choose another domain prefix."
        ),
        retryable=False,
        step=FulfilmentStep.CUSTOMER_CREATED,
    )


def customer_rejected(code: int | str | None, description: str) -> Failure:
    """Partner Center refused to create the customer tenant (e.g. an invalid address)."""
    code_text, source = _pc(code, "customer_rejected")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            "Microsoft refused to create your account with the company profile you entered "
            f"({description}). Check the company name, address and contact, then order again."
        ),
        retryable=False,
        step=FulfilmentStep.CUSTOMER_CREATED,
    )


def mca_refused(
    code: int | str | None, description: str, agreement_link: str | None = None
) -> Failure:
    """Partner Center did not accept the Microsoft Customer Agreement attestation.

    `agreement_link` is the agreement the customer was shown (the order's); Microsoft's page is
    the fallback."""
    code_text, source = _pc(code, "mca_refused")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            "Microsoft did not accept the Microsoft Customer Agreement acceptance we sent "
            f"({description}). Open the agreement with the link, accept it with your account's "
            "details, then ask us to retry the order."
        ),
        retryable=True,
        action_url=agreement_link or MCA_LINK,
        step=FulfilmentStep.MCA_ATTESTED,
    )


def qualification_refused(code: int | str | None, description: str) -> Failure:
    """Partner Center refused the State Owned Entity qualification."""
    code_text, source = _pc(code, "qualification_refused")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            "Microsoft refused to record your organisation as a State Owned Entity "
            f"({description}). Contact us to review the qualification, or order without it."
        ),
        retryable=False,
        step=FulfilmentStep.QUALIFICATION_ADDED,
    )


def plan_changed(code: int | str | None, description: str) -> Failure:
    """A catalog item of the order is no longer sold as it was priced."""
    code_text, source = _pc(code, "plan_changed")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            "A plan in your order is no longer available from Microsoft as you chose it "
            f"({description}). Start a new order with the current catalogue."
        ),
        retryable=False,
        step=FulfilmentStep.CART_CREATED,
    )


def limit_exceeded(code: int | str | None, description: str, step: FulfilmentStep) -> Failure:
    """A seat, asset or subscription-count limit of Microsoft's."""
    code_text, source = _pc(code, "limit_exceeded")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            f"Microsoft refused the order because a limit was reached ({description}). Lower "
            "the quantity or remove a plan, then order again."
        ),
        retryable=False,
        step=step,
    )


def order_rejected(code: int | str | None, description: str, step: FulfilmentStep) -> Failure:
    """Any other refusal of Microsoft's: the request itself was wrong."""
    code_text, source = _pc(code, "order_rejected")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            f"Microsoft refused the order ({description}). We have been notified; contact us "
            "quoting your order id."
        ),
        retryable=False,
        step=step,
    )


def partner_center_unavailable(step: FulfilmentStep | None, last_error: str) -> Failure:
    """Partner Center kept failing for longer than we retry an order."""
    return Failure(
        code="partner_center_unavailable",
        code_source=ErrorSource.NCEFLOW,
        reason=(
            "Microsoft Partner Center did not answer for too long, so your order was not "
            f"placed ({last_error}). Ask us to retry the order."
        ),
        retryable=True,
        step=step,
    )


def reseller_not_valid(code: int | str | None, description: str, reseller_name: str) -> Failure:
    """Partner Center does not accept the reseller as partner of record of an indirect sale
    ("Validate reseller partner of record (POR)")."""
    code_text, source = _pc(code, "reseller_not_valid")
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            f"Microsoft does not accept {reseller_name} as the partner of record of this order "
            f"({description}), so it was not placed. We have been notified; contact us quoting "
            "your order id."
        ),
        retryable=False,
    )


def partner_not_configured(partner_id: str) -> Failure:
    """The order must be placed by a partner account this deployment has no credentials for."""
    return Failure(
        code="partner_not_configured",
        code_source=ErrorSource.NCEFLOW,
        reason=(
            f"This order must be placed by partner {partner_id}, which our fulfilment service "
            "is not set up for. We have been notified; contact us quoting your order id."
        ),
        retryable=True,
    )


def carts_expired(replaced: int) -> Failure:
    """Partner Center dropped the order's cart again and again before it could be checked out."""
    return Failure(
        code="cart_expired",
        code_source=ErrorSource.NCEFLOW,
        reason=(
            f"Microsoft dropped the cart of your order {replaced + 1} times before we could check "
            "it out, so your order was not placed. We have been notified; ask us to retry the "
            "order."
        ),
        retryable=True,
        step=FulfilmentStep.CHECKED_OUT,
    )


_TERM_WORDS = {"P1M": "1-month", "P1Y": "1-year", "P3Y": "3-year"}


def no_current_availability(title: str, term: str, billing_cycle: str) -> Failure:
    """A plan's availability was withdrawn and no current one has the order's term and billing."""
    return Failure(
        code="plan_changed",
        code_source=ErrorSource.NCEFLOW,
        reason=(
            f"Microsoft no longer sells {title} with a {_TERM_WORDS.get(term, term)} term billed "
            f"{billing_cycle.lower()}, as you chose it. Start a new order with the current "
            "catalogue."
        ),
        retryable=False,
        step=FulfilmentStep.CART_CREATED,
    )


def cart_line_refused(code: int | str | None, description: str, title: str | None) -> Failure:
    """Partner Center created the cart but flagged a line (`CartLineItem.error`, 10000-10015),
    so the checkout would be refused: e.g. 10012, an offer whose attestation was not accepted."""
    code_text, source = _pc(code, "cart_line_refused")
    plan = title or "a plan"
    return Failure(
        code=code_text,
        code_source=source,
        reason=(
            f"Microsoft would not sell {plan} in your order as it stands ({description}). "
            "We have been notified; contact us quoting your order id."
        ),
        retryable=False,
        step=FulfilmentStep.CART_CREATED,
    )
