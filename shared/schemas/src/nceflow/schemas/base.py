"""Base classes of every event model and of the value objects inside them."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from nceflow.schemas.values import CorrelationId, OrderId

EVENT_TYPE_PREFIX = "com.nceflow"


class ContractModel(BaseModel):
    """A value object of the contract: immutable, documented by its attribute docstrings.

    `extra="forbid"` catches a producer's misspelt field at construction time. Readers are
    tolerant instead: `nceflow.schemas.envelope.from_kafka` validates with `extra="ignore"`, so a
    subscriber on an older version of this package accepts an event that gained an optional
    field (a compatible change that keeps the major version).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        use_attribute_docstrings=True,
        str_strip_whitespace=False,
        validate_default=True,
    )


class OrderEvent(ContractModel):
    """Fields every order event carries. Subclasses name the event (`<Aggregate><PastTense>`).

    The CloudEvents `type` is derived, never typed by hand:
    `com.nceflow.<domain>.<name>.v<version>`.
    """

    event_domain: ClassVar[str]
    """The producing bounded context: `checkout` or `fulfilment`."""
    event_version: ClassVar[int] = 1
    """Major version: raise it for a change that would break a subscriber."""
    event_name: ClassVar[str | None] = None
    """Event name in the type string; the class name unless set (e.g. for a `…V2` class)."""

    order_id: OrderId
    """Our order id (also the Kafka key and the CloudEvents `subject`)."""
    correlation_id: CorrelationId
    """Correlation id of the order, carried through logs, events and Partner Center calls."""

    @classmethod
    def event_type(cls) -> str:
        """The CloudEvents `type` of this event, e.g. `com.nceflow.checkout.OrderConfirmed.v1`."""
        name = cls.event_name or cls.__name__
        return f"{EVENT_TYPE_PREFIX}.{cls.event_domain}.{name}.v{cls.event_version}"


class CheckoutOrderEvent(OrderEvent):
    """An event checkout publishes on `nce.checkout.order-events.v1`."""

    event_domain: ClassVar[str] = "checkout"


class FulfilmentOrderEvent(OrderEvent):
    """An event fulfilment publishes on `nce.fulfilment.order-events.v1`."""

    event_domain: ClassVar[str] = "fulfilment"
