"""Prometheus metrics of the checkout service, in a registry of their own per app (so tests can
build several apps in one process), served at `/metrics`."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    """What checkout counts; the gauges are read from Redis when scraped."""

    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        r = self.registry
        self.reemits = Counter(
            "checkout_order_reemits_total",
            "OrderConfirmed emitted again because fulfilment was quiet past the order's time",
            registry=r,
        )
        self.awaiting = Gauge(
            "checkout_orders_awaiting_fulfilment",
            "Confirmed orders not placed or failed yet (all replicas)",
            registry=r,
        )
        self.overdue = Gauge(
            "checkout_orders_overdue",
            "Orders whose fulfilment news is overdue: re-emitted or about to be (all replicas)",
            registry=r,
        )
