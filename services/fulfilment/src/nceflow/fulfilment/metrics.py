"""Prometheus metrics of the fulfilment service, in a registry of their own per app (so tests
can build several apps in one process), served at `/metrics`."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


def _registry() -> CollectorRegistry:
    return CollectorRegistry(auto_describe=True)


@dataclass
class Metrics:
    """Counters and histograms the service updates."""

    registry: CollectorRegistry = field(default_factory=_registry)

    def __post_init__(self) -> None:
        r = self.registry
        self.messages = Counter(
            "fulfilment_messages_total",
            "Kafka messages consumed, by outcome",
            ["outcome"],
            registry=r,
        )
        self.accepted = Counter("fulfilment_orders_accepted_total", "Sagas started", registry=r)
        self.duplicates = Counter(
            "fulfilment_duplicates_total", "OrderConfirmed already recorded", registry=r
        )
        self.answers = Counter(
            "fulfilment_known_orders_answered_total",
            "OrderConfirmed of a known order answered with the saga's current state",
            registry=r,
        )
        self.dead_letters = Counter(
            "fulfilment_dead_letters_total",
            "Messages sent to the dead-letter topic",
            ["reason"],
            registry=r,
        )
        self.placed = Counter("fulfilment_orders_placed_total", "Orders checked out", registry=r)
        self.failed = Counter(
            "fulfilment_orders_failed_total", "Orders failed, by code", ["code"], registry=r
        )
        self.parked = Counter(
            "fulfilment_parked_total",
            "Retryable failures that parked an order, by step",
            ["step"],
            registry=r,
        )
        self.events_published = Counter(
            "fulfilment_events_published_total", "Fulfilment events published", registry=r
        )
        self.step_seconds = Histogram(
            "fulfilment_step_seconds",
            "Duration of one saga step, by step",
            ["step"],
            registry=r,
        )
        self.confirmed_to_placed = Histogram(
            "fulfilment_confirmed_to_placed_seconds",
            "From accepting OrderConfirmed to the checkout",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
            registry=r,
        )
        self.in_flight = Gauge("fulfilment_in_flight", "Sagas running in this process", registry=r)
